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


def keras_add_takes_bias_add_path(shape1, shape2) -> bool:
    """True where Keras 3.15's TF `ops.add(x1, x2)` silently computes the wrong thing.

    keras/src/backend/tensorflow/numpy.py::add rewrites the sum as `tf.nn.bias_add` whenever x2
    squeezes to one non-1 axis whose size equals x1.shape[1] or x1.shape[-1] — without checking
    that this is the axis x2 varies along. E.g. (2, 2, 1) + (2, 1, 1) adds x2 along axis 1 instead of
    the batch axis. Repro: keras.ops.add(ones((2,2,1)), [[[0.]],[[1.]]]) != numpy's sum.
    """
    varying = [i for i, d in enumerate(shape2) if d != 1]
    if len(varying) != 1 or len(shape1) < 2:
        return False
    size = shape2[varying[0]]
    if size not in (shape1[1], shape1[-1]):
        return False
    bias_axis = len(shape1) - 1 if shape1[-1] == size else 1
    # bias_add broadcasts the squeezed vector along `bias_axis`, i.e. aligned to x1's axis `bias_axis`.
    return varying[0] + (len(shape1) - len(shape2)) != bias_axis


def elementwise_merge(op: str):
    """Keras' documented merge semantics (no masks): rank broadcast after the batch axis, then numpy."""

    def ref(config, args, kwargs, weights):
        tensors = [np.asarray(t, np.float64) for t in args[0]]
        rank = max(t.ndim for t in tensors)
        tensors = [t.reshape(t.shape[:1] + (1,) * (rank - t.ndim) + t.shape[1:]) for t in tensors]
        if op == "add":
            return sum(tensors[1:], tensors[0])
        if op == "average":
            return sum(tensors[1:], tensors[0]) / len(tensors)
        raise ValueError(op)

    return ref
