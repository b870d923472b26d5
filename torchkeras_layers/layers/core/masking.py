"""`Masking`: timesteps whose features all equal `mask_value` are zeroed and masked out."""

from __future__ import annotations

import numbers

import torch

from ..base import NUMERIC, Layer


class Masking(Layer, built_at_init=True):
    """Keras `Masking(mask_value=0.0)`: mask = any(inputs != mask_value, axis=-1); the output keeps the
    inputs where the mask is True and is 0 elsewhere (a `where`, as Keras, so masked NaNs become 0)."""

    supports_masking = True
    input_dtypes = NUMERIC  # bool steps have no "value to mask" (Keras returns them as int32)

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(mask_value, numbers.Real):  # Keras fails only at the first call
            raise self._arg_error("mask_value", "must be a real number", mask_value, TypeError)
        self.mask_value = mask_value.item() if hasattr(mask_value, "item") else mask_value

    def forward(self, inputs):
        keep = torch.any(inputs != self.mask_value, dim=-1, keepdim=True)
        return torch.where(keep, inputs, torch.zeros((), dtype=inputs.dtype, device=inputs.device))

    def compute_mask(self, inputs, mask=None):
        return torch.any(inputs != self.mask_value, dim=-1)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}


__all__ = ["Masking"]
