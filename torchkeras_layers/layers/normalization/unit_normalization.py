"""`UnitNormalization`: scale each sample to unit L2 norm over `axis`."""

from __future__ import annotations

from ...ops.normalize import l2_normalize
from ..base import Layer
from ._axes import check_axes_in_rank, standardize_axis

# Keras' UnitNormalization passes its own epsilon to ops.normalize (not keras.config.epsilon()).
_EPSILON = 1e-12


class UnitNormalization(Layer, built_at_init=True):
    """Keras `UnitNormalization(axis=-1)`: `x * min(rsqrt(sum(x^2, axis)), 1/1e-12)`. Built at init, as in Keras."""

    supports_masking = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = standardize_axis(self, axis)

    def forward(self, inputs, mask=None):
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        dims = check_axes_in_rank(self, axes, inputs.shape)
        return l2_normalize(inputs, dim=tuple(dims), epsilon=_EPSILON)

    def compute_output_shape(self, input_shape):
        check_axes_in_rank(self, self.axis if isinstance(self.axis, list) else [self.axis], input_shape)
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}

__all__ = ["UnitNormalization"]
