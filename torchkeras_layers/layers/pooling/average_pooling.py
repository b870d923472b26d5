"""`AveragePooling1D/2D/3D`: the mean of each window over its *real* cells (TF SAME never counts
padding; torch's `count_include_pad=False` is used only where TF's padding is symmetric)."""

from __future__ import annotations

import torch

from ...ops.pooling import avg_pool
from .base_pooling import BasePooling


class _AveragePooling(BasePooling, registered=False):
    def _pool(self, x, pads):
        if x.dim() == 5 and x.device.type == "cpu" and x.dtype in (torch.float16, torch.bfloat16):
            # torch has no 16-bit avg_pool3d CPU kernel: average in float32, round once (TF's bfloat16 kernel too)
            return avg_pool(x.float(), self._op_pool_size, self._op_strides, pads).to(x.dtype)
        return avg_pool(x, self._op_pool_size, self._op_strides, pads)


class AveragePooling1D(_AveragePooling, built_at_init=True):
    """Keras `AveragePooling1D(pool_size, strides=None, padding="valid", data_format=None)`; like Keras,
    `pool_size` has no default."""

    rank = 1

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name=name, **kwargs)


class AveragePooling2D(_AveragePooling, built_at_init=True):
    """Keras `AveragePooling2D(pool_size, strides=None, padding="valid", data_format=None)`."""

    rank = 2

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name=name, **kwargs)


class AveragePooling3D(_AveragePooling, built_at_init=True):
    """Keras `AveragePooling3D(pool_size, strides=None, padding="valid", data_format=None)`."""

    rank = 3

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name=name, **kwargs)


# Keras' aliases (the same classes).
AvgPool1D = AveragePooling1D
AvgPool2D = AveragePooling2D
AvgPool3D = AveragePooling3D

__all__ = ["AveragePooling1D", "AveragePooling2D", "AveragePooling3D", "AvgPool1D", "AvgPool2D", "AvgPool3D"]
