"""`LeakyReLU`: ``x`` for ``x >= 0``, ``negative_slope * x`` below (Keras' default slope 0.3)."""

from __future__ import annotations

import warnings

import torch

from ...ops import inductor_cpu
from ..base import NUMERIC, Layer
from .relu import _non_negative


class LeakyReLU(Layer, built_at_init=True):
    """Keras `LeakyReLU(negative_slope=0.3)`; the deprecated `alpha=` is still accepted, with a warning."""

    supports_masking = True
    input_dtypes = NUMERIC  # Keras' leaky_relu has no bool variant

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn("Argument `alpha` is deprecated. Use `negative_slope` instead.", stacklevel=2)
        super().__init__(**kwargs)
        self.negative_slope = _non_negative(self, "negative_slope", negative_slope)

    def forward(self, inputs):
        if not inputs.is_floating_point():  # Keras' leaky_relu promotes integer input to float32
            inputs = inputs.to(torch.float32)
        return inductor_cpu.leaky_relu(inputs, self.negative_slope)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}

__all__ = ["LeakyReLU"]
