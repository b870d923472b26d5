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


def _is_symmetric(pads: Pads) -> bool:
    return all(lo == hi for lo, hi in pads)


def max_pool(x: torch.Tensor, pool_size: Sequence[int], strides: Sequence[int], pads: Pads) -> torch.Tensor:
    """Max over each window; padded cells are ``-inf`` (ignored)."""
    symmetric, rest = split_padding(pads)
    if not _is_symmetric(pads):
        x = F.pad(x, torch_pad_arg(rest), value=-math.inf)
    return _MAX[x.dim() - 2](x, tuple(pool_size), tuple(strides), symmetric)


def avg_pool(x: torch.Tensor, pool_size: Sequence[int], strides: Sequence[int], pads: Pads) -> torch.Tensor:
    """Mean over the real cells of each window (TF: padded cells are not counted)."""
    op = _AVG[x.dim() - 2]
    if _is_symmetric(pads):
        return op(x, tuple(pool_size), tuple(strides), tuple(lo for lo, _ in pads), count_include_pad=False)
    # Asymmetric: a zero-padded mean, rescaled by (window size / real cells). The real-cell count only
    # depends on the spatial shape, so it is pooled from a (1, 1, *spatial) tensor of ones.
    flat = torch_pad_arg(pads)
    sums = op(F.pad(x, flat), tuple(pool_size), tuple(strides))
    ones = x.new_ones((1, 1) + tuple(x.shape[2:]))
    fraction_real = op(F.pad(ones, flat), tuple(pool_size), tuple(strides))
    return sums / fraction_real


def sum_pool(x: torch.Tensor, pool_size: Sequence[int], strides: Sequence[int], pads: Pads) -> torch.Tensor:
    """Sum over each window; padded cells add zero. Needs a 2-D or 3-D op (`divisor_override`)."""
    symmetric, rest = split_padding(pads)
    if not _is_symmetric(pads):
        x = F.pad(x, torch_pad_arg(rest))
    return _AVG[x.dim() - 2](x, tuple(pool_size), tuple(strides), symmetric, count_include_pad=True, divisor_override=1)


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


def adaptive_max_pool(x: torch.Tensor, output_size: Sequence[int]) -> torch.Tensor:
    """Output cell i covers ``[floor(i*L/O), ceil((i+1)*L/O))`` on each axis (torch's and Keras' bins)."""
    return _ADAPTIVE_MAX[x.dim() - 2](x, tuple(output_size))


def adaptive_avg_pool(x: torch.Tensor, output_size: Sequence[int]) -> torch.Tensor:
    """Mean over the same bins as :func:`adaptive_max_pool`."""
    return _ADAPTIVE_AVG[x.dim() - 2](x, tuple(output_size))
