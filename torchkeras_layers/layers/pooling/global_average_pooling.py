"""`GlobalAveragePooling1D/2D/3D`: the mean over all spatial positions, per channel; the 1-D layer
takes a `(batch, steps)` mask and averages over the kept steps only."""

from __future__ import annotations

import torch

from .base_global_pooling import BaseGlobalPooling


class _GlobalAveragePooling(BaseGlobalPooling, registered=False):
    def forward(self, inputs):
        if not inputs.is_floating_point():  # Keras' mean promotes integer/bool inputs; torch.mean refuses them
            inputs = inputs.to(self.compute_dtype)
        return inputs.mean(dim=self._spatial_axes, keepdim=self.keepdims)


class GlobalAveragePooling1D(_GlobalAveragePooling, built_at_init=True):
    """Keras `GlobalAveragePooling1D(data_format=None, keepdims=False)`, `forward(inputs, mask=None)`.

    With a mask: ``sum(x * m) / sum(m)`` over the steps, masked steps excluded even if they hold
    inf/NaN. A row whose steps are all masked gives 0 (Keras returns NaN from 0/0; a NaN would poison
    every gradient of the batch). The output carries no mask.
    """

    rank = 1
    supports_masking = True

    def forward(self, inputs, mask=None):
        if mask is None:
            return super().forward(inputs)
        steps_axis = self._spatial_axes[0]
        expected = (inputs.shape[0], inputs.shape[steps_axis])
        if tuple(mask.shape) != expected:
            raise ValueError(
                f"GlobalAveragePooling1D ({self.name!r}): argument `mask` must have shape (batch, steps) = "
                f"{expected}; received {tuple(mask.shape)}"
            )
        keep = (mask != 0).unsqueeze(2 if self.data_format == "channels_last" else 1)
        total = torch.where(keep, inputs, 0.0).sum(dim=steps_axis, keepdim=self.keepdims)
        count = keep.sum(dim=steps_axis, keepdim=self.keepdims).clamp_min(1).to(total.dtype)
        return total / count

    def compute_mask(self, inputs, mask=None):
        return None


class GlobalAveragePooling2D(_GlobalAveragePooling, built_at_init=True):
    """Keras `GlobalAveragePooling2D(data_format=None, keepdims=False)`."""

    rank = 2


class GlobalAveragePooling3D(_GlobalAveragePooling, built_at_init=True):
    """Keras `GlobalAveragePooling3D(data_format=None, keepdims=False)`."""

    rank = 3


# Keras' aliases (the same classes).
GlobalAvgPool1D = GlobalAveragePooling1D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalAvgPool3D = GlobalAveragePooling3D

__all__ = [
    "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D", "GlobalAvgPool1D",
    "GlobalAvgPool2D", "GlobalAvgPool3D",
]
