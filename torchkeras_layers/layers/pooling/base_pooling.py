"""`BasePooling`: the window-pooling layers' shared surface (Keras' `BasePooling`).

Subclasses set `rank` and implement `_pool(x, pads)` on a ``(N, C, *spatial)`` view (1-D lifted to 2-D,
see `ops/layout.py`) with per-axis ``(lo, hi)`` padding computed the TensorFlow way (`ops/padding.py`).
"""

from __future__ import annotations

import torch

from ...ops.layout import from_channels_first, lift_1d, to_channels_first
from ...ops.padding import output_length, window_paddings
from ..arguments import standardize_data_format, standardize_tuple
from ..base import FLOATING, InputSpec, Layer
from ..convolutional.base_window_conv import BaseWindowConv


class BasePooling(Layer, registered=False):
    """`pool_size`, `strides` (None -> `pool_size`), `padding` ("valid"/"same", any case) and
    `data_format`, validated at construction; the input rank and size at every forward."""

    rank: int  # number of spatial axes, set by subclasses
    input_dtypes = FLOATING  # torch's pooling kernels have no integer/bool variants

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = standardize_tuple(self, pool_size, self.rank, "pool_size")
        self.strides = standardize_tuple(self, pool_size if strides is None else strides, self.rank, "strides")
        if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
            raise self._arg_error("padding", "must be 'valid' or 'same' (case-insensitive)", padding)
        self.padding = padding  # as given: Keras' config keeps the caller's spelling ("SAME")
        self._padding_mode = padding.lower()
        self.data_format = standardize_data_format(self, data_format)
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self._op_pool_size = lift_1d(self.pool_size)
        self._op_strides = lift_1d(self.strides)

    def _spatial_shape(self, shape) -> tuple:
        return tuple(shape[1:-1]) if self.data_format == "channels_last" else tuple(shape[2:])

    def _paddings(self, spatial: tuple) -> tuple:
        return window_paddings(self._padding_mode, spatial, self.pool_size, self.strides)

    def _check_output_size(self, shape) -> None:
        spatial = self._spatial_shape(shape)
        pads = self._paddings(spatial)
        if any(output_length(n, k, s, p) <= 0 for n, k, s, p in zip(spatial, self.pool_size, self.strides, pads)):
            raise ValueError(
                f"{self.__class__.__name__} ({self.name!r}): input of shape {tuple(shape)} is smaller than "
                f"`pool_size`={self.pool_size} with padding={self.padding!r}: the output would be empty"
            )

    def _pool(self, x: torch.Tensor, pads: tuple) -> torch.Tensor:
        raise NotImplementedError

    _checked_paddings = BaseWindowConv._checked_paddings  # the same per-shape check and paddings

    def forward(self, inputs):
        pads = self._checked_paddings(inputs.shape)
        if inputs.numel() == 0:  # no channels (or no batch): empty like Keras' output; torch's kernels refuse it
            return inputs.new_empty(self.compute_output_shape(tuple(inputs.shape)))
        if self.rank == 1:
            pads = ((0, 0),) + pads
        y = self._pool(to_channels_first(inputs, self.data_format), pads)
        return from_channels_first(y, self.data_format, self.rank)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        spatial = self._spatial_shape(input_shape)
        pads = self._paddings(tuple(1 if n is None else n for n in spatial))
        out = [None if n is None else output_length(n, k, s, p)
               for n, k, s, p in zip(spatial, self.pool_size, self.strides, pads)]
        if self.data_format == "channels_last":
            return (input_shape[0], *out, input_shape[-1])
        return (input_shape[0], input_shape[1], *out)

    def get_config(self):
        return {
            **super().get_config(),
            "pool_size": self.pool_size,
            "padding": self.padding,
            "strides": self.strides,
            "data_format": self.data_format,
        }
