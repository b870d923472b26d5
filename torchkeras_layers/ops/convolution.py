"""N-D cross-correlation with arbitrary per-axis ``(lo, hi)`` padding (TF SAME, causal, valid)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from .padding import split_padding, torch_pad_arg

__all__ = ["conv"]

_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}


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
