"""`UpSampling3D`: repeats each entry of the 3 spatial axes by `size`."""

from __future__ import annotations

from ..arguments import standardize_data_format, standardize_tuple
from ..base import InputSpec
from .up_sampling import BaseUpSampling


class UpSampling3D(BaseUpSampling):
    """Keras `UpSampling3D(size=(2, 2, 2), data_format=None)`."""

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(self, data_format)
        self.size = standardize_tuple(self, size, 3, "size")
        self.input_spec = InputSpec(ndim=5)

__all__ = ["UpSampling3D"]
