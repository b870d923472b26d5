"""Numpy references for MultiHeadAttention where Keras 3.15 has a confirmed bug.

Written from the layer's definition (Vaswani et al. 2017 with Keras' weight layout, §9 of
checked against Keras' source), independently of our torch code: plain einsums over the Keras-layout weights.
"""

from __future__ import annotations

import numpy as np


def _unpack_weights(config, weights):
    """Keras' get_weights order: query, key, [gate], value, attention_output (kernel[, bias] each)."""
    per_layer = 2 if config.get("use_bias", True) else 1
    names = ["query", "key"] + (["gate"] if config.get("use_gate", False) else []) + ["value", "attention_output"]
    out = {}
    for i, name in enumerate(names):
        chunk = weights[i * per_layer:(i + 1) * per_layer]
        out[name] = (np.asarray(chunk[0], np.float64), np.asarray(chunk[1], np.float64) if per_layer == 2 else 0.0)
    return out


def _softmax_rows(logits, mask, fully_masked_rows):
    """Softmax over the last axis of the allowed entries; rows with no allowed entry are uniform
    (Keras' fused path) or zero (Keras' explicit path)."""
    if mask is None:
        mask = np.ones(logits.shape, bool)
    mask = np.broadcast_to(mask, logits.shape)
    shifted = np.where(mask, logits, -np.inf)
    row_max = np.max(shifted, axis=-1, keepdims=True)
    dead = ~mask.any(axis=-1, keepdims=True)
    row_max = np.where(dead, 0.0, row_max)
    exp = np.where(mask, np.exp(shifted - row_max), 0.0)
    total = exp.sum(axis=-1, keepdims=True)
    probs = exp / np.where(dead, 1.0, total)
    if fully_masked_rows == "uniform":
        probs = np.where(dead, 1.0 / logits.shape[-1], probs)
    return probs


def mha_3d(config, query, value, key, weights, mask, fully_masked_rows="uniform"):
    """Multi-head attention of 3-D inputs; `mask` broadcastable to (B, N, T, S), True = attend."""
    w = _unpack_weights(config, weights)
    key = value if key is None else key
    q = np.einsum("bte,enh->btnh", query, w["query"][0]) + w["query"][1]
    k = np.einsum("bse,enh->bsnh", key, w["key"][0]) + w["key"][1]
    v = np.einsum("bse,enh->bsnh", value, w["value"][0]) + w["value"][1]
    logits = np.einsum("btnh,bsnh->bnts", q, k) / np.sqrt(config["key_dim"])
    probs = _softmax_rows(logits, mask, fully_masked_rows)
    out = np.einsum("bnts,bsnh->btnh", probs, v)
    if config.get("use_gate", False):
        out = out / (1.0 + np.exp(-(np.einsum("bte,enh->btnh", query, w["gate"][0]) + w["gate"][1])))
    kernel, bias = w["attention_output"]
    return np.tensordot(out, kernel, axes=([2, 3], [0, 1])) + bias, probs


def plain(config, args, kwargs, weights):
    """Unmasked 3-D attention (for configurations where Keras' own numbers are wrong)."""
    query, value = (np.asarray(a, np.float64) for a in args[:2])
    key = np.asarray(args[2], np.float64) if len(args) > 2 else None
    return mha_3d(config, query, value, key, weights, None)[0]


def four_d_attention_mask_with_value_mask(config, args, kwargs, weights):
    """A (B, N, T, S) attention_mask AND a value_mask: the value_mask must act on the key axis.
    Keras 3.15 ANDs the (B, 1, S) value mask with the 4-D mask directly, so its batch axis lines up
    with the heads axis (wrong numbers when B == N, a shape error otherwise)."""
    query, value = (np.asarray(a, np.float64) for a in args[:2])
    mask = np.asarray(kwargs["attention_mask"], bool) & np.asarray(kwargs["value_mask"], bool)[:, None, None, :]
    return mha_3d(config, query, value, None, weights, mask)[0]


def causal_on_second_axis(config, args, kwargs, weights):
    """4-D inputs, attention_axes=(2,), use_causal_mask=True, where axis 1 and axis 2 differ in length.
    Keras 3.15 builds the causal mask from axis 1's lengths and fails to broadcast it; the intended
    result is causal attention along axis 2, axis 1 acting as a batch axis: slice by slice in 3-D."""
    query, value = (np.asarray(a, np.float64) for a in args[:2])
    rows = []
    length_q, length_k = query.shape[2], value.shape[2]
    causal = np.tril(np.ones((length_q, length_k), bool))
    for i in range(query.shape[1]):
        # Keras' explicit path (>= 4-D inputs): fully masked rows get zero weights (none occur here).
        rows.append(mha_3d(config, query[:, i], value[:, i], None, weights, causal, "zero")[0])
    return np.stack(rows, axis=1)
