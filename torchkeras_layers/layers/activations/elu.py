"""`ELU`: ``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` below."""

from __future__ import annotations

import torch.nn.functional as F

from ..base import FLOATING, Layer


class ELU(Layer, built_at_init=True):
    """Keras `ELU(alpha=1.0)`."""

    supports_masking = True
    input_dtypes = FLOATING  # Keras' elu is defined for floating input only

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)):
            raise self._arg_error("alpha", "must be a float", alpha, TypeError)
        self.alpha = alpha

    def forward(self, inputs):
        return F.elu(inputs, self.alpha)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}

__all__ = ["ELU"]
