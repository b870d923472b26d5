"""Batch moments as Keras computes them, and the TF normalisation formula.

All variances here are **biased** (population) variances, as in `tf.nn.moments`; `dims` are the
reduced axes and results keep them (size 1) so they broadcast against the input.
"""

from __future__ import annotations

import torch

from ..config import EPSILON

__all__ = [
    "moments",
    "masked_moments",
    "distributed_moments",
    "batch_norm_with_moments",
    "normalize",
]

# Keras adds `backend.epsilon()` (config.EPSILON) to the masked count so a fully masked batch gives 0, not NaN.


def _sum(x: torch.Tensor, dims: tuple) -> torch.Tensor:
    # torch reads an empty `dim` as "every axis"; Keras reduces nothing.
    return x.sum(dims, keepdim=True) if dims else x


def moments(x: torch.Tensor, dims, keepdim: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and biased variance over `dims` (`tf.nn.moments`)."""
    dims = tuple(dims)
    if not dims:
        return x, torch.zeros_like(x)
    var, mean = torch.var_mean(x, dim=dims, correction=0, keepdim=keepdim)
    return mean, var


def masked_moments(x: torch.Tensor, mask: torch.Tensor, dims, keepdim: bool = True,
                   epsilon: float = EPSILON) -> tuple[torch.Tensor, torch.Tensor]:
    """Keras 3's masked moments: `mean = sum(m*x) / (sum(m) + 1e-7)`, same for the variance.

    `mask` is boolean and broadcastable to `x`. Masked positions contribute nothing (they are
    selected away, so a NaN/inf there does not leak into the statistics).
    """
    dims = tuple(dims)
    mask = mask.expand(x.shape)
    count = _sum(mask.to(x.dtype), dims) + epsilon
    mean = _sum(torch.where(mask, x, 0), dims) / count
    centered = torch.where(mask, x - mean, 0)
    var = _sum(centered * centered, dims) / count
    if not keepdim and dims:
        mean, var = mean.squeeze(dims), var.squeeze(dims)
    return mean, var


def distributed_moments(x: torch.Tensor, dims, mask: torch.Tensor | None = None, keepdim: bool = True,
                        group=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Moments over `dims` of the batch spread over every rank of `group` (Keras' `synchronized`).

    Sums, sums of squares and counts are all-reduced in one collective (differentiable: the
    backward pass all-reduces the gradients), then `var = max(E[x^2] - E[x]^2, 0)` as Keras'
    `_compute_moments_sync` does. With a mask, counts get Keras' +1e-7, as in `masked_moments`.
    """
    # The autograd all_reduce. torch 2.13 marks it deprecated (a FutureWarning, once per process) in
    # favour of torch.distributed._functional_collectives.all_reduce, but with that one every gloo rank
    # hung at interpreter exit, with or without destroy_process_group (4 of 4 ranks, every run).
    from torch.distributed.nn.functional import all_reduce

    dims = tuple(dims)
    if mask is None:
        total = _sum(x, dims)
        total_sq = _sum(x * x, dims)
        count = torch.full_like(total, x.numel() // total.numel())
        offset = 0.0
    else:
        mask = mask.expand(x.shape)
        selected = torch.where(mask, x, 0)
        total = _sum(selected, dims)
        total_sq = _sum(selected * selected, dims)
        count = _sum(mask.to(x.dtype), dims)
        offset = EPSILON
    total, total_sq, count = all_reduce(torch.stack([total, total_sq, count]), group=group).unbind(0)
    count = count + offset if offset else count.clamp_min(1)  # an empty shard set gives 0, not NaN
    mean = total / count
    var = torch.clamp_min(total_sq / count - mean * mean, 0.0)
    if not keepdim and dims:
        mean, var = mean.squeeze(dims), var.squeeze(dims)
    return mean, var


def batch_norm_with_moments(x: torch.Tensor, weight: torch.Tensor | None, bias: torch.Tensor | None,
                            epsilon: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Training-mode batch norm of `x` in torch layout `(N, C, *)` with torch's fused kernel.

    Returns the output and the batch mean and **biased** variance per channel (detached). The
    kernel hands back `1/sqrt(var + eps)`; the variance is recovered from it as torch's own
    SyncBatchNorm does, which costs two tiny ops instead of a second pass over the data (absolute
    error ~1e-7 * (var + eps)).
    """
    out, mean, invstd = torch.native_batch_norm(x, weight, bias, None, None, True, 0.0, epsilon)
    var = invstd.square().reciprocal_().sub_(epsilon).clamp_min_(0.0)
    return out, mean, var


def normalize(x: torch.Tensor, mean: torch.Tensor, var: torch.Tensor, scale: torch.Tensor | None,
              offset: torch.Tensor | None, epsilon: float) -> torch.Tensor:
    """`tf.nn.batch_normalization`: `x * inv + (offset - mean * inv)` with `inv = scale / sqrt(var + eps)`.

    Every statistic must already broadcast against `x`. This is TensorFlow's evaluation order, so
    the rounding matches Keras as closely as float arithmetic allows.
    """
    inv = torch.rsqrt(var + epsilon)
    if scale is not None:
        inv = inv * scale
    shift = -mean * inv if offset is None else offset - mean * inv
    return x * inv + shift
