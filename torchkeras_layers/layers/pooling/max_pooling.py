"""`MaxPooling1D/2D/3D`: the maximum of each window; 'same' padding cells are ignored (TF SAME)."""

from __future__ import annotations

from ...ops.pooling import max_pool
from .base_pooling import BasePooling


class _MaxPooling(BasePooling, registered=False):
    def _pool(self, x, pads):
        return max_pool(x, self._op_pool_size, self._op_strides, pads)


class MaxPooling1D(_MaxPooling, built_at_init=True):
    """Keras `MaxPooling1D(pool_size=2, strides=None, padding="valid", data_format=None)`."""

    rank = 1

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name=name, **kwargs)


class MaxPooling2D(_MaxPooling, built_at_init=True):
    """Keras `MaxPooling2D(pool_size=(2, 2), strides=None, padding="valid", data_format=None)`."""

    rank = 2

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name=name, **kwargs)


class MaxPooling3D(_MaxPooling, built_at_init=True):
    """Keras `MaxPooling3D(pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None)`."""

    rank = 3

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None, name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name=name, **kwargs)


# Keras' aliases (the same classes).
MaxPool1D = MaxPooling1D
MaxPool2D = MaxPooling2D
MaxPool3D = MaxPooling3D

__all__ = ["MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "MaxPool1D", "MaxPool2D", "MaxPool3D"]
