"""Numpy references for the pooling kinds Keras lacks, for AdaptiveMaxPooling where Keras crashes the
process, and for convolutions where Keras/TensorFlow on CPU is broken or refuses to run.

Written from the definitions (papers, TensorFlow's documented SAME rule) with explicit loops over
windows, independently of the torch code in `torchkeras_layers/ops`. Every function takes and returns
arrays in the layer's Keras layout.
"""

from __future__ import annotations

import itertools
import math

import numpy as np


# ----------------------------------------------------------------------------- layout and windows
def _to_channels_last(x, data_format):
    return np.moveaxis(x, 1, -1) if data_format == "channels_first" else x


def _from_channels_last(y, data_format):
    return np.moveaxis(y, -1, 1) if data_format == "channels_first" else y


def _tuple(value, n):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n


def tf_same_pads(n, k, s, d=1):
    """TensorFlow SAME: output ceil(n/s); the extra padding unit goes at the end."""
    span = (k - 1) * d + 1
    out = -(-n // s)
    total = max((out - 1) * s + span - n, 0)
    return total // 2, total - total // 2


def _windows(spatial, pool, strides, padding):
    """For each output position (tuple), the list of per-axis index ranges of *real* cells."""
    pads = [tf_same_pads(n, k, s) if padding == "same" else (0, 0) for n, k, s in zip(spatial, pool, strides)]
    per_axis = []
    for n, k, s, (lo, hi) in zip(spatial, pool, strides, pads):
        count = (n + lo + hi - k) // s + 1
        per_axis.append([range(max(i * s - lo, 0), min(i * s - lo + k, n)) for i in range(count)])
    return per_axis


def window_reduce(x, pool_size, strides, padding, data_format, reduce):
    """Apply `reduce(values: (cells, C)) -> (C,)` to the real cells of every window (padding ignored)."""
    rank = x.ndim - 2
    pool = _tuple(pool_size, rank)
    strides = pool if strides is None else _tuple(strides, rank)
    xl = _to_channels_last(np.asarray(x, np.float64), data_format)
    axes = _windows(xl.shape[1:-1], pool, strides, str(padding).lower())
    out = np.zeros((xl.shape[0], *[len(a) for a in axes], xl.shape[-1]))
    for b in range(xl.shape[0]):
        for pos in itertools.product(*[range(len(a)) for a in axes]):
            cells = [xl[(b, *idx)] for idx in itertools.product(*[axes[d][p] for d, p in enumerate(pos)])]
            out[(b, *pos)] = reduce(np.stack(cells))
    return _from_channels_last(out, data_format)


# ----------------------------------------------------------------------------- pooling kinds
def max_pool(config, args, kwargs, weights):
    c = config
    return window_reduce(args[0], c["pool_size"], c.get("strides"), c.get("padding", "valid"),
                         c.get("data_format") or "channels_last", lambda v: v.max(0))


def avg_pool(config, args, kwargs, weights):
    c = config
    return window_reduce(args[0], c["pool_size"], c.get("strides"), c.get("padding", "valid"),
                         c.get("data_format") or "channels_last", lambda v: v.mean(0))


def lp_pool(config, args, kwargs, weights):
    """(sum over the window's real cells of |x|^p)^(1/p)  (Sermanet et al. 2012; Bruna et al. 2014)."""
    p = float(config.get("norm_type", 2.0))
    return window_reduce(args[0], config.get("pool_size", 2), config.get("strides"), config.get("padding", "valid"),
                         config.get("data_format") or "channels_last",
                         lambda v: (np.abs(v) ** p).sum(0) ** (1.0 / p))


def mean_shift_pool(config, args, kwargs, weights):
    """max over the window of (x - window mean) = max(window) - mean(window), real cells only."""
    return window_reduce(args[0], config.get("pool_size", 2), config.get("strides"), config.get("padding", "valid"),
                         config.get("data_format") or "channels_last", lambda v: (v - v.mean(0)).max(0))


def overlapping_pool(config, args, kwargs, weights):
    reduce = (lambda v: v.max(0)) if config.get("pool_mode", "max") == "max" else (lambda v: v.mean(0))
    return window_reduce(args[0], config.get("pool_size", 3), config.get("strides", 2), config.get("padding", "valid"),
                         config.get("data_format") or "channels_last", reduce)


def adaptive_max_pool(config, args, kwargs, weights):
    """Bins [floor(i*L/O), ceil((i+1)*L/O)) per axis (Keras' and torch's definition)."""
    return _adaptive(config, args[0], lambda v: v.max(0))


def adaptive_avg_pool(config, args, kwargs, weights):
    return _adaptive(config, args[0], lambda v: v.mean(0))


def _adaptive(config, x, reduce):
    rank = x.ndim - 2
    data_format = config.get("data_format") or "channels_last"
    out_size = _tuple(config["output_size"], rank)
    xl = _to_channels_last(np.asarray(x, np.float64), data_format)
    bins = [[range(math.floor(i * n / o), math.ceil((i + 1) * n / o)) for i in range(o)]
            for n, o in zip(xl.shape[1:-1], out_size)]
    out = np.zeros((xl.shape[0], *out_size, xl.shape[-1]))
    for pos in itertools.product(*[range(o) for o in out_size]):
        cells = [xl[(slice(None), *idx)] for idx in itertools.product(*[bins[d][p] for d, p in enumerate(pos)])]
        out[(slice(None), *pos)] = reduce(np.stack(cells))
    return _from_channels_last(out, data_format)


def bilinear_pool(config, args, kwargs, weights):
    """Lin, RoyChowdhury & Maji (ICCV 2015): z = mean over locations l of a_l b_l^T, flattened (row
    index = channel of a); then y = sign(z) (sqrt(|z| + eps) - sqrt(eps)) and y / max(||y||_2, eps)."""
    data_format = config.get("data_format") or "channels_last"
    inputs = args[0] if isinstance(args[0], (list, tuple)) else [args[0], args[0]]
    a, b = (_to_channels_last(np.asarray(t, np.float64), data_format) for t in inputs)
    batch = a.shape[0]
    a = a.reshape(batch, -1, a.shape[-1])
    b = b.reshape(batch, -1, b.shape[-1])
    z = np.stack([sum(np.outer(a[n, i], b[n, i]) for i in range(a.shape[1])) / a.shape[1] for n in range(batch)])
    return _normalize(config, z.reshape(batch, -1))


def _bilinear_z(config, args):
    data_format = config.get("data_format") or "channels_last"
    inputs = args[0] if isinstance(args[0], (list, tuple)) else [args[0], args[0]]
    a, b = (_to_channels_last(np.asarray(t, np.float64), data_format) for t in inputs)
    a = a.reshape(a.shape[0], -1, a.shape[-1])
    b = b.reshape(b.shape[0], -1, b.shape[-1])
    return np.einsum("nli,nlj->nij", a, b) / a.shape[1]


def _normalize(config, y):
    eps = config.get("epsilon", 1e-12)
    if config.get("signed_sqrt", True):
        y = np.sign(y) * (np.sqrt(np.abs(y) + eps) - np.sqrt(eps))
    if config.get("l2_normalize", True):
        y = y / np.maximum(np.sqrt((y ** 2).sum(-1, keepdims=True)), eps)
    return y


def compact_bilinear_pool(config, args, kwargs, weights):
    """Gao et al. (CVPR 2016), the Tensor Sketch of z written out (no FFT):
    y_k = sum over (i, j) with (h_a(i) + h_b(j)) mod d == k of s_a(i) s_b(j) z_ij, then normalised.
    h and s are the layer's weights [hash_a, sign_a, hash_b, sign_b]."""
    h_a, s_a, h_b, s_b = (np.asarray(w) for w in weights)
    d = config["output_dim"]
    assert set(np.unique(np.abs(s_a))) | set(np.unique(np.abs(s_b))) == {1.0}, "signs must be +-1"
    z = _bilinear_z(config, args)
    y = np.zeros((z.shape[0], d))
    for i in range(len(h_a)):
        for j in range(len(h_b)):
            y[:, (h_a[i] + h_b[j]) % d] += s_a[i] * s_b[j] * z[:, i, j]
    return _normalize(config, y)


def global_average_pool_masked(config, args, kwargs, weights):
    """GlobalAveragePooling1D with a mask; a fully masked row gives 0 (Keras: NaN, see README)."""
    data_format = config.get("data_format") or "channels_last"
    x = _to_channels_last(np.asarray(args[0], np.float64), data_format)
    mask = np.asarray(kwargs["mask"]).astype(bool)
    out = np.zeros((x.shape[0], x.shape[-1]))
    for n in range(x.shape[0]):
        kept = x[n][mask[n]]
        out[n] = kept.mean(0) if len(kept) else 0.0
    if config.get("keepdims", False):
        out = out[:, None, :] if data_format == "channels_last" else out[:, :, None]
    return out


# ----------------------------------------------------------------------------- convolution
def conv(config, args, kwargs, weights):
    """Cross-correlation with TF SAME / causal padding, dilation and groups, by explicit loops.
    `weights` are Keras' [kernel (*k, cin/groups, filters), bias?]."""
    x = np.asarray(args[0], np.float64)
    rank = x.ndim - 2
    data_format = config.get("data_format") or "channels_last"
    kernel = np.asarray(weights[0], np.float64)
    bias = np.asarray(weights[1], np.float64) if config.get("use_bias", True) else None
    ks = kernel.shape[:rank]
    strides = _tuple(config.get("strides", 1), rank)
    dilation = _tuple(config.get("dilation_rate", 1), rank)
    groups = config.get("groups", 1)
    padding = str(config.get("padding", "valid")).lower()
    xl = _to_channels_last(x, data_format)
    spatial = xl.shape[1:-1]
    if padding == "same":
        pads = [tf_same_pads(n, k, s, d) for n, k, s, d in zip(spatial, ks, strides, dilation)]
    elif padding == "causal":
        pads = [((ks[0] - 1) * dilation[0], 0)]
    else:
        pads = [(0, 0)] * rank
    xp = np.pad(xl, [(0, 0), *pads, (0, 0)])
    out_sizes = [(n + lo + hi - (k - 1) * d - 1) // s + 1
                 for n, (lo, hi), k, s, d in zip(spatial, pads, ks, strides, dilation)]
    cin_g = kernel.shape[-2]
    filters = kernel.shape[-1]
    f_g = filters // groups
    out = np.zeros((xl.shape[0], *out_sizes, filters))
    for pos in itertools.product(*[range(o) for o in out_sizes]):
        for tap in itertools.product(*[range(k) for k in ks]):
            idx = tuple(p * s + t * d for p, s, t, d in zip(pos, strides, tap, dilation))
            vals = xp[(slice(None), *idx)]  # (B, cin)
            for g in range(groups):
                out[(slice(None), *pos, slice(g * f_g, (g + 1) * f_g))] += (
                    vals[:, g * cin_g:(g + 1) * cin_g] @ kernel[tap][:, g * f_g:(g + 1) * f_g]
                )
    if bias is not None:
        out = out + bias
    activation = config.get("activation") or "linear"
    out = {"linear": lambda v: v, "relu": lambda v: np.maximum(v, 0), "tanh": np.tanh}[activation](out)
    return _from_channels_last(out, data_format)
