"""`AlphaDropout`: dropout that keeps SELU's self-normalisation (mean and variance preserved)."""

from __future__ import annotations

import torch

from ..base import Layer
from .random_state import check_below_one, check_rate, check_seed, seeded_generator

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


class AlphaDropout(Layer, built_at_init=True):
    """Keras `AlphaDropout(rate, noise_shape=None, seed=None)`.

    In training, dropped units are set to SELU's negative saturation ``alpha' = -alpha * scale`` and
    the result is mapped by ``a * x + b`` with ``a = ((1 - rate) * (1 + rate * alpha'^2))^-1/2`` and
    ``b = -a * alpha' * rate``. `noise_shape` entries are None (the input's size) or a size that
    broadcasts against the input (1 or equal).
    """

    supports_masking = True

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = check_rate(self, rate)
        self.seed = check_seed(self, seed)
        if noise_shape is not None and (not isinstance(noise_shape, (tuple, list)) or any(
                d is not None and (isinstance(d, bool) or not isinstance(d, int) or d < 1) for d in noise_shape)):
            raise self._arg_error("noise_shape", "must be None or a tuple of positive ints / None", noise_shape)
        self.noise_shape = noise_shape

    def _concrete_noise_shape(self, inputs) -> tuple:
        if self.noise_shape is None:
            return tuple(inputs.shape)
        fits = len(self.noise_shape) == inputs.dim() and all(
            n is None or n == 1 or n == d for n, d in zip(self.noise_shape, inputs.shape))
        if not fits:
            raise ValueError(f"AlphaDropout ({self.name!r}): argument `noise_shape` must have one entry per input "
                             f"axis, each None, 1 or the input's size; received noise_shape={self.noise_shape} "
                             f"for input shape {tuple(inputs.shape)}")
        return tuple(d if n is None else n for n, d in zip(self.noise_shape, inputs.shape))

    def forward(self, inputs, training=None):
        if not self.resolve_training(training) or self.rate == 0:
            return inputs
        check_below_one(self, self.rate)
        alpha_p = -SELU_ALPHA * SELU_SCALE
        keep = torch.empty(self._concrete_noise_shape(inputs), dtype=inputs.dtype, device=inputs.device)
        keep.bernoulli_(1.0 - self.rate, generator=seeded_generator(self, inputs.device))
        a = ((1 - self.rate) * (1 + self.rate * alpha_p**2)) ** -0.5
        b = -a * alpha_p * self.rate
        return a * (inputs * keep + alpha_p * (1 - keep)) + b

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed, "noise_shape": self.noise_shape}

__all__ = ["AlphaDropout"]
