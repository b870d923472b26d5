"""`RandomTranslation`: shift each image by a random fraction of its height and width, in training."""

from __future__ import annotations

import torch

from ...ops import image_transform
from .base_random_image import BaseRandomAffineLayer, symmetric_range


class RandomTranslation(BaseRandomAffineLayer):
    """Keras `RandomTranslation(height_factor, width_factor, fill_mode="reflect", interpolation="bilinear",
    seed=None, fill_value=0.0, data_format=None)`.

    A factor f in [-1, 1] (or a pair) draws the shift from [-|f|, |f|] times the height (width) in pixels;
    a positive shift moves the content down (right). Identity in inference (integer images become the
    compute dtype). Transformation: {"translations": (batch, 2) pixels, (width shift, height shift)}.
    """

    def __init__(self, height_factor, width_factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed, fill_value=fill_value,
                         data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.height_lower, self.height_upper = symmetric_range(self, "height_factor", height_factor, False)
        self.width_factor = width_factor
        self.width_lower, self.width_upper = symmetric_range(self, "width_factor", width_factor, False)

    def get_random_transformation(self, images, training=True):
        if not training:
            return None
        height, width = self.image_size(images)
        shape = (images.shape[0], 1)
        height_shift = self.uniform(shape, self.height_lower, self.height_upper, images.device) * height
        width_shift = self.uniform(shape, self.width_lower, self.width_upper, images.device) * width
        return {"translations": torch.cat([width_shift, height_shift], dim=1)}

    def transform_matrix(self, images, transformation):
        return image_transform.translation_transform(transformation["translations"].to(images.device))

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}

__all__ = ["RandomTranslation"]
