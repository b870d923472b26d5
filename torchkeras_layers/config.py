"""Global settings, like `keras.config`: the fuzz factor `epsilon()` and the default dtype policy."""

from __future__ import annotations

from .dtypes import dtype_policy, set_dtype_policy  # the global policy lives with the policies

__all__ = ["EPSILON", "epsilon", "set_dtype_policy", "dtype_policy"]

# keras.config.epsilon(): the fuzz factor Keras adds to denominators and uses to clip probabilities.
EPSILON = 1e-7


def epsilon() -> float:
    """Keras' `keras.config.epsilon()` (1e-7)."""
    return EPSILON
