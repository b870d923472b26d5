"""Keras activation identifiers resolved to torch callables.

Every name accepted by ``keras.activations.get`` maps to a function with Keras' defaults (exact GELU,
leaky_relu slope 0.2, hard_sigmoid = relu6(x + 3) / 6, ...). ``serialize`` gives back the Keras name,
so ``get_config`` round-trips through Keras.
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from .ops import inductor_cpu

__all__ = ["get", "serialize", "ACTIVATIONS"]


def linear(x):
    return x


def relu(x):
    return inductor_cpu.relu(x)  # F.relu, with a float-saved gradient mask under inductor on the CPU


def relu6(x):
    return inductor_cpu.relu6(x)


def leaky_relu(x):
    return inductor_cpu.leaky_relu(x, 0.2)


def gelu(x):
    return F.gelu(x)  # Keras' activation is the exact erf form (keras.ops.gelu defaults to tanh).


def hard_sigmoid(x):
    return F.hardsigmoid(x)  # relu6(x + 3) / 6, Keras 3's definition (Keras 2 used 0.2x + 0.5).


def softmax(x):
    return torch.softmax(x, dim=-1)


def log_softmax(x):
    return torch.log_softmax(x, dim=-1)


def exponential(x):
    return torch.exp(x)


def glu(x):
    if x.shape[-1] % 2:
        raise ValueError(f"activation `glu` needs an even last dimension, got {x.shape[-1]}")
    return F.glu(x, dim=-1)


def hard_shrink(x):
    return F.hardshrink(x, 0.5)


def soft_shrink(x):
    return F.softshrink(x, 0.5)


def sparse_plus(x):
    return torch.where(x <= -1, torch.zeros_like(x), torch.where(x >= 1, x, (x + 1) ** 2 / 4))


def sparse_sigmoid(x):
    # Written like Keras (tf.where), so the gradient at the kinks x = +-1 is 0 as in Keras.
    return torch.where(x <= -1, torch.zeros_like(x), torch.where(x >= 1, torch.ones_like(x), 0.5 * (x + 1)))


def hard_tanh(x):
    # torch.clamp, not F.hardtanh: like tf.clip_by_value it passes the gradient at x = +-1.
    return torch.clamp(x, -1.0, 1.0)


def squareplus(x):
    return (x + torch.sqrt(x * x + 4.0)) / 2


def sparsemax(x):
    # Martins & Astudillo (2016), over the last axis, as keras.activations.sparsemax.
    z, _ = torch.sort(x, dim=-1, descending=True)
    k = torch.arange(1, x.shape[-1] + 1, dtype=x.dtype, device=x.device)
    cumsum = z.cumsum(-1)
    support = (1 + k * z) > cumsum
    k_z = support.to(x.dtype).sum(-1, keepdim=True)
    tau = (torch.gather(cumsum, -1, (k_z.long() - 1)) - 1) / k_z
    return torch.clamp(x - tau, min=0.0)


ACTIVATIONS: dict[str, Callable] = {
    "linear": linear,
    "relu": relu,
    "relu6": relu6,
    "leaky_relu": leaky_relu,
    "elu": F.elu,
    "celu": F.celu,
    "selu": F.selu,
    "gelu": gelu,
    "silu": F.silu,
    "swish": F.silu,
    "hard_sigmoid": hard_sigmoid,
    "hard_silu": F.hardswish,
    "hard_swish": F.hardswish,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "exponential": exponential,
    "softmax": softmax,
    "log_softmax": log_softmax,
    "softplus": F.softplus,
    "softsign": F.softsign,
    "mish": F.mish,
    "log_sigmoid": F.logsigmoid,
    "glu": glu,
    "hard_tanh": hard_tanh,
    "hard_shrink": hard_shrink,
    "soft_shrink": soft_shrink,
    "tanh_shrink": F.tanhshrink,
    "sparse_plus": sparse_plus,
    "sparse_sigmoid": sparse_sigmoid,
    "squareplus": squareplus,
    "sparsemax": sparsemax,
}
# Keras serialises these under their canonical name.
_CANONICAL = {"swish": "silu", "hard_swish": "hard_silu"}
_NAME_OF = {}
for _name, _fn in ACTIVATIONS.items():
    _NAME_OF.setdefault(_fn, _CANONICAL.get(_name, _name))


def get(identifier) -> Callable:
    """Resolve a Keras activation identifier (None, a name, a Keras config dict or a callable)."""
    if identifier is None:
        return linear
    if isinstance(identifier, dict):  # {'class_name': 'relu', ...} or Keras' function config
        identifier = identifier.get("config", identifier.get("class_name"))
        if isinstance(identifier, dict):
            identifier = identifier.get("name", identifier.get("class_name"))
    if isinstance(identifier, str):
        try:
            return ACTIVATIONS[identifier]
        except KeyError:
            raise ValueError(
                f"Unknown activation {identifier!r}; expected one of {sorted(ACTIVATIONS)} or a callable"
            ) from None
    if callable(identifier):
        return identifier
    raise TypeError(f"activation must be None, a string or a callable, got {type(identifier).__name__}")


def serialize(fn: Callable):
    """The Keras name of a built-in activation, else the callable itself (Keras does the same)."""
    return _NAME_OF.get(fn, fn)

