"""What UpSampling1D/2D/3D share: repeating each spatial row `size` times (nearest neighbour)."""

from __future__ import annotations

from ...ops.resize import repeat_axes
from ..base import Layer
from .zero_padding import spatial_axes


class BaseUpSampling(Layer):
    """Subclasses set `data_format` and `size` (one positive int per spatial axis)."""

    data_format: str
    size: tuple

    @property
    def _axes(self) -> tuple:
        return tuple(spatial_axes(self.data_format, len(self.size)))

    def forward(self, inputs):
        return repeat_axes(inputs, self.size, self._axes)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        for axis, factor in zip(self._axes, self.size):
            if shape[axis] is not None:
                shape[axis] *= factor
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "size": self.size, "data_format": self.data_format}
