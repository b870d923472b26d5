"""`OverlappingPooling2D`: max or average pooling whose windows overlap (strides < pool_size), not in Keras.

Definition. Exactly `MaxPooling2D` / `AveragePooling2D` (Keras' window and TF SAME padding rules)
with the constraint ``strides < pool_size`` on every axis, so neighbouring windows share cells.
Defaults are AlexNet's z = 3, s = 2.

Source: Krizhevsky, Sutskever & Hinton, "ImageNet classification with deep convolutional neural
networks", NIPS 2012, §3.4 "Overlapping Pooling" (s = 2, z = 3 lowered top-1/top-5 error by 0.4%/0.3%
against s = z = 2).
"""

from __future__ import annotations

from ...ops.pooling import avg_pool, max_pool
from .base_pooling import BasePooling

_POOLS = {"max": max_pool, "average": avg_pool}


class OverlappingPooling2D(BasePooling, torch_only=True):
    """`OverlappingPooling2D(pool_size=(3, 3), strides=(2, 2), padding="valid", data_format=None,
    pool_mode="max")`; `pool_mode` is "max" or "average"."""

    rank = 2

    def __init__(self, pool_size=(3, 3), strides=(2, 2), padding="valid", data_format=None, pool_mode="max", **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)
        if any(s >= k for s, k in zip(self.strides, self.pool_size)):
            raise self._arg_error(
                "strides", f"must be smaller than `pool_size` {self.pool_size} on every axis so that windows overlap "
                "(use MaxPooling2D/AveragePooling2D otherwise)", strides,
            )
        if pool_mode not in _POOLS:
            raise self._arg_error("pool_mode", f"must be one of {tuple(_POOLS)}", pool_mode)
        self.pool_mode = pool_mode
        self._pool_op = _POOLS[pool_mode]

    def _pool(self, x, pads):
        return self._pool_op(x, self._op_pool_size, self._op_strides, pads)

    def get_config(self):
        return {**super().get_config(), "pool_mode": self.pool_mode}

__all__ = ["OverlappingPooling2D"]
