"""`RandomContrast`: scale each image's deviation from its per-channel mean by a random factor, in training."""

from __future__ import annotations

import numbers

from .base_random_image import BaseRandomImageLayer, factor_range


class RandomContrast(BaseRandomImageLayer):
    """Keras `RandomContrast(factor, value_range=(0, 255), seed=None)`.

    `factor` f (or a pair) is in [0, 1]; Keras bounds the lower end at 0, so f gives (0, f) and the
    contrast factor is drawn from [1 - 0, 1 + f] (a pair (l, u): [1 - l, 1 + u]), one per image, in the
    compute dtype. Output `(x - mean) * factor + mean` (mean over height and width), clipped to
    `value_range`. In inference the images pass through unchanged, integer ones included (Keras does not
    cast them); in training integer images are rejected (Keras fails on them). Transformation:
    {"contrast_factor": (batch, 1, 1, 1)}.
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor_range(self, "factor", factor, (0, 1))
        if (not isinstance(value_range, (tuple, list)) or len(value_range) != 2
                or not all(isinstance(v, numbers.Real) for v in value_range)):
            raise self._arg_error("value_range", "must be a pair of numbers (low, high)", value_range)
        self.value_range = value_range

    def inference(self, inputs):
        return inputs

    def forward(self, inputs, training=None):
        if self.resolve_training(training) and not inputs.is_floating_point():
            raise TypeError(f"{self.__class__.__name__} ({self.name!r}): training needs floating images (Keras "
                            f"cannot subtract the float mean from them); received dtype {inputs.dtype}")
        return super().forward(inputs, training)

    def get_random_transformation(self, images, training=True):
        if not training:
            return None
        factor = self.uniform((images.shape[0], 1, 1, 1), 1.0 - self.factor[0], 1.0 + self.factor[1],
                              images.device, self.compute_dtype)
        return {"contrast_factor": factor}

    def transform_images(self, images, transformation):
        spatial = (1, 2) if self.data_format == "channels_last" else (2, 3)
        mean = images.mean(dim=spatial, keepdim=True)
        factor = transformation["contrast_factor"].to(device=images.device, dtype=images.dtype).reshape(-1, 1, 1, 1)
        return ((images - mean) * factor + mean).clamp(self.value_range[0], self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range}

__all__ = ["RandomContrast"]
