"""`Resizing`: resize images to `height` x `width`, optionally cropping or padding to the aspect ratio first."""

from __future__ import annotations

import numbers

from ..arguments import standardize_data_format
from ..base import Layer
from . import _image

_FILL_MODES = ("constant",)  # the TensorFlow backend's resize supports only this one


class Resizing(Layer):
    """Keras `Resizing` (Keras 3.15 arguments).

    Every `interpolation` equals TensorFlow's `tf.image.resize`: "bilinear" and "nearest" (TF half-pixel),
    and with `antialias=True` "bilinear" and "bicubic", are torch's kernels; "bicubic" without antialias,
    "area", "lanczos3" and "lanczos5" are TF's separable weights as two matmuls (ops/resize.py). Values
    Keras rejects at call time
    (an unknown interpolation, a `fill_mode` other than "constant", both aspect-ratio options) are
    rejected at the first call, with the same conditions. Integer images are rounded and saturated back
    to their dtype, as Keras does.
    """

    def __init__(
        self,
        height,
        width,
        interpolation="bilinear",
        crop_to_aspect_ratio=False,
        pad_to_aspect_ratio=False,
        fill_mode="constant",
        fill_value=0.0,
        antialias=False,
        data_format=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        for arg, value in (("height", height), ("width", width)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise self._arg_error(arg, "must be a positive int", value, TypeError)
            if value < 1:
                raise self._arg_error(arg, "must be a positive int", value)
        if isinstance(fill_value, bool) or not isinstance(fill_value, numbers.Real):
            raise self._arg_error("fill_value", "must be a number", fill_value, TypeError)
        self.height = height
        self.width = width
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)
        self.pad_to_aspect_ratio = bool(pad_to_aspect_ratio)
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.antialias = bool(antialias)
        self.data_format = standardize_data_format(self, data_format)

    def build(self, input_shape):
        # Keras' TensorFlow backend checks these when resizing, so they are call-time errors there too.
        if self.interpolation not in _image.KERAS_INTERPOLATIONS:
            raise self._arg_error("interpolation", f"must be one of {_image.KERAS_INTERPOLATIONS}", self.interpolation)
        if self.fill_mode not in _FILL_MODES:
            raise self._arg_error("fill_mode", f"must be one of {_FILL_MODES}", self.fill_mode)
        if self.crop_to_aspect_ratio and self.pad_to_aspect_ratio:
            raise ValueError(f"{self.__class__.__name__}: only one of `pad_to_aspect_ratio` and "
                             "`crop_to_aspect_ratio` can be True; received both")

    def forward(self, inputs):
        if inputs.dim() not in (3, 4):
            raise ValueError(f"{self.__class__.__name__} ({self.name!r}): expected images of rank 3 (height, width, "
                             f"channels) or 4 (batch, ...); received input shape {tuple(inputs.shape)}")
        _image.check_resizable(self, inputs, self.data_format)
        x = inputs if inputs.is_floating_point() else inputs.float()
        h_axis, w_axis = _image.spatial_axes(x.dim(), self.data_format)
        height, width = x.shape[h_axis], x.shape[w_axis]
        pad = (0, 0)
        if self.crop_to_aspect_ratio:
            x = _image.crop(x, self.data_format, *_image.crop_box(height, width, self.height, self.width))
        elif self.pad_to_aspect_ratio:
            pad = _image.pad_amounts(height, width, self.height, self.width)
        outputs = _image.resize(x, (self.height, self.width), self.interpolation, self.data_format, pad,
                                self.fill_value, self.antialias)
        return outputs if inputs.is_floating_point() else _image.saturate_cast(outputs, inputs.dtype)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        if len(shape) not in (3, 4):
            raise ValueError(f"{self.__class__.__name__} ({self.name!r}): `input_shape` must have rank 3 or 4; "
                             f"received {tuple(input_shape)}")
        h_axis, w_axis = _image.spatial_axes(len(shape), self.data_format)
        shape[h_axis], shape[w_axis] = self.height, self.width
        return tuple(shape)

    def get_config(self):
        return {
            **super().get_config(),
            "height": self.height,
            "width": self.width,
            "interpolation": self.interpolation,
            "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
            "pad_to_aspect_ratio": self.pad_to_aspect_ratio,
            "fill_mode": self.fill_mode,
            "fill_value": self.fill_value,
            "antialias": self.antialias,
            "data_format": self.data_format,
        }

__all__ = ["Resizing"]
