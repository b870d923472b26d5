"""Training helpers over a whole model: what Keras' `fit` does besides the optimizer step.

* `regularization_loss(model)`: the regularization terms Keras adds to the training loss;
* `apply_constraints(model)` / `constrain(optimizer, model)`: the weight constraints Keras applies
  after each optimizer step.
"""

from __future__ import annotations

import torch
from torch import nn

from .layers.base import Layer

__all__ = ["apply_constraints", "constrain", "regularization_loss"]


def apply_constraints(model: nn.Module) -> None:
    """Project every constrained weight of every layer in `model` (call after `optimizer.step()`)."""
    for module in model.modules():
        if isinstance(module, Layer):
            module.apply_constraints()


def constrain(optimizer: torch.optim.Optimizer, model: nn.Module):
    """Register `apply_constraints(model)` as a post-step hook of `optimizer`; returns the hook handle."""
    return optimizer.register_step_post_hook(lambda *_: apply_constraints(model))


def regularization_loss(model: nn.Module) -> torch.Tensor:
    """Sum of every layer's `losses` in `model`: weight regularizers plus the last activity losses."""
    total = None
    seen = set()
    for module in model.modules():
        if isinstance(module, Layer) and id(module) not in seen:
            # `losses` of a layer includes its sub-layers; count each layer's own terms once.
            for sub in module.modules():
                seen.add(id(sub))
            for loss in module.losses:
                total = loss if total is None else total + loss
    if total is None:
        first = next(model.parameters(), None)
        return torch.zeros((), device=first.device if first is not None else None)
    return total
