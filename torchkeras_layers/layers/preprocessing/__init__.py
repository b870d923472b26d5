from .center_crop import CenterCrop
from .normalization import Normalization
from .rescaling import Rescaling
from .resizing import Resizing

__all__ = ["CenterCrop", "Normalization", "Rescaling", "Resizing"]
