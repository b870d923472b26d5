"""Keras' `ops.normalize` for order 2: x * min(rsqrt(sum(x^2)), 1/epsilon)."""

import torch

EPSILON = 1e-7  # keras.backend.epsilon()


def l2_normalize(x: torch.Tensor, dim, epsilon: float = EPSILON) -> torch.Tensor:
    inv_norm = torch.rsqrt(x.square().sum(dim=dim, keepdim=True))
    return x * torch.clamp(inv_norm, max=1.0 / epsilon)
