"""`AdaptiveAveragePooling1D/2D/3D` and `AdaptiveMaxPooling1D/2D/3D` (Keras 3.15 names)."""

from __future__ import annotations

from ...ops.pooling import adaptive_avg_pool, adaptive_max_pool
from .base_adaptive_pooling import BaseAdaptivePooling


class _AdaptiveAveragePooling(BaseAdaptivePooling, registered=False):
    def _pool(self, x):
        return adaptive_avg_pool(x, self._op_output_size)


class _AdaptiveMaxPooling(BaseAdaptivePooling, registered=False):
    """Unlike Keras on TensorFlow CPU, which kills the process (SIGFPE) when an input or output
    spatial size is 1, this works for every size."""

    def _pool(self, x):
        return adaptive_max_pool(x, self._op_output_size)


class AdaptiveAveragePooling1D(_AdaptiveAveragePooling):
    """Keras `AdaptiveAveragePooling1D(output_size, data_format=None)`."""

    rank = 1


class AdaptiveAveragePooling2D(_AdaptiveAveragePooling):
    """Keras `AdaptiveAveragePooling2D(output_size, data_format=None)`."""

    rank = 2


class AdaptiveAveragePooling3D(_AdaptiveAveragePooling):
    """Keras `AdaptiveAveragePooling3D(output_size, data_format=None)`."""

    rank = 3


class AdaptiveMaxPooling1D(_AdaptiveMaxPooling):
    """Keras `AdaptiveMaxPooling1D(output_size, data_format=None)`."""

    rank = 1


class AdaptiveMaxPooling2D(_AdaptiveMaxPooling):
    """Keras `AdaptiveMaxPooling2D(output_size, data_format=None)`."""

    rank = 2


class AdaptiveMaxPooling3D(_AdaptiveMaxPooling):
    """Keras `AdaptiveMaxPooling3D(output_size, data_format=None)`."""

    rank = 3

__all__ = [
    "AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D", "AdaptiveAveragePooling3D", "AdaptiveMaxPooling1D",
    "AdaptiveMaxPooling2D", "AdaptiveMaxPooling3D",
]
