"""Max pooling written as elementwise ops, for inductor on the CPU.

Torch's CPU max pooling writes int64 indices beside its output, and its backward zero-fills the input
gradient before scattering into it; inductor lowers the same op to a slow scatter (8 ms fwd+bwd where
this takes 1.5 ms, `benchmarks/pool_routes.py`). Written as a maximum over the window's strided views
(forward) and, per input cell, a sum over the windows holding it (backward, a gather: each gradient
cell written once), inductor fuses each pass into one vectorised loop. The gradient goes where torch's
kernel sends it, bit for bit: to the first real cell of the window holding the maximum, or to the
window's last NaN; contributions are summed in torch's order (ascending windows).

Only `ops.pooling.max_pool` calls this, and only while inductor traces (eager keeps torch's kernel,
exports keep the one ONNX knows).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F

from .padding import torch_pad_arg

__all__ = ["window_max", "MAX_WINDOW_CELLS"]

# Each window cell is one term of the fused loop; inductor itself falls back to the aten kernel past
# 25 cells (its max_pool lowering), and so do we.
MAX_WINDOW_CELLS = 25


def window_max(x: torch.Tensor, pool_size: Sequence[int], strides: Sequence[int],
               pads: Sequence[tuple[int, int]]) -> torch.Tensor:
    """Max over each window of ``(N, C, *spatial)`` `x`; ``(lo, hi)`` padded cells are ignored."""
    return _WindowMax.apply(x, tuple(pool_size), tuple(strides), tuple(tuple(p) for p in pads))[0]


def _output_lengths(spatial, pool_size, strides, pads) -> tuple[int, ...]:
    return tuple((n + lo + hi - k) // s + 1 for n, k, s, (lo, hi) in zip(spatial, pool_size, strides, pads))


class _WindowMax(torch.autograd.Function):
    @staticmethod
    def forward(x, pool_size, strides, pads):
        # Channels last inside (inductor vectorises over channels, and an (N, C, ...) view of channels-last
        # data otherwise compiles to a loop 6x slower).
        spatial = x.shape[2:]
        out = _output_lengths(spatial, pool_size, strides, pads)
        x = x.movedim(1, -1)
        padded = F.pad(x, (0, 0) + torch_pad_arg(pads), value=-math.inf) if any(lo or hi for lo, hi in pads) else x
        cells = list(itertools.product(*(range(k) for k in pool_size)))
        views = [padded[(slice(None),) + tuple(slice(o, o + s * (n - 1) + 1, s) for o, s, n in zip(cell, strides, out))]
                 for cell in cells]
        best = views[0]
        for view in views[1:]:
            best = torch.maximum(best, view)  # NaN-propagating, as torch's kernel
        # The window cell that gets the gradient, as a float: inductor vectorises float selects, not
        # uint8 ones (22 ms against 1.5). `v != v` is NaN (inductor's isnan is a scalar loop).
        first_max = torch.full_like(best, len(cells) - 1)
        for i in range(len(cells) - 1, -1, -1):
            holds = views[i] == best
            real = _real_cells(cells[i], spatial, strides, pads, out, x.device)
            first_max = torch.where(holds if real is None else holds & real, i, first_max)
        last_nan = torch.full_like(best, -1)
        for i, view in enumerate(views):
            last_nan = torch.where(view != view, i, last_nan)
        offset = torch.where(best != best, last_nan, first_max)
        return best.movedim(-1, 1), offset

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, pool_size, strides, pads = inputs
        ctx.mark_non_differentiable(output[1])
        ctx.save_for_backward(output[1])
        ctx.meta = (tuple(x.shape[2:]), pool_size, strides, pads)

    @staticmethod
    def backward(ctx, grad, _):
        (offset,) = ctx.saved_tensors
        spatial, pool_size, strides, pads = ctx.meta
        grad = _gradient(grad.movedim(1, -1), offset, spatial, pool_size, strides, pads)
        return grad.movedim(-1, 1), None, None, None


def _gradient(grad, offset, spatial, pool_size, strides, pads):
    """The input gradient, channels last: each input cell sums the gradients of the windows that hold
    it and sent theirs to it (a gather: each cell written once). Cells are indexed by padded coordinate
    ``s*q + r``, ``q`` and ``r`` on separate axes, so that windows ``q - t`` hold the cell at offset
    ``r + s*t`` with no integer division in the loop (inductor's would run per vector)."""
    rank = len(pool_size)
    out = offset.shape[1:-1]
    classes = [-(-(lo + n) // s) for n, s, (lo, _) in zip(spatial, strides, pads)]  # Q per axis
    axes = []
    for a, (k, s, q_count, o) in enumerate(zip(pool_size, strides, classes, out)):
        q_shape, r_shape = [1] * (2 * rank), [1] * (2 * rank)
        q_shape[2 * a], r_shape[2 * a + 1] = q_count, s
        q = torch.arange(q_count, device=grad.device).view(q_shape)
        r = torch.arange(s, device=grad.device).view(r_shape)
        terms = []
        for t in range(-(-k // s)):
            window, at = q - t, r + s * t
            holds = (window >= 0) & (window < o) & (at < k)
            terms.append((window.clamp(0, o - 1), at, holds))
        axes.append(terms)
    total = None
    for combo in reversed(list(itertools.product(*axes))):  # ascending windows: torch's sum order
        index = (slice(None),) + tuple(window for window, _, _ in combo)
        flat, holds = 0, True
        for (_, at, held), k in zip(combo, pool_size):
            flat = flat * k + at
            holds = holds & held
        term = torch.where(holds[..., None] & (offset[index] == flat[..., None]), grad[index], 0)
        total = term if total is None else total + term
    total = total.reshape(total.shape[0], *(q * s for q, s in zip(classes, strides)), total.shape[-1])
    return total[(slice(None),) + tuple(slice(lo, lo + n) for n, (lo, _) in zip(spatial, pads))]


def _real_cells(cell, spatial, strides, pads, out, device) -> torch.Tensor | None:
    """Which windows read a real (not padded) cell at window position `cell`; None if all do."""
    mask = None
    rank = len(cell)
    for a, (o, n, s, (lo, _), m) in enumerate(zip(cell, spatial, strides, pads, out)):
        first, last = o - lo, o - lo + s * (m - 1)
        if first >= 0 and last < n:
            continue
        position = torch.arange(m, device=device) * s + (o - lo)
        shape = [1] * (rank + 1)  # trailing 1: channels
        shape[a] = m
        real = ((position >= 0) & (position < n)).view(shape)
        mask = real if mask is None else mask & real
    return mask
