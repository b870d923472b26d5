"""What Keras' random image augmentation layers share (`BaseImagePreprocessingLayer`).

Each layer is active only in training: `forward` draws the per-call random parameters with
`get_random_transformation(images)` and applies them with `transform_images(images, transformation)`,
the two halves of Keras' `call`, with Keras' transformation dictionaries (same keys, shapes and
meaning), so a transformation Keras drew can be applied by both. In inference the images pass through
(cast to the compute dtype where Keras casts them). With a `seed`, a layer owns a `torch.Generator` on
the input's device: equal seeds draw equal transformations, successive calls new ones (TensorFlow's
streams themselves cannot be reproduced).
"""

from __future__ import annotations

import numbers

import torch

from ...ops import image_transform
from ..arguments import standardize_data_format
from ..base import Layer
from ..regularization.random_state import check_seed, seeded_generator
from . import _image


def factor_range(layer: Layer, arg: str, factor, bounds: tuple[float, float]) -> tuple[float, float]:
    """Keras' `BaseImagePreprocessingLayer._set_factor`: a number f in `bounds` gives (max(-|f|, low), |f|);
    a pair is sorted and must overlap `bounds`."""
    low, high = bounds
    expected = f"must be a number (or a list of two numbers) in the range [{low}, {high}]"
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or not all(isinstance(f, numbers.Real) for f in factor):
            raise layer._arg_error(arg, expected, factor)
        if factor[0] > high or factor[1] < low:
            raise layer._arg_error(arg, expected, factor)
        lower, upper = sorted(factor)
        return lower, upper
    if not isinstance(factor, numbers.Real) or not low <= factor <= high:
        raise layer._arg_error(arg, expected, factor)
    return max(-abs(factor), low), abs(factor)


def symmetric_range(layer: Layer, arg: str, factor, open_below: bool) -> tuple[float, float]:
    """RandomZoom's and RandomTranslation's `_set_factor`: each number in [-1, 1] ((-1, 1] for zoom, whose
    factor -1 would zoom by 0); a number f gives (-|f|, |f|), a pair is sorted."""
    expected = f"must be a number (or a list of two numbers) in the range {'(' if open_below else '['}-1.0, 1.0]"

    def check(value):
        if not isinstance(value, numbers.Real) or value > 1.0 or value < -1.0 or (open_below and value == -1.0):
            raise layer._arg_error(arg, expected, factor)

    if isinstance(factor, (tuple, list)):
        if len(factor) != 2:
            raise layer._arg_error(arg, expected, factor)
        check(factor[0])
        check(factor[1])
        lower, upper = sorted(factor)
        return lower, upper
    check(factor)
    return -abs(factor), abs(factor)


def check_choice(layer: Layer, arg: str, value, choices: tuple) -> str:
    if value not in choices:
        raise layer._arg_error(arg, f"must be one of {choices}", value)
    return value


class BaseRandomImageLayer(Layer, registered=False):
    """The shared call: rank check, inference pass-through, draw, transform."""

    def __init__(self, seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = check_seed(self, seed)
        self.data_format = standardize_data_format(self, data_format)

    def forward(self, inputs, training=None):
        if inputs.dim() not in (3, 4):
            raise ValueError(f"{self.__class__.__name__} ({self.name!r}): expected images of rank 3 (height, width, "
                             f"channels) or 4 (batch, ...); received input shape {tuple(inputs.shape)}")
        if not self.resolve_training(training):
            return self.inference(inputs)
        images = inputs if inputs.dim() == 4 else inputs.unsqueeze(0)
        images = images if images.is_floating_point() else images.to(self.compute_dtype)
        outputs = self.transform_images(images, self.get_random_transformation(images))
        return outputs if inputs.dim() == 4 else outputs.squeeze(0)

    def inference(self, inputs: torch.Tensor) -> torch.Tensor:
        """Keras casts the images to the compute dtype even when it leaves them unchanged."""
        return inputs if inputs.is_floating_point() else inputs.to(self.compute_dtype)

    def get_random_transformation(self, images: torch.Tensor, training=True) -> dict:
        """The random parameters for a batch `images` (rank 4), in Keras' transformation dictionary
        (None when not training, as Keras)."""
        raise NotImplementedError

    def transform_images(self, images: torch.Tensor, transformation: dict) -> torch.Tensor:
        """`images` (rank 4, floating) transformed by `transformation` (as `get_random_transformation` gives)."""
        raise NotImplementedError

    def image_size(self, images: torch.Tensor) -> tuple[int, int]:
        h_axis, w_axis = _image.spatial_axes(images.dim(), self.data_format)
        return images.shape[h_axis], images.shape[w_axis]

    def uniform(self, shape, low: float, high: float, device, dtype=torch.float32) -> torch.Tensor:
        """Keras' `random.uniform(shape, minval=low, maxval=high)` from the layer's stream."""
        draw = torch.rand(shape, generator=seeded_generator(self, device), device=device, dtype=dtype)
        return draw * (high - low) + low

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "seed": self.seed, "data_format": self.data_format}


class BaseRandomAffineLayer(BaseRandomImageLayer, registered=False):
    """RandomRotation, RandomZoom, RandomTranslation: an affine transform per image, resampled as Keras'
    `affine_transform` (TF's `ImageProjectiveTransformV3`) with `fill_mode`, `interpolation` and
    `fill_value`. Subclasses give `transform_matrix(images, transformation)` (batch, 8)."""

    def __init__(self, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.fill_mode = check_choice(self, "fill_mode", fill_mode, image_transform.FILL_MODES)
        self.interpolation = check_choice(self, "interpolation", interpolation, image_transform.INTERPOLATIONS)
        if isinstance(fill_value, bool) or not isinstance(fill_value, numbers.Real):
            raise self._arg_error("fill_value", "must be a number", fill_value, TypeError)
        self.fill_value = fill_value

    def transform_matrix(self, images: torch.Tensor, transformation: dict) -> torch.Tensor:
        raise NotImplementedError

    def transform_images(self, images, transformation):
        if 0 in self.image_size(images):  # TF's ImageProjectiveTransformV3: "output dimensions must be positive"
            raise ValueError(f"{self.__class__.__name__} ({self.name!r}): cannot transform images without rows or "
                             f"columns; received input shape {tuple(images.shape)}")
        return image_transform.affine_transform(images, self.transform_matrix(images, transformation),
                                                self.interpolation, self.fill_mode, self.fill_value,
                                                self.data_format)

    def get_config(self):
        return {**super().get_config(), "fill_mode": self.fill_mode, "fill_value": self.fill_value,
                "interpolation": self.interpolation}
