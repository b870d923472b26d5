"""`ZeroPadding3D`: zeros around the 3 spatial axes."""

from __future__ import annotations

from ..arguments import standardize_data_format, standardize_pairs
from ..base import InputSpec
from .zero_padding import BaseZeroPadding


class ZeroPadding3D(BaseZeroPadding):
    """Keras `ZeroPadding3D(padding=((1, 1), (1, 1), (1, 1)), data_format=None)`: `padding` is an int, 3 ints
    (symmetric per axis) or 3 (before, after) pairs."""

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(self, data_format)
        self.padding = standardize_pairs(self, padding, 3, "padding")
        self.input_spec = InputSpec(ndim=5)

    @property
    def axis_pads(self):
        return self.padding

__all__ = ["ZeroPadding3D"]
