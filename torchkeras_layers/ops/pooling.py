"""Window pooling on ``(N, C, *spatial)`` tensors with arbitrary per-axis ``(lo, hi)`` padding.

Padding semantics are Keras' (TensorFlow's): padded cells never take part in a window. Max pooling
treats them as ``-inf``; average pooling divides by the number of *real* cells in the window; sum
pooling (used by LP pooling) adds nothing for them. Whenever ``lo == hi`` on every axis the torch
kernel pads by itself (no copy); otherwise the input is padded explicitly with ``F.pad`` — torch's
symmetric padding is never used where it would differ, and TF SAME's one extra cell at the end is
torch's `ceil_mode` window where that gives the same windows (no copy either).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F

from . import inductor_cpu
from .padding import split_padding, torch_pad_arg
from .window_max import MAX_WINDOW_CELLS, window_max

__all__ = ["max_pool", "avg_pool", "sum_pool", "lp_pool", "adaptive_bins", "adaptive_max_pool", "adaptive_avg_pool",
           "bilinear_normalize", "tensor_sketch"]

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
    if _inductor_window_max(x, pool_size):
        return window_max(x, pool_size, strides, pads)
    symmetric, rest = _split(pads, pool_size)
    op = _MAX[x.dim() - 2]
    if rest is None:
        return op(x, tuple(pool_size), tuple(strides), symmetric)
    spatial = x.shape[2:]
    if all(_ceil_mode_gives(n, k, s, lo, hi) for n, k, s, (lo, hi) in zip(spatial, pool_size, strides, pads)):
        # TF SAME's extra unit at the end is exactly torch's ceil_mode partial window (it ignores the
        # cells past the input), so no padded copy of the input is needed.
        return op(x, tuple(pool_size), tuple(strides), tuple(lo for lo, _ in pads), ceil_mode=True)
    return op(F.pad(x, rest, value=-math.inf), tuple(pool_size), tuple(strides), symmetric)


def _inductor_window_max(x: torch.Tensor, pool_size: Sequence[int]) -> bool:
    """Whether `window_max` replaces torch's kernel: while torch.compile traces a CPU float tensor
    (not while exporting: ONNX has MaxPool), for windows of at most MAX_WINDOW_CELLS cells."""
    return inductor_cpu.traced_for_cpu(x) and math.prod(pool_size) <= MAX_WINDOW_CELLS


def _ceil_mode_gives(n: int, k: int, s: int, lo: int, hi: int) -> bool:
    """Whether torch's pooling with symmetric padding `lo` and ceil_mode=True has the same windows as
    explicit padding (lo, hi): same output length, and hi - lo <= 1 so the last window is the only
    one reaching past the padded input."""
    if hi - lo not in (0, 1) or 2 * lo > k:
        return False
    explicit = (n + lo + hi - k) // s + 1
    ceil = -(-(n + 2 * lo - k) // s) + 1
    if (ceil - 1) * s >= n + lo:  # torch drops a last window that would start in the right padding
        ceil -= 1
    return ceil == explicit


def avg_pool(x: torch.Tensor, pool_size: Sequence[int], strides: Sequence[int], pads: Pads) -> torch.Tensor:
    """Mean over the real cells of each window (TF: padded cells are not counted)."""
    op = _AVG[x.dim() - 2]
    symmetric, rest = _split(pads, pool_size)
    if rest is None:
        return op(x, tuple(pool_size), tuple(strides), symmetric, count_include_pad=False)
    spatial = x.shape[2:]
    if all(n >= k and _ceil_mode_gives(n, k, s, lo, hi)  # avg_pool3d refuses inputs smaller than the window
           for n, k, s, (lo, hi) in zip(spatial, pool_size, strides, pads)):
        # As in max_pool: TF SAME's extra end unit is torch's ceil_mode window, whose divisor with
        # count_include_pad=False is its real cells, TF's divisor (no padded copy, no divisor pass).
        return op(x, tuple(pool_size), tuple(strides), tuple(lo for lo, _ in pads), ceil_mode=True,
                  count_include_pad=False)
    # Otherwise a zero-padded mean, rescaled by (window size / real cells). The real-cell count only
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


def lp_pool(x: torch.Tensor, norm_type: float, pool_size: Sequence[int], strides: Sequence[int],
            pads: Pads) -> torch.Tensor:
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
    which has no adaptive max pool for sizes that do not divide) the separable form below, built from
    plain pools and a gather."""
    if not torch.compiler.is_exporting():
        return _ADAPTIVE_MAX[x.dim() - 2](x, tuple(output_size))
    return _separable_adaptive(x, output_size, _MAX[x.dim() - 2])


def _separable_adaptive(x: torch.Tensor, output_size: Sequence[int], op) -> torch.Tensor:
    """Adaptive max/avg pooling one axis at a time (both reductions are separable over box bins)."""
    for axis, cells in enumerate(output_size):
        x = _adaptive_along(x, 2 + axis, cells, op)
    return x


def _adaptive_along(x: torch.Tensor, dim: int, cells: int, op) -> torch.Tensor:
    """Adaptive pooling over one axis: a stride-1 pool per distinct bin size, gathered at bin starts."""
    length = x.shape[dim]
    bins = adaptive_bins(length, cells)
    spatial = x.dim() - 2

    def window(size, stride):
        k = [1] * spatial
        s = [1] * spatial
        k[dim - 2], s[dim - 2] = size, stride
        return tuple(k), tuple(s)

    if length % cells == 0:  # equal, disjoint bins: one plain pool
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
    """Mean over the same bins as :func:`adaptive_max_pool` (same export-time decomposition: the
    ONNX exporter has no 3-D adaptive average pool for sizes that do not divide)."""
    if not torch.compiler.is_exporting():
        return _ADAPTIVE_AVG[x.dim() - 2](x, tuple(output_size))
    return _separable_adaptive(x, output_size, _AVG[x.dim() - 2])


def bilinear_normalize(y: torch.Tensor, signed_sqrt: bool, l2_normalize: bool, epsilon: float) -> torch.Tensor:
    """Lin et al. (2015): signed square root, then ``y / max(||y||_2, eps)`` over the last axis.

    The signed square root is ``sign(y) (sqrt(|y| + eps) - sqrt(eps))``: within ``sqrt(eps)`` of the
    paper's ``sign(y) sqrt(|y|)``, continuous, exactly 0 at 0 (so round-off around an exact zero stays
    ~0) and with a finite derivative (at most ``1 / (2 sqrt(eps))``)."""
    if signed_sqrt:
        y = torch.sign(y) * (torch.sqrt(y.abs() + epsilon) - math.sqrt(epsilon))
    if l2_normalize:
        y = y / torch.linalg.vector_norm(y, dim=-1, keepdim=True).clamp_min(epsilon)
    return y


def tensor_sketch(z: torch.Tensor, hash_a: torch.Tensor, sign_a: torch.Tensor, hash_b: torch.Tensor,
                  sign_b: torch.Tensor, dim: int) -> torch.Tensor:
    """Count sketch of the (B, C1, C2) matrices z with the pair hash ``(h_a(i) + h_b(j)) mod dim`` and
    sign ``s_a(i) s_b(j)`` (Pham & Pagh 2013): ``y_k = sum_{(i,j) -> k} s_a(i) s_b(j) z_ij``."""
    bins = torch.remainder(hash_a[:, None] + hash_b[None, :], dim).flatten()
    signed = z * (sign_a[:, None] * sign_b[None, :]).to(z.dtype)
    return z.new_zeros(z.shape[0], dim).index_add(1, bins, signed.flatten(1))
