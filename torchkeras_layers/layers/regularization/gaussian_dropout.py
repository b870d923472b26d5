"""`GaussianDropout`: multiplies by normal noise of mean 1 in training; the identity otherwise."""

from __future__ import annotations

import math

import torch

from ..base import Layer
from .random_state import check_below_one, check_rate, check_seed, seeded_generator


class GaussianDropout(Layer, built_at_init=True):
    """Keras `GaussianDropout(rate, seed=None)`: ``x * N(1, rate / (1 - rate))`` when training."""

    supports_masking = True

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = check_rate(self, rate)
        self.seed = check_seed(self, seed)

    def forward(self, inputs, training=None):
        if not self.resolve_training(training) or self.rate == 0:
            return inputs
        check_below_one(self, self.rate)
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        noise = torch.empty_like(inputs).normal_(1.0, stddev, generator=seeded_generator(self, inputs.device))
        return inputs * noise

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}

__all__ = ["GaussianDropout"]
