"""Numpy references for layers Keras lacks and for behaviour where Keras has a confirmed bug.

Written from the defining papers/docs, independently of our torch code.
"""

from __future__ import annotations

import numpy as np


def sparsemax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Martins & Astudillo (2016), Algorithm 1: tau = (sum_{j<=k(z)} z_(j) - 1) / k(z)."""
    x = np.moveaxis(np.asarray(x, dtype=np.float64), axis, -1)
    z = -np.sort(-x, axis=-1)
    k = np.arange(1, x.shape[-1] + 1)
    cumsum = np.cumsum(z, axis=-1)
    support = 1 + k * z > cumsum
    k_z = support.sum(-1, keepdims=True)
    tau = (np.take_along_axis(cumsum, k_z - 1, -1) - 1) / k_z
    return np.moveaxis(np.maximum(x - tau, 0.0), -1, axis)


def dense_sparsemax(config, args, kwargs, weights):
    x = args[0].astype(np.float64)
    y = x @ weights[0] + (weights[1] if config.get("use_bias", True) else 0.0)
    return sparsemax(y)
