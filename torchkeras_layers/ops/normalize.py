"""Keras' `ops.normalize` for order 2: x * min(rsqrt(sum(x^2)), 1/epsilon)."""

import torch

from ..config import EPSILON


def l2_normalize(x: torch.Tensor, dim, epsilon: float = EPSILON) -> torch.Tensor:
    # min(rsqrt(s), 1/eps) == rsqrt(max(s, eps^2)) since rsqrt decreases; clamping *before* rsqrt keeps
    # the gradient finite for an all-zero vector (rsqrt(0) = inf would give 0 * inf = NaN), as Keras' is.
    return x * torch.rsqrt(torch.clamp(x.square().sum(dim=dim, keepdim=True), min=epsilon * epsilon))
