import torch

from .base_merge import Merge, merge_with_mask_fallback


class Minimum(Merge):
    """Keras `Minimum`: element-wise min; a masked operand is ignored."""

    def _merge(self, tensors, masks):
        return merge_with_mask_fallback(torch.minimum, tensors, masks)

__all__ = ["Minimum"]
