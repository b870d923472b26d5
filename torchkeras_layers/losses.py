"""Keras' loss functions (the regularization loss over a model lives in `torchkeras_layers.training`)."""

from __future__ import annotations

import torch


def sparse_categorical_crossentropy(probs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Keras' `losses.sparse_categorical_crossentropy(target, probs)` per sample, for probabilities
    (a softmax output): ``log(clip(probs, eps, 1 - eps))`` taken as the logits of a softmax
    cross-entropy, as Keras' TensorFlow backend computes it (eps = `config.EPSILON`). Arguments in
    torch's order (`F.cross_entropy(input, target)`); computed in float32 at least (autocast)."""
    from .config import EPSILON

    probs = probs if probs.dtype in (torch.float32, torch.float64) else probs.float()
    return torch.nn.functional.cross_entropy(torch.log(probs.clamp(EPSILON, 1.0 - EPSILON)), target, reduction="none")
