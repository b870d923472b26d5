"""N-D cross-correlation with arbitrary per-axis ``(lo, hi)`` padding (TF SAME, causal, valid)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from .padding import split_padding, torch_pad_arg

__all__ = ["POINTWISE_GEMM_MAX_ROWS", "conv", "conv_transpose", "pointwise_conv_channels_last", "pointwise_gemm_wins"]

# Output positions (batch x spatial) up to which a 1x1, stride-1, ungrouped convolution on a channels-last
# input runs as one GEMM over its (positions, channels) buffer. oneDNN's convolution pays about 0.1 ms of
# setup per call, which MKL's GEMM does not: at 32-512 positions the GEMM takes 0.22-0.95 of its time
# (forward and backward 0.43-0.86), from 2048 on the two are even and at 8192 oneDNN wins (2 threads;
# `python -m benchmarks.pointwise_routes`, docs/benchmarks.md "Pointwise convolutions").
POINTWISE_GEMM_MAX_ROWS = 1024

_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_CONV_TRANSPOSE = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


def conv(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    strides: Sequence[int],
    pads: Sequence[tuple[int, int]],
    dilation: Sequence[int],
    groups: int = 1,
) -> torch.Tensor:
    """`x` is ``(N, C, *spatial)``, `weight` ``(F, C/groups, *k)``. The symmetric part of the padding is
    left to the kernel (no copy); only an asymmetric remainder (TF SAME's extra unit at the end, causal
    padding) is materialised with ``F.pad``, never torch's symmetric "same"."""
    symmetric, rest = split_padding(pads)
    if any(lo or hi for lo, hi in rest):
        x = F.pad(x, torch_pad_arg(rest))
    return _CONV[x.dim() - 2](x, weight, bias, tuple(strides), symmetric, tuple(dilation), groups)


def pointwise_gemm_wins(x: torch.Tensor, channels: int) -> bool:
    """Whether a 1x1, stride-1, ungrouped convolution of `x` (`channels` per position, any layout) runs as
    `pointwise_conv_channels_last`: at most `POINTWISE_GEMM_MAX_ROWS` positions, eagerly. A traced graph
    keeps one route for every batch size (a size test would guard torch.export's dynamic batch) and lets
    inductor choose its kernels."""
    return not torch.compiler.is_compiling() and x.numel() <= POINTWISE_GEMM_MAX_ROWS * channels


def pointwise_conv_channels_last(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """A 1x1 convolution of a channels-last `x` ``(N, *spatial, C)`` with `weight` ``(F, C, 1, ...)``: the
    same sums as `conv`, as ``x @ weight.T`` on the buffer (a view, no copy for a contiguous `x`)."""
    return F.linear(x, weight.flatten(1), bias)


def conv_transpose(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    strides: Sequence[int],
    crop_starts: Sequence[int],
    out_sizes: Sequence[int],
    dilation: Sequence[int],
) -> torch.Tensor:
    """Transposed convolution that keeps ``out_sizes`` cells of the full ``(n - 1) * s + span`` output
    from ``crop_starts`` on (TensorFlow's rule, see `padding.transpose_crop_start`). `x` is
    ``(N, C, *spatial)``, `weight` ``(C, F, *k)``.

    Torch crops its `padding` from both ends and appends `output_padding` (< stride) at the end. TF's
    window is either that (the remainder is ``0 <= extra < stride``) or ends one cell before it (an
    odd total SAME padding puts the extra unit at the end); the latter is computed with the same
    start and narrowed: one extra row per axis, and the narrowing is a view, where padding the input
    instead would copy it."""
    spatial = x.shape[2:]
    extras = []
    for n, k, s, d, start, out in zip(spatial, weight.shape[2:], strides, dilation, crop_starts, out_sizes):
        extras.append(out - ((n - 1) * s + (k - 1) * d + 1 - 2 * start))
    output_padding = tuple(max(e, 0) for e in extras)
    y = _CONV_TRANSPOSE[x.dim() - 2](x, weight, bias, tuple(strides), tuple(crop_starts), output_padding, 1,
                                     tuple(dilation))
    for axis, (extra, out) in enumerate(zip(extras, out_sizes), start=2):
        if extra < 0:
            y = y.narrow(axis, 0, out)
    return y
