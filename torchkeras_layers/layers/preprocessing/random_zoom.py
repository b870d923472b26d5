"""`RandomZoom`: zoom each image in or out about its centre by a random factor, in training."""

from __future__ import annotations

from ...ops import image_transform
from .base_random_image import BaseRandomAffineLayer, symmetric_range


class RandomZoom(BaseRandomAffineLayer):
    """Keras `RandomZoom(height_factor, width_factor=None, fill_mode="reflect", interpolation="bilinear",
    seed=None, fill_value=0.0, data_format=None)`.

    A factor f in (-1, 1] (or a pair) draws the zoom from [1 - |f|, 1 + |f|] (a pair (l, u): [1 + l, 1 + u]);
    the zoom scales the sampling grid, so a positive factor zooms *out* (the image shrinks). Without
    `width_factor` both axes use the height's draw (the aspect ratio is kept). Identity in inference
    (integer images become the compute dtype). Transformation: {"height_zoom", "width_zoom"}: (batch, 1).
    """

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed, fill_value=fill_value,
                         data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.height_lower, self.height_upper = symmetric_range(self, "height_factor", height_factor, True)
        self.width_factor = width_factor
        if width_factor is not None:
            self.width_lower, self.width_upper = symmetric_range(self, "width_factor", width_factor, True)

    def get_random_transformation(self, images, training=True):
        if not training:
            return None
        shape = (images.shape[0], 1)
        height_zoom = self.uniform(shape, 1.0 + self.height_lower, 1.0 + self.height_upper, images.device)
        if self.width_factor is None:
            return {"height_zoom": height_zoom, "width_zoom": height_zoom}
        width_zoom = self.uniform(shape, 1.0 + self.width_lower, 1.0 + self.width_upper, images.device)
        return {"height_zoom": height_zoom, "width_zoom": width_zoom}

    def transform_matrix(self, images, transformation):
        return image_transform.zoom_transform(transformation["height_zoom"].to(images.device),
                                              transformation["width_zoom"].to(images.device),
                                              *self.image_size(images))

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}

__all__ = ["RandomZoom"]
