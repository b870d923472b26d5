"""`Cropping1D`: removes steps at the start and end of the steps axis."""

from __future__ import annotations

from ..arguments import standardize_tuple
from ..base import InputSpec
from .cropping import BaseCropping


class Cropping1D(BaseCropping):
    """Keras `Cropping1D(cropping=(1, 1))` on `(batch, steps, features)` (Keras has no data_format here)."""

    data_format = "channels_last"

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self.cropping = (standardize_tuple(self, cropping, 2, "cropping", allow_zero=True),)
        self.input_spec = InputSpec(ndim=3)

    def get_config(self):
        config = super().get_config()
        del config["data_format"]
        return {**config, "cropping": self.cropping[0]}

__all__ = ["Cropping1D"]
