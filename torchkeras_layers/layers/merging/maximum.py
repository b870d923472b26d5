import torch

from .base_merge import Merge, merge_with_mask_fallback


class Maximum(Merge):
    """Keras `Maximum`: element-wise max; a masked operand is ignored."""

    def _merge(self, tensors, masks):
        return merge_with_mask_fallback(torch.maximum, tensors, masks)

__all__ = ["Maximum"]
