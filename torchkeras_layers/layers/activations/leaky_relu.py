"""`LeakyReLU`: ``x`` for ``x >= 0``, ``negative_slope * x`` below (Keras' default slope 0.3)."""

from __future__ import annotations

import warnings

import torch.nn.functional as F

from ..base import Layer
from .relu import _non_negative


class LeakyReLU(Layer, built_at_init=True):
    """Keras `LeakyReLU(negative_slope=0.3)`; the deprecated `alpha=` is still accepted, with a warning."""

    supports_masking = True

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn("Argument `alpha` is deprecated. Use `negative_slope` instead.", stacklevel=2)
        super().__init__(**kwargs)
        self.negative_slope = _non_negative(self, "negative_slope", negative_slope)

    def forward(self, inputs):
        return F.leaky_relu(inputs, self.negative_slope)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}

__all__ = ["LeakyReLU"]
