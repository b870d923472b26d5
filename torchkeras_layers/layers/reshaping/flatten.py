"""`Flatten`: (B, ...) -> (B, prod(...)), in channels-last order whatever the data_format."""

from __future__ import annotations

import math

from ..arguments import standardize_data_format
from ..base import InputSpec, Layer


class Flatten(Layer):
    """Keras `Flatten(data_format=None)`. With `channels_first` the channel axis is moved last before
    flattening, so the features come out in (H, W, C) order exactly as in Keras — unlike `nn.Flatten`
    on NCHW. A rank-1 input (B,) becomes (B, 1)."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(self, data_format)
        self.input_spec = InputSpec(min_ndim=1)

    def forward(self, inputs):
        if self.data_format == "channels_first" and inputs.dim() > 2:
            inputs = inputs.movedim(1, -1)
        return inputs.reshape(inputs.shape[0], math.prod(inputs.shape[1:]))  # -1 is ambiguous for an empty batch

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        size = None if any(d is None for d in rest) else math.prod(rest)
        return (input_shape[0], size)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}

__all__ = ["Flatten"]
