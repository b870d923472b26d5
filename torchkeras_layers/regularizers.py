"""Keras weight/activity regularizers on torch tensors (same formulas and defaults as Keras 3)."""

from __future__ import annotations

import math

import torch

from .ops.normalize import l2_normalize
from ._serialization import KerasObject, registry, resolve, serialize as _serialize

__all__ = ["Regularizer", "L1", "L2", "L1L2", "OrthogonalRegularizer", "get", "serialize"]


def _factor(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isinf(value) or math.isnan(value) or value < 0:
        raise ValueError(f"Invalid value for argument {name}: expected a non-negative float. Received: {name}={value!r}")
    return float(value)


class Regularizer(KerasObject):
    keras_module = "keras.regularizers"

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return x.new_zeros(())


class L1(Regularizer):
    def __init__(self, l1=0.01):
        self.l1 = _factor(0.01 if l1 is None else l1, "l1")

    def __call__(self, x):
        return self.l1 * x.abs().sum()

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    def __init__(self, l2=0.01):
        self.l2 = _factor(0.01 if l2 is None else l2, "l2")

    def __call__(self, x):
        return self.l2 * x.square().sum()

    def get_config(self):
        return {"l2": self.l2}


class L1L2(Regularizer):
    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _factor(0.0 if l1 is None else l1, "l1")
        self.l2 = _factor(0.0 if l2 is None else l2, "l2")

    def __call__(self, x):
        loss = x.new_zeros(())
        if self.l1:
            loss = loss + self.l1 * x.abs().sum()
        if self.l2:
            loss = loss + self.l2 * x.square().sum()
        return loss

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """factor * 0.5 * mean |cosine| between distinct rows (or columns) of a rank-2 weight."""

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = _factor(factor, "factor")
        if mode not in ("rows", "columns"):
            raise ValueError(f'Invalid value for argument `mode`. Expected one of {{"rows", "columns"}}. Received: mode={mode}')
        self.mode = mode

    def __call__(self, x):
        if x.dim() != 2:
            raise ValueError(f"Inputs to OrthogonalRegularizer must have rank 2. Received: inputs.shape={tuple(x.shape)}")
        x = x if self.mode == "rows" else x.T
        x = l2_normalize(x, dim=1)
        product = x @ x.T
        size = x.shape[0]
        off_diagonal = product * (1.0 - torch.eye(size, dtype=x.dtype, device=x.device))
        return self.factor * 0.5 * off_diagonal.abs().sum() / (size * (size - 1.0) / 2.0)

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


# Keras documents `kernel_regularizer='l1_l2'` but its lookup table only has 'l1l2' (snake_case of
# L1L2); we accept both, and 'orthogonal' for the orthogonal regularizer.
_TABLE = registry(L1, L2, L1L2, OrthogonalRegularizer, aliases={"l1_l2": L1L2, "orthogonal": OrthogonalRegularizer})


def get(identifier):
    return resolve(identifier, _TABLE, Regularizer, "regularizer")


serialize = _serialize
