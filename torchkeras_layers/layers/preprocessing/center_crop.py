"""`CenterCrop`: crop the centre of images; smaller images are aspect-cropped and resized instead."""

from __future__ import annotations

from ..arguments import standardize_data_format
from ..base import Layer
from . import _image


class CenterCrop(Layer):
    """Keras `CenterCrop(height, width, data_format=None)`.

    Images of rank 3 (one image) or 4 (a batch). When the image is at least `height` x `width`, the
    output is the centred window (offsets `(H - height) // 2`, `(W - width) // 2`), a view of the input.
    Otherwise Keras' `smart_resize`: the largest centred crop with the target aspect ratio, resized
    bilinearly (TF's half-pixel bilinear) to `height` x `width`. Integer images become the compute dtype.
    """

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(**kwargs)
        for arg, value in (("height", height), ("width", width)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise self._arg_error(arg, "must be a positive int", value, TypeError)
            if value < 1:
                raise self._arg_error(arg, "must be a positive int", value)
        self.height = height
        self.width = width
        self.data_format = standardize_data_format(self, data_format)

    def forward(self, inputs):
        if inputs.dim() not in (3, 4):
            raise ValueError(f"{self.__class__.__name__} ({self.name!r}): expected images of rank 3 (height, width, "
                             f"channels) or 4 (batch, ...); received input shape {tuple(inputs.shape)}")
        x = inputs if inputs.is_floating_point() else inputs.to(self.compute_dtype)
        h_axis, w_axis = _image.spatial_axes(x.dim(), self.data_format)
        height, width = x.shape[h_axis], x.shape[w_axis]
        if height >= self.height and width >= self.width:
            return _image.crop(x, self.data_format, (height - self.height) // 2, (width - self.width) // 2,
                               self.height, self.width)
        _image.check_resizable(self, x, self.data_format)
        box = _image.crop_box(height, width, self.height, self.width)
        return _image.resize(_image.crop(x, self.data_format, *box), (self.height, self.width), "bilinear",
                             self.data_format)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        if len(shape) not in (3, 4):
            raise ValueError(f"{self.__class__.__name__} ({self.name!r}): `input_shape` must have rank 3 or 4; "
                             f"received {tuple(input_shape)}")
        h_axis, w_axis = _image.spatial_axes(len(shape), self.data_format)
        shape[h_axis], shape[w_axis] = self.height, self.width
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width, "data_format": self.data_format}

__all__ = ["CenterCrop"]
