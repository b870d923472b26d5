"""Window pooling on ``(N, C, *spatial)`` tensors with arbitrary per-axis ``(lo, hi)`` padding.

Padding semantics are Keras' (TensorFlow's): padded cells never take part in a window. Max pooling
treats them as ``-inf``; average pooling divides by the number of *real* cells in the window; sum
pooling (used by LP pooling) adds nothing for them. Whenever ``lo == hi`` on every axis the torch
kernel pads by itself (no copy); otherwise the input is padded explicitly with ``F.pad`` — torch's
symmetric padding is never used where it would differ.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F

from .padding import split_padding, torch_pad_arg

__all__ = ["max_pool", "avg_pool", "sum_pool", "lp_pool", "adaptive_max_pool", "adaptive_avg_pool"]

_MAX = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
_AVG = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}
_ADAPTIVE_MAX = {1: F.adaptive_max_pool1d, 2: F.adaptive_max_pool2d, 3: F.adaptive_max_pool3d}
_ADAPTIVE_AVG = {1: F.adaptive_avg_pool1d, 2: F.adaptive_avg_pool2d, 3: F.adaptive_avg_pool3d}

Pads = Sequence[tuple[int, int]]


def _split(pads: Pads, pool_size: Sequence[int]):
    """(kernel padding, F.pad remainder or None): torch pools pad at most half a window themselves;
    TF SAME never needs more, other callers may."""
    symmetric, rest = split_padding(pads, [k // 2 for k in pool_size])
    return symmetric, (torch_pad_arg(rest) if any(lo or hi for lo, hi in rest) else None)


def max_pool(x: torch.Tensor, pool_size: Sequence[int], strides: Sequence[int], pads: Pads) -> torch.Tensor:
    """Max over each window; padded cells are ``-inf`` (ignored)."""
    symmetric, rest = _split(pads, pool_size)
    if rest is not None:
        x = F.pad(x, rest, value=-math.inf)
    return _MAX[x.dim() - 2](x, tuple(pool_size), tuple(strides), symmetric)


def avg_pool(x: torch.Tensor, pool_size: Sequence[int], strides: Sequence[int], pads: Pads) -> torch.Tensor:
    """Mean over the real cells of each window (TF: padded cells are not counted)."""
    op = _AVG[x.dim() - 2]
    symmetric, rest = _split(pads, pool_size)
    if rest is None:
        return op(x, tuple(pool_size), tuple(strides), symmetric, count_include_pad=False)
    # Asymmetric: a zero-padded mean, rescaled by (window size / real cells). The real-cell count only
    # depends on the spatial shape, so it is pooled from a (1, 1, *spatial) tensor of ones.
    flat = torch_pad_arg(pads)
    sums = op(F.pad(x, flat), tuple(pool_size), tuple(strides))
    ones = x.new_ones((1, 1) + tuple(x.shape[2:]))
    fraction_real = op(F.pad(ones, flat), tuple(pool_size), tuple(strides))
    return sums / fraction_real


def sum_pool(x: torch.Tensor, pool_size: Sequence[int], strides: Sequence[int], pads: Pads) -> torch.Tensor:
    """Sum over each window; padded cells add zero. (A zero-padded mean times the window size:
    `divisor_override=1` would be exact, but torch's ONNX exporter silently drops it.)"""
    symmetric, rest = _split(pads, pool_size)
    if rest is not None:
        x = F.pad(x, rest)
    mean = _AVG[x.dim() - 2](x, tuple(pool_size), tuple(strides), symmetric, count_include_pad=True)
    return mean * math.prod(pool_size)


def lp_pool(x: torch.Tensor, norm_type: float, pool_size: Sequence[int], strides: Sequence[int], pads: Pads) -> torch.Tensor:
    """``(sum_window |x|^p)^(1/p)``. A window of zeros (common after ReLU) gives 0 with a zero gradient
    instead of torch's ``LPPool`` NaN (the derivative of ``s^(1/p)`` is infinite at ``s = 0``)."""
    powered = x.abs() if norm_type == 1 else x.abs().pow(norm_type)
    sums = sum_pool(powered, pool_size, strides, pads)
    if norm_type == 1:
        return sums
    positive = sums > 0
    tiny = torch.finfo(sums.dtype).tiny
    return torch.where(positive, sums.clamp_min(tiny).pow(1.0 / norm_type), 0.0)


def adaptive_bins(length: int, cells: int) -> list[tuple[int, int]]:
    """``(start, size)`` of each adaptive bin: ``[floor(i*L/O), ceil((i+1)*L/O))``."""
    return [(i * length // cells, -(-(i + 1) * length // cells) - i * length // cells) for i in range(cells)]


def adaptive_max_pool(x: torch.Tensor, output_size: Sequence[int]) -> torch.Tensor:
    """Output cell i covers ``[floor(i*L/O), ceil((i+1)*L/O))`` on each axis (torch's and Keras' bins).

    Torch's fused kernel in eager mode and under torch.compile; while exporting (torch.export / ONNX,
    which has no adaptive max pool for sizes that do not divide) the separable form below."""
    if not torch.compiler.is_exporting():
        return _ADAPTIVE_MAX[x.dim() - 2](x, tuple(output_size))
    for axis, cells in enumerate(output_size):
        x = _adaptive_max_along(x, 2 + axis, cells)
    return x


def _adaptive_max_along(x: torch.Tensor, dim: int, cells: int) -> torch.Tensor:
    """Adaptive max over one axis: a stride-1 max pool per distinct bin size, gathered at bin starts."""
    length = x.shape[dim]
    bins = adaptive_bins(length, cells)
    op = _MAX[x.dim() - 2]
    spatial = x.dim() - 2

    def window(size, stride):
        k = [1] * spatial
        s = [1] * spatial
        k[dim - 2], s[dim - 2] = size, stride
        return tuple(k), tuple(s)

    if length % cells == 0:  # equal, disjoint bins: one plain max pool
        return op(x, *window(length // cells, length // cells))
    starts = torch.tensor([start for start, _ in bins], device=x.device)
    out = None
    for size in sorted({size for _, size in bins}):
        pooled = op(x, *window(size, 1)).index_select(dim, starts.clamp_max(length - size))
        if out is None:
            out = pooled
        else:
            shape = [1] * x.dim()
            shape[dim] = cells
            is_size = torch.tensor([s == size for _, s in bins], device=x.device).reshape(shape)
            out = torch.where(is_size, pooled, out)
    return out


def adaptive_avg_pool(x: torch.Tensor, output_size: Sequence[int]) -> torch.Tensor:
    """Mean over the same bins as :func:`adaptive_max_pool`."""
    return _ADAPTIVE_AVG[x.dim() - 2](x, tuple(output_size))
