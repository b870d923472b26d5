"""`RandomFlip`: flip images left-right and/or top-bottom, each image with probability 1/2, in training."""

from __future__ import annotations

import torch

from .base_random_image import BaseRandomImageLayer, check_choice

HORIZONTAL = "horizontal"
VERTICAL = "vertical"
HORIZONTAL_AND_VERTICAL = "horizontal_and_vertical"
_MODES = (HORIZONTAL, VERTICAL, HORIZONTAL_AND_VERTICAL)


class RandomFlip(BaseRandomImageLayer):
    """Keras `RandomFlip(mode="horizontal_and_vertical", seed=None, data_format=None)`.

    Identity in inference (integer images become the compute dtype). In training each image is flipped
    when its uniform draw is <= 0.5; with "horizontal_and_vertical" the one draw flips both axes together,
    as in Keras. Transformation: {"flips": bool (batch, 1, 1, 1)}. Keras accepts any `mode` (an unknown one
    never flips); here it must be one of the three.
    """

    def __init__(self, mode=HORIZONTAL_AND_VERTICAL, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.mode = check_choice(self, "mode", mode, _MODES)

    def get_random_transformation(self, images, training=True):
        if not training:
            return None
        return {"flips": self.uniform((images.shape[0], 1, 1, 1), 0.0, 1.0, images.device) <= 0.5}

    def transform_images(self, images, transformation):
        flips = transformation["flips"].to(images.device).reshape(-1, 1, 1, 1)
        h_axis, w_axis = (1, 2) if self.data_format == "channels_last" else (2, 3)
        axes = {HORIZONTAL: [w_axis], VERTICAL: [h_axis], HORIZONTAL_AND_VERTICAL: [h_axis, w_axis]}[self.mode]
        return torch.where(flips, images.flip(axes), images)

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}

__all__ = ["RandomFlip"]
