"""Regularization losses collected over a model (Keras adds them to the training loss)."""

from __future__ import annotations

import torch
from torch import nn


def regularization_loss(model: nn.Module) -> torch.Tensor:
    """Sum of every layer's `losses` in `model`: weight regularizers plus the last activity losses."""
    from .layers.base import Layer

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


# ---------------------------------------------------------------------------- Keras' loss functions
def sparse_categorical_crossentropy(probs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Keras' `losses.sparse_categorical_crossentropy(target, probs)` per sample, for probabilities
    (a softmax output): ``log(clip(probs, eps, 1 - eps))`` taken as the logits of a softmax
    cross-entropy, as Keras' TensorFlow backend computes it (eps = `config.EPSILON`). Arguments in
    torch's order (`F.cross_entropy(input, target)`); computed in float32 at least (autocast)."""
    from .config import EPSILON

    probs = probs if probs.dtype in (torch.float32, torch.float64) else probs.float()
    return torch.nn.functional.cross_entropy(torch.log(probs.clamp(EPSILON, 1.0 - EPSILON)), target, reduction="none")
