"""Global settings, like `keras.config`: the fuzz factor `epsilon()` (more settings join as they land)."""

from __future__ import annotations

__all__ = ["EPSILON", "epsilon"]

# keras.config.epsilon(): the fuzz factor Keras adds to denominators and uses to clip probabilities.
EPSILON = 1e-7


def epsilon() -> float:
    """Keras' `keras.config.epsilon()` (1e-7)."""
    return EPSILON
