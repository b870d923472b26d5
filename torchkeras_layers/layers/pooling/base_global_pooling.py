"""`BaseGlobalPooling`: reduce every spatial axis (Keras' `BaseGlobalPooling`)."""

from __future__ import annotations

from ..arguments import standardize_data_format
from ..base import InputSpec, Layer


class BaseGlobalPooling(Layer, registered=False):
    """`data_format` and `keepdims` (spatial axes kept with length 1), input rank `rank + 2`."""

    rank: int

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(self, data_format)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=self.rank + 2)
        first = 1 if self.data_format == "channels_last" else 2
        self._spatial_axes = tuple(range(first, first + self.rank))

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        channels = input_shape[-1] if self.data_format == "channels_last" else input_shape[1]
        if not self.keepdims:
            return (input_shape[0], channels)
        ones = (1,) * self.rank
        return (input_shape[0], *ones, channels) if self.data_format == "channels_last" else (input_shape[0], channels, *ones)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}
