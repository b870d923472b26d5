"""Every layer class, named exactly as in `keras.layers`, plus Keras' aliases.

Each family folder's `__init__` lists its classes in `__all__`; this module re-exports them all.
"""

from .base import InputSpec, Layer
from .applications import *  # noqa: F401,F403
from .attention import *  # noqa: F401,F403
from .convolutional import *  # noqa: F401,F403
from .core import *  # noqa: F401,F403
from .merging import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .preprocessing import *  # noqa: F401,F403
from .reshaping import *  # noqa: F401,F403
from . import applications, attention, convolutional, core, merging, normalization, pooling, preprocessing, reshaping

__all__ = ["Layer", "InputSpec"] + [
    name
    for family in (core, reshaping, merging, normalization, convolutional, pooling, attention, preprocessing,
                   applications)
    for name in family.__all__
]
