"""What the random regularization layers share: argument checks and a per-layer seeded generator.

With a `seed`, a layer owns a `torch.Generator` (per device): two layers with the same seed draw the
same noise and successive calls draw new noise, like Keras' SeedGenerator (TensorFlow's streams
themselves cannot be reproduced in torch). Compiled code draws from the global RNG instead.
"""

from __future__ import annotations

import torch

from ..base import Layer


def check_rate(layer: Layer, rate, arg: str = "rate") -> float:
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
        raise layer._arg_error(arg, "must be a float between 0 and 1", rate)
    return rate


def check_seed(layer: Layer, seed):
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise layer._arg_error("seed", "must be None or an int", seed, TypeError)
    return seed


def check_below_one(layer: Layer, rate: float) -> None:
    """Gaussian and alpha dropout divide by 1 - rate: Keras fails (ZeroDivisionError) at rate 1 in training."""
    if rate >= 1:
        raise layer._arg_error("rate", "must be below 1 in training (the noise scale divides by 1 - rate)", rate)


def seeded_generator(layer: Layer, device) -> torch.Generator | None:
    """The layer's own generator when it has a seed (eager mode), else None (the global RNG)."""
    if layer.seed is None or torch.compiler.is_compiling():
        return None
    generator = layer.__dict__.get("_generator")
    if generator is None or generator.device != torch.device(device):
        generator = torch.Generator(device=device)
        generator.manual_seed(layer.seed)
        layer.__dict__["_generator"] = generator
    return generator
