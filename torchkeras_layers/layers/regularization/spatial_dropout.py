"""`SpatialDropout1D/2D/3D`: dropout of whole feature maps (one keep/drop draw per sample and channel)."""

from __future__ import annotations

from ...dtypes import dtype_name
from ..arguments import standardize_data_format
from ..base import InputSpec
from ..core.dropout import Dropout


class BaseSpatialDropout(Dropout, registered=False):
    """Keras' `BaseSpatialDropout`: a `Dropout` whose noise shape keeps the batch and channel axes and
    broadcasts over the spatial ones. As in Keras, the constructor takes no base-layer arguments
    besides `name` and `dtype`, and the config is `rate`, `seed`, `name`, `dtype` (the variable dtype's
    name), plus `data_format` for 2D/3D."""

    spatial_rank: int

    def __init__(self, rate, seed=None, name=None, dtype=None, data_format=None):
        super().__init__(rate, seed=seed, name=name, dtype=dtype)
        self.data_format = standardize_data_format(self, data_format)
        self.input_spec = InputSpec(ndim=self.spatial_rank + 2)
        spatial = (1,) * self.spatial_rank
        channels_last = self.data_format == "channels_last"
        self.noise_shape = (None,) + spatial + (None,) if channels_last else (None, None) + spatial

    def get_config(self):
        return {"rate": self.rate, "seed": self.seed, "name": self.name, "dtype": dtype_name(self.dtype)}


class SpatialDropout1D(BaseSpatialDropout, built_at_init=True):
    """Keras `SpatialDropout1D(rate, seed=None)` on `(batch, steps, channels)`."""

    spatial_rank = 1

    def __init__(self, rate, seed=None, name=None, dtype=None):
        super().__init__(rate, seed=seed, name=name, dtype=dtype)


class SpatialDropout2D(BaseSpatialDropout, built_at_init=True):
    """Keras `SpatialDropout2D(rate, data_format=None, seed=None)`."""

    spatial_rank = 2

    def __init__(self, rate, data_format=None, seed=None, name=None, dtype=None):
        super().__init__(rate, seed=seed, name=name, dtype=dtype, data_format=data_format)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class SpatialDropout3D(BaseSpatialDropout, built_at_init=True):
    """Keras `SpatialDropout3D(rate, data_format=None, seed=None)`."""

    spatial_rank = 3

    def __init__(self, rate, data_format=None, seed=None, name=None, dtype=None):
        super().__init__(rate, seed=seed, name=name, dtype=dtype, data_format=data_format)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}

__all__ = ["SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D"]
