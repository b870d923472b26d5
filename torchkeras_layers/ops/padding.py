"""TensorFlow's padding arithmetic as pure functions of Python ints (no tensors).

Keras pads 'same' the TensorFlow way: the output has ``ceil(n / s)`` cells and the total padding is
whatever the last window needs, split ``lo = total // 2`` before and ``hi = total - lo`` after, so the
odd unit goes at the *end*. The split depends on ``n mod s``, so it is computed per input size.
Torch's own ``padding="same"`` (stride 1 only) agrees only where ``lo == hi`` or the stride is 1.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "effective_kernel_size",
    "same_padding",
    "causal_padding",
    "window_paddings",
    "output_length",
    "split_padding",
    "torch_pad_arg",
    "transpose_output_length",
    "transpose_crop_start",
]


def effective_kernel_size(kernel: int, dilation: int = 1) -> int:
    """The span of a dilated window: ``(k - 1) * d + 1``."""
    return (kernel - 1) * dilation + 1


def same_padding(size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """TF SAME padding ``(lo, hi)`` of one axis of length `size` (extra unit at the end)."""
    out = -(-size // stride)
    total = max((out - 1) * stride + effective_kernel_size(kernel, dilation) - size, 0)
    return total // 2, total - total // 2


def causal_padding(kernel: int, dilation: int = 1) -> tuple[int, int]:
    """Keras' causal padding: every unit at the start, so output t sees inputs <= t only."""
    return (effective_kernel_size(kernel, dilation) - 1, 0)


def window_paddings(
    padding: str,
    sizes: Sequence[int],
    kernels: Sequence[int],
    strides: Sequence[int],
    dilations: Sequence[int] | None = None,
) -> tuple[tuple[int, int], ...]:
    """Per-axis ``(lo, hi)`` for Keras' `padding` ("valid", "same" or "causal") on spatial `sizes`."""
    dilations = dilations if dilations is not None else (1,) * len(kernels)
    if padding == "valid":
        return ((0, 0),) * len(kernels)
    if padding == "same":
        return tuple(same_padding(n, k, s, d) for n, k, s, d in zip(sizes, kernels, strides, dilations))
    if padding == "causal":
        return tuple(causal_padding(k, d) for k, d in zip(kernels, dilations))
    raise ValueError(f"padding must be 'valid', 'same' or 'causal'; received {padding!r}")


def output_length(size: int, kernel: int, stride: int, pads: tuple[int, int] = (0, 0), dilation: int = 1) -> int:
    """Number of windows: ``floor((n + lo + hi - span) / s) + 1`` (may be <= 0 when the input is too small)."""
    return (size + pads[0] + pads[1] - effective_kernel_size(kernel, dilation)) // stride + 1


def split_padding(
    pads: Sequence[tuple[int, int]], limits: Sequence[int] | None = None
) -> tuple[tuple[int, ...], tuple[tuple[int, int], ...]]:
    """Split ``(lo, hi)`` pairs into the symmetric part a torch kernel can apply itself
    (``min(lo, hi)`` on both sides, at most `limits` per axis: torch pooling pads at most half the
    window) and the remainder that needs an explicit ``F.pad``."""
    limits = limits if limits is not None else (None,) * len(pads)
    symmetric = tuple(min(lo, hi) if cap is None else min(lo, hi, cap) for (lo, hi), cap in zip(pads, limits))
    rest = tuple((lo - m, hi - m) for (lo, hi), m in zip(pads, symmetric))
    return symmetric, rest


def torch_pad_arg(pads: Sequence[tuple[int, int]]) -> tuple[int, ...]:
    """``F.pad``'s flat argument (last axis first) for per-axis ``(lo, hi)`` of the trailing axes."""
    flat: list[int] = []
    for lo, hi in reversed(tuple(pads)):
        flat += [lo, hi]
    return tuple(flat)


def transpose_output_length(
    size: int, kernel: int, stride: int, padding: str, output_padding: int | None = None, dilation: int = 1
) -> int:
    """Keras' output length of a transposed convolution (`compute_conv_transpose_output_shape`):
    'valid' ``(n - 1) * s + max(span, s)``, 'same' ``n * s``; an explicit `output_padding` gives
    ``(n - 1) * s + span + op`` ('valid') or ``(n - 1) * s + span % 2 + op`` ('same')."""
    span = effective_kernel_size(kernel, dilation)
    if padding == "valid":
        extra = max(span, stride) - span if output_padding is None else output_padding
        return (size - 1) * stride + span + extra
    if output_padding is None:
        return size * stride
    return (size - 1) * stride + span % 2 + output_padding


def transpose_crop_start(out_size: int, kernel: int, stride: int, padding: str, dilation: int = 1) -> int:
    """Where TensorFlow's transposed convolution starts inside the full ``(n - 1) * s + span`` output:
    it is the gradient of the forward convolution of an `out_size` input, so it drops that
    convolution's leading padding (TF SAME's ``lo``, 0 for 'valid')."""
    if padding == "valid":
        return 0
    return same_padding(out_size, kernel, stride, dilation)[0]
