"""`Cropping2D`: removes rows at both ends of each of the 2 spatial axes."""

from __future__ import annotations

from ..arguments import standardize_data_format, standardize_pairs
from ..base import InputSpec
from .cropping import BaseCropping


class Cropping2D(BaseCropping):
    """Keras `Cropping2D(cropping=((0, 0), (0, 0)), data_format=None)`: `cropping` is an int, 2 ints
    (symmetric per axis) or 2 (before, after) pairs. Returns a view."""

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(self, data_format)
        self.cropping = standardize_pairs(self, cropping, 2, "cropping")
        self.input_spec = InputSpec(ndim=4)

__all__ = ["Cropping2D"]
