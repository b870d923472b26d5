"""`Softmax`: softmax over one axis or several, with Keras' `mask` (masked positions give 0)."""

from __future__ import annotations

import torch

from ..base import Layer


def large_negative_number(dtype: torch.dtype) -> float:
    """What Keras writes into masked logits: -1e9, or -3e4 where float16 cannot hold it."""
    return -3e4 if dtype == torch.float16 else -1e9


class Softmax(Layer, built_at_init=True):
    """Keras `Softmax(axis=-1)`; `axis` may be a list of axes (normalised jointly).

    ``forward(inputs, mask=None)``: `mask` (bool, or numbers where > 0.5 keeps) must broadcast to
    `inputs` with every dim 1 or equal; masked logits become a large negative number before the
    softmax and masked outputs are 0 afterwards (a fully masked slice gives zeros, not 1/n).
    """

    supports_masking = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        axes = list(axis) if isinstance(axis, (list, tuple)) else [axis]
        if not axes or any(isinstance(a, bool) or not isinstance(a, int) for a in axes):
            raise self._arg_error("axis", "must be an int or a non-empty list of ints", axis, TypeError)
        self.axis = axis

    def _dims(self, inputs) -> list[int]:
        rank = inputs.dim()
        axes = list(self.axis) if isinstance(self.axis, (list, tuple)) else [self.axis]
        if any(not -rank <= a < rank for a in axes):
            raise self._arg_error("axis", f"must name axes of the rank-{rank} input (shape {tuple(inputs.shape)})",
                                  self.axis)
        return axes

    def _check_mask(self, inputs, mask) -> None:
        fits = mask.dim() <= inputs.dim() and all(
            m == 1 or m == i for m, i in zip(reversed(mask.shape), reversed(inputs.shape)))
        if not fits:
            raise ValueError(f"Softmax ({self.name!r}): argument `mask` must broadcast to the inputs, every mask "
                             f"dim 1 or equal to the input's; received mask shape {tuple(mask.shape)} for inputs "
                             f"of shape {tuple(inputs.shape)}")

    def forward(self, inputs, mask=None):
        dims = self._dims(inputs)
        if mask is not None:
            self._check_mask(inputs, mask)
            if mask.dtype != torch.bool:
                mask = mask > 0.5
            inputs = torch.where(mask, inputs, large_negative_number(inputs.dtype))
        if len(dims) == 1:
            outputs = torch.softmax(inputs, dim=dims[0])
        else:
            outputs = torch.exp(inputs - torch.logsumexp(inputs, dim=dims, keepdim=True))
        if mask is not None:
            outputs = torch.where(mask, outputs, 0.0)
        return outputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}

__all__ = ["Softmax"]
