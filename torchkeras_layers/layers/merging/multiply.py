import torch

from .base_merge import Merge, expand_mask


class Multiply(Merge):
    """Keras `Multiply`: masked entries count as 1; where every input is masked the output is 0
    (only when all inputs carry masks, as in Keras)."""

    def _merge(self, tensors, masks):
        has_output_mask = all(m is not None for m in masks)
        output, output_mask = None, None
        for x, m in zip(tensors, masks):
            m = expand_mask(m, x)
            if m is not None:
                x = torch.where(m, x, torch.ones((), dtype=x.dtype, device=x.device))
                if has_output_mask:
                    output_mask = m if output_mask is None else torch.logical_or(output_mask, m)
            output = x if output is None else output * x
        if has_output_mask:
            output = torch.where(output_mask, output, torch.zeros((), dtype=output.dtype, device=output.device))
        return output

__all__ = ["Multiply"]
