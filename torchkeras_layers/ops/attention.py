"""Scaled dot-product attention as Keras' MultiHeadAttention computes it, on torch's fused kernels.

All functions take the heads-first layout of `F.scaled_dot_product_attention`: query `(B, N, L, H)`,
key `(B, N, S, H)`, value `(B, N, S, Hv)`, and boolean masks broadcastable to `(B, N, L, S)` with
**True = may attend** (Keras' polarity, also SDPA's; `nn.MultiheadAttention` uses the opposite).

Keras has two code paths that differ only on query rows whose keys are all masked:
- its fused path (`ops.dot_product_attention`) replaces masked logits by a large finite negative
  number, so such a row gets *uniform* weights: the mean of the values;
- its explicit path (the `Softmax` layer with a mask) zeroes masked probabilities, so such a row gets
  *zero* weights.
`attention` reproduces either (`fully_masked_rows=`); SDPA itself yields zeros for such rows.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F

__all__ = [
    "causal_mask",
    "sliding_window_mask",
    "merge_masks",
    "expand_attention_mask",
    "flatten_mask_groups",
    "masked_softmax",
    "attention",
    "attention_with_scores",
    "sdpa_backends",
]


def causal_mask(query_length: int, key_length: int, device=None) -> torch.Tensor:
    """`(L, S)` bool, key j visible to query i iff j <= i: top-left aligned, like Keras and `is_causal`."""
    return torch.ones(query_length, key_length, dtype=torch.bool, device=device).tril()


def sliding_window_mask(query_length: int, key_length: int, window: int, device=None) -> torch.Tensor:
    """`(L, S)` bool, |i - j| < window: Keras' symmetric band (AND it with causal for a causal window)."""
    rows = torch.arange(query_length, device=device)[:, None]
    cols = torch.arange(key_length, device=device)[None, :]
    return (rows - cols).abs() < window


def merge_masks(*masks: torch.Tensor | None) -> torch.Tensor | None:
    """Logical AND of the masks that are not None (broadcasting), None if there are none."""
    merged = None
    for mask in masks:
        if mask is not None:
            merged = mask if merged is None else merged & mask
    return merged


def expand_attention_mask(mask: torch.Tensor, scores_rank: int, num_attention_axes: int) -> torch.Tensor:
    """Keras' rule for a user `attention_mask`: insert size-1 axes at `-2k-1` (k attention axes,
    i.e. just before the query attention axes: the heads axis, then batch axes) up to the scores' rank.
    A `(T, S)` mask therefore becomes `(1, 1, T, S)` and a `(B, T, S)` mask `(B, 1, T, S)`."""
    axis = -2 * num_attention_axes - 1
    for _ in range(scores_rank - mask.dim()):
        mask = mask.unsqueeze(axis)
    return mask


def flatten_mask_groups(mask: torch.Tensor, groups: Sequence[Sequence[int]], full_shape: Sequence[int]) -> torch.Tensor:
    """Collapse each group of consecutive axes of `mask` (broadcastable to `full_shape`) into one axis.

    A group whose axes are all size 1 in the mask stays size 1 (broadcast); otherwise it is expanded to
    its full size first. Single-axis groups are left alone, so the common 3-D case is a no-op.
    """
    if all([len(g) == 1 for g in groups]):
        return mask
    target = list(mask.shape)
    for group in groups:
        if len(group) > 1 and any([mask.shape[a] != 1 for a in group]):
            for a in group:
                target[a] = full_shape[a]
    new_shape = [math.prod([target[a] for a in group]) for group in groups]
    return mask.expand(target).reshape(new_shape)


def _large_negative(dtype: torch.dtype) -> float:
    # Keras' Softmax layer: -1e9, or -3e4 for float16 (whose range ends at 65504).
    return -3e4 if dtype == torch.float16 else -1e9


def masked_softmax(logits: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Keras' `Softmax(axis=-1)(logits, mask)`: masked logits replaced by a large negative number, then
    masked probabilities set to 0, so a fully masked row is all zeros (not uniform, not NaN).
    `torch.where` (not an additive mask) keeps gradients of masked logits exactly zero, as in Keras."""
    if mask is None:
        return torch.softmax(logits, dim=-1)
    logits = torch.where(mask, logits, _large_negative(logits.dtype))
    return torch.where(mask, torch.softmax(logits, dim=-1), 0.0)


def sdpa_backends(flash_attention: bool | None):
    """The SDPA backend restriction for Keras' `flash_attention` flag: None lets torch choose, True
    allows only the flash kernel (torch raises if it cannot run), False excludes it."""
    if flash_attention is None:
        return contextlib.nullcontext()
    from torch.nn.attention import SDPBackend, sdpa_kernel

    if flash_attention:
        return sdpa_kernel([SDPBackend.FLASH_ATTENTION])
    return sdpa_kernel([SDPBackend.CUDNN_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.MATH])


def attention(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    mask: torch.Tensor | None,
    scale: float,
    *,
    is_causal: bool = False,
    dropout_p: float = 0.0,
    fully_masked_rows: str = "zero",
    flash_attention: bool | None = None,
) -> torch.Tensor:
    """`softmax(q k^T * scale, masked) @ v` through `F.scaled_dot_product_attention` (fused kernels).

    `is_causal` must only be set without `mask` (the kernel's own causal path). `fully_masked_rows`
    is "zero" (Keras' explicit path, SDPA's behaviour) or "uniform" (Keras' fused path: the row is the
    mean of the values; its query and keys get no gradient, exactly as Keras' `where` gives).
    """
    with sdpa_backends(flash_attention):
        out = F.scaled_dot_product_attention(
            query, key, value, attn_mask=mask, dropout_p=dropout_p, is_causal=is_causal, scale=scale
        )
    if mask is not None:
        dead_rows = ~mask.any(dim=-1, keepdim=True)
        fill = value.mean(dim=-2, keepdim=True) if fully_masked_rows == "uniform" else out.new_zeros(())
        # `where` also guards against backends that would return NaN for such rows.
        out = torch.where(dead_rows, fill, out)
    return out


def attention_with_scores(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    mask: torch.Tensor | None,
    scale: float,
    *,
    dropout_p: float = 0.0,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Keras' explicit path: returns `(output, probabilities)`, the probabilities before dropout.

    As in Keras, the query is scaled before the product, masked probabilities are zero (a fully masked
    row outputs zeros) and dropout (inverted, rate `dropout_p`) acts on the probabilities only.
    """
    logits = torch.matmul(query * scale, key.transpose(-1, -2))
    probs = masked_softmax(logits, mask)
    dropped = probs
    if dropout_p > 0.0:
        if generator is None:
            dropped = F.dropout(probs, dropout_p, training=True)
        elif dropout_p >= 1.0:
            dropped = probs * 0.0
        else:
            keep = torch.empty_like(probs).bernoulli_(1.0 - dropout_p, generator=generator)
            dropped = probs * keep / (1.0 - dropout_p)
    return torch.matmul(dropped, value), probs
