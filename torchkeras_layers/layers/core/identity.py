"""`Identity`: returns its input unchanged (the same tensor, no copy)."""

from __future__ import annotations

from ..base import Layer


class Identity(Layer, built_at_init=True):
    """Keras `Identity()`; masks pass through."""

    supports_masking = True

    def forward(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

__all__ = ["Identity"]
