"""What Cropping1D/2D/3D share: a slicing view of the spatial axes, checked against their sizes."""

from __future__ import annotations

from ..base import Layer
from .zero_padding import spatial_axes


class BaseCropping(Layer, registered=False):
    """Subclasses set `data_format` and `cropping` (per spatial axis (before, after))."""

    data_format: str
    cropping: tuple

    def _check_sizes(self, shape) -> None:
        for axis, (lo, hi) in zip(spatial_axes(self.data_format, len(self.cropping)), self.cropping):
            if shape[axis] is not None and lo + hi >= shape[axis]:
                raise ValueError(f"{self.__class__.__name__} ({self.name!r}): argument `cropping` must be smaller "
                                 f"than the input along each spatial axis; received cropping={self.cropping} for "
                                 f"input shape {tuple(shape)}")

    def forward(self, inputs):
        self._check_sizes(inputs.shape)
        index = [slice(None)] * inputs.dim()
        for axis, (lo, hi) in zip(spatial_axes(self.data_format, len(self.cropping)), self.cropping):
            index[axis] = slice(lo, inputs.shape[axis] - hi)
        return inputs[tuple(index)]

    def compute_output_shape(self, input_shape):
        self._check_sizes(input_shape)
        shape = list(input_shape)
        for axis, (lo, hi) in zip(spatial_axes(self.data_format, len(self.cropping)), self.cropping):
            if shape[axis] is not None:
                shape[axis] -= lo + hi
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping, "data_format": self.data_format}
