"""Max pooling written as elementwise ops, for inductor on the CPU.

Torch's CPU max pooling writes int64 indices beside its output, and its backward zero-fills the input
gradient before scattering into it; inductor lowers the same op to a slow scatter (7.1 ms fwd+bwd
where this takes 1.8 ms for MaxPooling2D(3, 2, 'same') on 64x32x32x64, `benchmarks/pool_routes.py`).
Written as a maximum over the window's strided views (forward) and, per input cell, a sum over the
windows holding it (backward, a gather: each gradient cell written once), inductor fuses each pass
into one vectorised loop. The gradient goes where torch's kernel sends it, bit for bit: to the first
real cell of the window holding the maximum, or to the window's last NaN; contributions are summed in
torch's order (ascending windows).

Only `ops.pooling.max_pool` calls this, and only while inductor traces (eager keeps torch's kernel,
exports keep the one ONNX knows).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F

from .inductor_cpu import zero_from
from .padding import output_length, torch_pad_arg

__all__ = ["window_max", "MAX_WINDOW_CELLS"]

# Each window cell is one term of the fused loop; inductor itself falls back to the aten kernel past
# 25 cells (its max_pool lowering), and so do we.
MAX_WINDOW_CELLS = 25


def window_max(x: torch.Tensor, pool_size: Sequence[int], strides: Sequence[int],
               pads: Sequence[tuple[int, int]]) -> torch.Tensor:
    """Max over each window of ``(N, C, *spatial)`` `x`; ``(lo, hi)`` padded cells are ignored."""
    return _WindowMax.apply(x, tuple(pool_size), tuple(strides), tuple(tuple(p) for p in pads))[0]


class _WindowMax(torch.autograd.Function):
    @staticmethod
    def forward(x, pool_size, strides, pads):
        # Channels last inside (inductor vectorises over channels, and an (N, C, ...) view of channels-last
        # data otherwise compiles to a loop 6x slower).
        spatial = x.shape[2:]
        out = tuple(output_length(n, k, s, p) for n, k, s, p in zip(spatial, pool_size, strides, pads))
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
        # A window holding a NaN: its last NaN (nothing equals a NaN maximum, so the chain below keeps it).
        offset = torch.full_like(best, len(cells) - 1)
        for i, view in enumerate(views):
            offset = torch.where(view != view, i, offset)
        for i in range(len(cells) - 1, -1, -1):
            holds = views[i] == best
            real = _real_cells(cells[i], spatial, strides, pads, out, x.device)
            offset = torch.where(holds if real is None else holds & real, i, offset)
        if len(cells) <= 2:
            # The partitioner saves the cheapest tensors the backward can be computed from: for two
            # cells, the chain's four masks take as many bytes as float32 offsets, and it picks them
            # (bools: slow to write, see `inductor_cpu`). Half-precision offsets (exact up to 2048) cost less.
            offset = offset.to(torch.float16)
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
    it and sent theirs to it (a gather: each cell written once). Along an axis, the cell at padded
    coordinate ``P`` is held by windows ``P // s - t`` at offset ``P % s + s*t`` (``t < ceil(k / s)``).
    Where ``s`` divides the length, the cells are indexed ``(q, r)`` on two axes, ``P = s*q + r + lo``,
    so that the index arithmetic is affine in ``q`` (inductor would otherwise divide per vector, 1.3x the
    time); the result is the same buffer either way."""
    out = offset.shape[1:-1]
    device = grad.device
    offset = offset + zero_from(grad)  # keeps the masks below out of the forward graph: see there
    split = [s > 1 and n % s == 0 for n, s in zip(spatial, strides)]
    dims = [d for n, s, two in zip(spatial, strides, split) for d in ((n // s, s) if two else (n,))]

    def along(position, values):
        shape = [1] * len(dims)
        shape[position] = values.numel()
        return values.view(shape)

    axes, position = [], 0
    for n, k, s, (lo, _), o, two in zip(spatial, pool_size, strides, pads, out, split):
        if two:
            q = along(position, torch.arange(n // s, device=device))
            r = along(position + 1, torch.arange(s, device=device)) + lo
            window, at = q + r // s, r % s
        else:
            cell = along(position, torch.arange(n, device=device)) + lo
            window, at = cell // s, cell % s
        position += 2 if two else 1
        terms = []
        for t in range(-(-k // s)):
            holds = (window - t >= 0) & (window - t < o) & (at + s * t < k)
            terms.append(((window - t).clamp(0, o - 1), at + s * t, holds))
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
    return total.reshape(total.shape[0], *spatial, total.shape[-1])


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
