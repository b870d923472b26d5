"""`RandomRotation`: rotate each image by a random angle about its centre, in training."""

from __future__ import annotations

from ...ops import image_transform
from .base_random_image import BaseRandomAffineLayer, factor_range


class RandomRotation(BaseRandomAffineLayer):
    """Keras `RandomRotation(factor, fill_mode="reflect", interpolation="bilinear", seed=None,
    fill_value=0.0, data_format=None)`.

    `factor` is a fraction of a full turn: f gives angles drawn from [-360 f, 360 f] degrees, a pair
    (l, u) from [360 l, 360 u]; positive angles rotate counter-clockwise. Identity in inference (integer
    images become the compute dtype). Transformation: {"angle": degrees (batch,)}.
    """

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 data_format=None, **kwargs):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed, fill_value=fill_value,
                         data_format=data_format, **kwargs)
        self.factor = factor_range(self, "factor", factor, (-1, 1))

    def get_random_transformation(self, images, training=True):
        if not training:
            return None
        lower, upper = self.factor
        return {"angle": self.uniform((images.shape[0],), lower * 360.0, upper * 360.0, images.device)}

    def transform_matrix(self, images, transformation):
        return image_transform.rotation_transform(transformation["angle"].to(images.device).reshape(-1),
                                                  *self.image_size(images))

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}

__all__ = ["RandomRotation"]
