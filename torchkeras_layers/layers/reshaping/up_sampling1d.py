"""`UpSampling1D`: repeats each step `size` times."""

from __future__ import annotations

from ..base import InputSpec
from .up_sampling import BaseUpSampling


class UpSampling1D(BaseUpSampling):
    """Keras `UpSampling1D(size=2)` on `(batch, steps, features)`."""

    data_format = "channels_last"

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        if isinstance(size, bool) or not isinstance(size, int):
            raise self._arg_error("size", "must be an int", size, TypeError)
        if size <= 0:
            raise self._arg_error("size", "must be a positive integer", size)
        self.size = (size,)
        self.input_spec = InputSpec(ndim=3)

    def get_config(self):
        config = super().get_config()
        del config["data_format"]
        return {**config, "size": self.size[0]}

__all__ = ["UpSampling1D"]
