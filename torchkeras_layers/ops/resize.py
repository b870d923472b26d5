"""Resizes as TensorFlow's `tf.image.resize` computes them, where torch has no equal kernel.

* ``resize_matrix``: the (out, in) interpolation matrix of one axis for "bicubic", "lanczos3",
  "lanczos5" and "area". Applied separably, it gives TF's numbers:
  - "bicubic" is TF's `ResizeBicubic(half_pixel_centers=True)`: Keys' cubic with a = -0.5 (torch
    uses -0.75), the fractional offset rounded to 1/1024 (TF reads its weights from a 1024-entry
    table), taps outside the image dropped and the rest renormalised to sum 1.
  - "lanczos3"/"lanczos5" are TF's `ScaleAndTranslate` kernels: the Lanczos window of radius 3/5
    around the half-pixel sample position, clipped to the image, renormalised; with `antialias` and a
    downscale the window is stretched by in/out (the kernel's argument divided by it).
  - "area" is TF's `ResizeArea`: output pixel i averages the input interval [i s, (i + 1) s), s = in/out
    (float32), each input pixel weighted by the fraction of it inside.
"""

from __future__ import annotations

import math

import torch

__all__ = ["RESIZE_KERNELS", "apply_axis_matrix", "resize_matrix"]

_KEYS_A = -0.5  # Keys' cubic convolution parameter in TF's half-pixel bicubic
_TABLE_SIZE = 1024  # TF's bicubic coefficient table resolution
RESIZE_KERNELS = ("bicubic", "lanczos3", "lanczos5", "area")


def _keys_cubic_near(t: torch.Tensor) -> torch.Tensor:  # |x| in [0, 1]
    return ((_KEYS_A + 2) * t - (_KEYS_A + 3)) * t * t + 1


def _keys_cubic_far(t: torch.Tensor) -> torch.Tensor:  # |x| in [1, 2]
    return ((_KEYS_A * t - 5 * _KEYS_A) * t + 8 * _KEYS_A) * t - 4 * _KEYS_A


def _lanczos(x: torch.Tensor, radius: int) -> torch.Tensor:
    x = x.abs()
    safe = torch.where(x <= 1e-3, torch.ones_like(x), x)  # TF's limit case sin(x)/x -> 1 below 1e-3
    value = radius * torch.sin(math.pi * safe) * torch.sin(math.pi * safe / radius) / (math.pi**2 * safe * safe)
    value = torch.where(x <= 1e-3, torch.ones_like(x), value)
    return torch.where(x > radius, torch.zeros_like(x), value)


def _area_matrix(in_size: int, out_size: int, device=None) -> torch.Tensor:
    scale = float(torch.tensor(in_size / out_size, dtype=torch.float32))  # TF's height_scale is a float
    matrix = torch.zeros(out_size, in_size, dtype=torch.float64)
    for i in range(out_size):
        start = float(torch.tensor(i * scale, dtype=torch.float32))
        end = float(torch.tensor((i + 1) * scale, dtype=torch.float32))
        for j in range(math.floor(start), math.ceil(end)):
            matrix[i, min(max(j, 0), in_size - 1)] += min(j + 1, end) - max(j, start)
    return (matrix / scale).to(device)


def resize_matrix(kernel: str, in_size: int, out_size: int, device=None, antialias: bool = False) -> torch.Tensor:
    """The float64 (out_size, in_size) matrix M with ``resized = M @ x`` along one axis."""
    sources = torch.arange(in_size, device=device, dtype=torch.float64)
    outputs = torch.arange(out_size, device=device, dtype=torch.float32)
    if kernel == "bicubic":
        scale = torch.tensor(in_size / out_size, dtype=torch.float32, device=device)  # float, as TF
        position = ((outputs + 0.5) * scale - 0.5).double()  # TF evaluates the sample position in float32
        base = torch.floor(position)
        t = torch.round((position - base) * _TABLE_SIZE) / _TABLE_SIZE
        taps = (_keys_cubic_far(t + 1), _keys_cubic_near(t), _keys_cubic_near(1 - t), _keys_cubic_far(2 - t))
        matrix = sum(w[:, None] * (sources[None, :] == (base + k - 1)[:, None]) for k, w in enumerate(taps))
    elif kernel in ("lanczos3", "lanczos5"):
        scale = torch.tensor(out_size, dtype=torch.float32) / torch.tensor(in_size, dtype=torch.float32)
        inv_scale = (1.0 / scale).to(device)
        sample = ((outputs + 0.5) * inv_scale).double()
        kernel_scale = max(float(inv_scale), 1.0) if antialias else 1.0
        matrix = _lanczos((sources[None, :] + 0.5 - sample[:, None]) / kernel_scale, int(kernel[-1]))
    elif kernel == "area":
        return _area_matrix(in_size, out_size, device)
    else:
        raise ValueError(f"resize_matrix: unknown kernel {kernel!r}; expected one of {RESIZE_KERNELS}")
    return matrix / matrix.sum(dim=1, keepdim=True)


def apply_axis_matrix(x: torch.Tensor, matrix: torch.Tensor, axis: int) -> torch.Tensor:
    """``matrix @ x`` along `axis`, as one matmul on a (before, axis, after) view of `x` (no
    transposes, so no copies of a contiguous input in either data format)."""
    matrix = matrix.to(x.dtype)
    if axis in (-1, x.dim() - 1):
        return torch.matmul(x, matrix.T)  # (..., in) @ (in, out): one GEMM, not a batch of vector products
    after = x.shape[axis + 1:]
    rows = x.reshape(-1, x.shape[axis], math.prod(after))
    return torch.matmul(matrix, rows).reshape(*x.shape[:axis], matrix.shape[0], *after)
