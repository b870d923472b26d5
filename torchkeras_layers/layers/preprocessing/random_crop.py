"""`RandomCrop`: crop a random `height` x `width` window of the images, in training."""

from __future__ import annotations

import torch

from . import _image
from .base_random_image import BaseRandomImageLayer


class RandomCrop(BaseRandomImageLayer):
    """Keras `RandomCrop(height, width, seed=None, data_format=None)`.

    In training, when the images are larger than `height` x `width` on both axes, one window, at a random
    offset drawn once per call, is cropped from every image of the batch. Otherwise Keras slices the
    `height` x `width` window at the offsets of the centred crop with the target aspect ratio (the slice
    stops at the image's edge, so it is not that crop) and resizes it bilinearly (TF's half-pixel
    bilinear) to `height` x `width` when it is not that size already.
    Integer images become the compute dtype. In inference the images pass through untouched, integer and
    float64 ones too: Keras neither crops nor casts them then (its docstring's "centre crop at
    inference" is not what its code does). Without a seed, the config reports a random one, as Keras'.
    Transformation: (top, left) offsets.
    """

    _convert_input_args = False  # Keras' RandomCrop leaves inference inputs in their dtype

    def __init__(self, height, width, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        for arg, value in (("height", height), ("width", width)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise self._arg_error(arg, "must be a positive int", value, TypeError)
            if value < 1:
                raise self._arg_error(arg, "must be a positive int", value)
        self.height = height
        self.width = width
        # Keras' config carries a random seed when none is given; its stream stays unseeded.
        self._config_seed = seed if seed is not None else int(torch.randint(1, 1_000_000_000, ()).item())

    def inference(self, inputs):
        return inputs

    def forward(self, inputs, training=None):
        policy = self.dtype_policy
        if self.resolve_training(training) and inputs.is_floating_point() and self.autocast and (
                policy.is_mixed or policy.compute_dtype != torch.float32):
            # the base layer's cast, which this layer skips in inference (under the default float32 policy,
            # floating inputs pass through, as for every weightless layer)
            inputs = inputs.to(policy.compute_dtype)
        return super().forward(inputs, training)

    def get_random_transformation(self, images, training=True):
        if not training:
            return None
        height, width = self.image_size(images)
        if height > self.height and width > self.width:
            top = self.uniform((), 0.0, float(height - self.height + 1), images.device).floor().long()
            left = self.uniform((), 0.0, float(width - self.width + 1), images.device).floor().long()
            return top, left
        top, left, _, _ = _image.crop_box(height, width, self.height, self.width)
        return top, left

    def transform_images(self, images, transformation):
        top, left = transformation
        height, width = self.image_size(images)
        h_axis, w_axis = _image.spatial_axes(images.dim(), self.data_format)
        if not isinstance(top, torch.Tensor) and not isinstance(left, torch.Tensor):
            crop_height, crop_width = min(self.height, height - top), min(self.width, width - left)
            outputs = _image.crop(images, self.data_format, top, left, crop_height, crop_width)
        else:  # offsets drawn as tensors: an index gather keeps the crop traceable (torch.compile, ONNX)
            rows = torch.arange(self.height, device=images.device) + torch.as_tensor(top, device=images.device)
            columns = torch.arange(self.width, device=images.device) + torch.as_tensor(left, device=images.device)
            outputs = images.index_select(h_axis, rows).index_select(w_axis, columns)
        if (outputs.shape[h_axis], outputs.shape[w_axis]) != (self.height, self.width):
            _image.check_resizable(self, outputs, self.data_format)
            outputs = _image.resize(outputs, (self.height, self.width), "bilinear", self.data_format)
        return outputs

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        h_axis, w_axis = _image.spatial_axes(len(shape), self.data_format)
        shape[h_axis], shape[w_axis] = self.height, self.width
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width, "seed": self._config_seed}

__all__ = ["RandomCrop"]
