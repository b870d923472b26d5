"""What UpSampling1D/2D/3D share: repeating each spatial row `size` times (nearest neighbour)."""

from __future__ import annotations

import torch.nn.functional as F

from ...ops.layout import from_channels_first, lift_1d, to_channels_first
from ..base import Layer
from .zero_padding import spatial_axes


class BaseUpSampling(Layer, registered=False):
    """Subclasses set `data_format` and `size` (one positive int per spatial axis).

    Keras repeats (`ops.repeat`); torch's "nearest-exact" interpolation by whole factors reads source
    ``floor((i + 0.5) / size)``, the same element, and runs on the channels-first view of either
    layout without a transpose copy (faster than an expand-and-reshape repeat in both layouts). The
    half-pixel offset keeps the index exact while the output axis is shorter than ~8e6 (the float32
    error of the source position stays below 0.5 / size).
    """

    data_format: str
    size: tuple

    def forward(self, inputs):
        rank = len(self.size)
        if not inputs.is_floating_point() or inputs.numel() == 0:
            # torch's interpolation has no integer/bool kernels and refuses empty tensors; Keras' repeat takes both
            outputs = inputs
            for axis, factor in zip(spatial_axes(self.data_format, rank), self.size):
                outputs = outputs.repeat_interleave(factor, dim=axis)
            return outputs
        images = to_channels_first(inputs, self.data_format)
        factors = lift_1d(self.size)
        out_size = [images.shape[2 + i] * factor for i, factor in enumerate(factors)]
        return from_channels_first(F.interpolate(images, size=out_size, mode="nearest-exact"), self.data_format, rank)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        for axis, factor in zip(spatial_axes(self.data_format, len(self.size)), self.size):
            if shape[axis] is not None:
                shape[axis] *= factor
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "size": self.size, "data_format": self.data_format}
