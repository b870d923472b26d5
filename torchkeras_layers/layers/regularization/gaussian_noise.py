"""`GaussianNoise`: adds zero-mean normal noise in training; the identity otherwise."""

from __future__ import annotations

import torch

from ..base import Layer
from .random_state import check_rate, check_seed, seeded_generator


class GaussianNoise(Layer, built_at_init=True):
    """Keras `GaussianNoise(stddev, seed=None)`: ``x + N(0, stddev^2)`` when training (Keras limits
    `stddev` to [0, 1])."""

    supports_masking = True

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.stddev = check_rate(self, stddev, "stddev")
        self.seed = check_seed(self, seed)

    def forward(self, inputs, training=None):
        if not self.resolve_training(training) or self.stddev == 0:
            return inputs
        noise = torch.empty_like(inputs).normal_(0.0, self.stddev, generator=seeded_generator(self, inputs.device))
        return inputs + noise

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}

__all__ = ["GaussianNoise"]
