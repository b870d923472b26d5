"""`MeanShiftPooling1D/2D`: max pooling of mean-centred windows (not in Keras).

Definition. For each window W (Keras' `pool_size`/`strides`/`padding` rules, TF SAME included; padded
cells are not part of the window) and channel, the window is shifted to zero mean and max-pooled:
``y = max_{i in W} (x_i - mean_W(x)) = max_W(x) - mean_W(x)``. The output is the window's peak
*above its local mean*: invariant to a constant offset of the input, zero on flat regions.

Source: this is the subtractive (local mean removal) normalisation of Jarrett, Kavukcuoglu, Ranzato &
LeCun, "What is the best multi-stage architecture for object recognition?", ICCV 2009 (§2, "Local
Contrast Normalization", subtractive step ``v = x - sum w x``), with uniform weights over the pooling
window itself, followed by max pooling; equivalently Yu et al.'s "mixed pooling" (RSKT 2014) with the
weights +1 (max) and -1 (average). "Mean shift" here means shifting each window by its mean, not
Comaniciu & Meer's mode-seeking algorithm.
"""

from __future__ import annotations

from ...ops.pooling import avg_pool, max_pool
from .base_pooling import BasePooling


class _MeanShiftPooling(BasePooling, registered=False):
    def _pool(self, x, pads):
        return max_pool(x, self._op_pool_size, self._op_strides, pads) - avg_pool(x, self._op_pool_size, self._op_strides, pads)


class MeanShiftPooling1D(_MeanShiftPooling, torch_only=True):
    """`MeanShiftPooling1D(pool_size=2, strides=None, padding="valid", data_format=None)`."""

    rank = 1

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MeanShiftPooling2D(_MeanShiftPooling, torch_only=True):
    """`MeanShiftPooling2D(pool_size=(2, 2), strides=None, padding="valid", data_format=None)`."""

    rank = 2

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)

__all__ = ["MeanShiftPooling1D", "MeanShiftPooling2D"]
