"""`ZeroPadding1D`: zeros before and after the steps axis."""

from __future__ import annotations

from ..arguments import standardize_data_format, standardize_tuple
from ..base import InputSpec
from .zero_padding import BaseZeroPadding


class ZeroPadding1D(BaseZeroPadding):
    """Keras `ZeroPadding1D(padding=1, data_format=None)`: `padding` is an int or (before, after)."""

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(self, data_format)
        self.padding = standardize_tuple(self, padding, 2, "padding", allow_zero=True)
        self.input_spec = InputSpec(ndim=3)

    @property
    def axis_pads(self):
        return (self.padding,)

__all__ = ["ZeroPadding1D"]
