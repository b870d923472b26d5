"""`Cropping3D`: removes rows at both ends of each of the 3 spatial axes."""

from __future__ import annotations

from ..arguments import standardize_data_format, standardize_pairs
from ..base import InputSpec
from .cropping import BaseCropping


class Cropping3D(BaseCropping):
    """Keras `Cropping3D(cropping=((1, 1), (1, 1), (1, 1)), data_format=None)`: `cropping` is an int, 3 ints
    (symmetric per axis) or 3 (before, after) pairs. Returns a view."""

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(self, data_format)
        self.cropping = standardize_pairs(self, cropping, 3, "cropping")
        self.input_spec = InputSpec(ndim=5)

__all__ = ["Cropping3D"]
