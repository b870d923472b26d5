"""`UpSampling2D`: enlarges the 2 spatial axes by integer factors, interpolating as TensorFlow does."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ...ops.layout import from_channels_first, to_channels_first
from ...ops.resize import apply_axis_matrix, resize_matrix
from ..arguments import standardize_data_format, standardize_tuple
from ..base import InputSpec
from .up_sampling import BaseUpSampling
from .zero_padding import spatial_axes

INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "lanczos3", "lanczos5", "area")  # Keras 3.15, TF backend


class UpSampling2D(BaseUpSampling):
    """Keras `UpSampling2D(size=(2, 2), data_format=None, interpolation="nearest")`.

    Every interpolation Keras' TensorFlow backend accepts, with `tf.image.resize`'s numbers:
    "nearest" repeats rows and columns (Keras' `ops.repeat`), and so does "area" (for whole factors
    each output pixel lies inside one input pixel); "bilinear" is `F.interpolate` with half-pixel
    centres (`align_corners=False`), TF's rule; "bicubic", "lanczos3" and "lanczos5" apply TF's own
    one-axis interpolation matrices (`ops.resize`; torch's bicubic uses another cubic).
    """

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(self, data_format)
        self.size = standardize_tuple(self, size, 2, "size")
        if not isinstance(interpolation, str) or interpolation.lower() not in INTERPOLATIONS:
            raise self._arg_error("interpolation", f"must be one of {INTERPOLATIONS}", interpolation)
        self.interpolation = interpolation.lower()
        self.input_spec = InputSpec(ndim=4)

    def forward(self, inputs):
        if self.interpolation in ("nearest", "area"):
            return super().forward(inputs)
        if not inputs.is_floating_point():
            # Keras' `ops.image.resize`: integers resize in float32, then round and saturate to their dtype
            resized = self._interpolate(inputs.float()).round()
            info = torch.iinfo(inputs.dtype)
            return resized.clamp(info.min, info.max).to(inputs.dtype)
        return self._interpolate(inputs)

    def _interpolate(self, inputs):
        if self.interpolation == "bilinear":
            images = to_channels_first(inputs, self.data_format)
            out_size = [images.shape[2] * self.size[0], images.shape[3] * self.size[1]]
            resized = F.interpolate(images, size=out_size, mode="bilinear", align_corners=False)
            return from_channels_first(resized, self.data_format, 2)
        outputs = inputs
        for axis, factor in zip(spatial_axes(self.data_format, 2), self.size):
            size = inputs.shape[axis]
            outputs = apply_axis_matrix(outputs, resize_matrix(self.interpolation, size, size * factor,
                                                               inputs.device), axis)
        return outputs

    def get_config(self):
        return {**super().get_config(), "interpolation": self.interpolation}

__all__ = ["UpSampling2D"]
