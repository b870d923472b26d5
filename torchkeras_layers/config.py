"""Global settings, like `keras.config`: the fuzz factor `epsilon()` and the default dtype policy."""

from __future__ import annotations

import torch

from .dtypes import DTypePolicy

__all__ = ["EPSILON", "epsilon", "set_dtype_policy", "dtype_policy"]

# keras.config.epsilon(): the fuzz factor Keras adds to denominators and uses to clip probabilities.
EPSILON = 1e-7

_default_policy = DTypePolicy("float32", torch.float32, torch.float32)


def epsilon() -> float:
    """Keras' `keras.config.epsilon()` (1e-7)."""
    return EPSILON


def set_dtype_policy(policy) -> None:
    """Keras' `keras.config.set_dtype_policy`: the policy of every layer created later with `dtype=None`
    (a name such as "mixed_float16", a DTypePolicy or its Keras config)."""
    global _default_policy
    if not isinstance(policy, (str, dict, DTypePolicy)):
        raise ValueError(
            "set_dtype_policy: argument `policy` must be a dtype policy name such as 'mixed_float16' or a "
            f"DTypePolicy; received {policy!r}"
        )
    _default_policy = DTypePolicy.get(policy, layer="set_dtype_policy")


def dtype_policy() -> DTypePolicy:
    """Keras' `keras.config.dtype_policy()`: the current default policy (float32 unless set)."""
    return _default_policy
