"""Keras weight constraints. Keras applies them after each optimizer step; so do
:func:`torchkeras_layers.apply_constraints` and :func:`torchkeras_layers.constrain` (in `training`).

`axis` refers to the **Keras** weight layout (e.g. ``axis=[0, 1, 2]`` for each Conv2D filter).
"""

from __future__ import annotations

import torch

from ._serialization import KerasObject, registry, resolve, serialize as _serialize

__all__ = ["Constraint", "MaxNorm", "NonNeg", "UnitNorm", "MinMaxNorm", "get", "serialize"]

from .config import EPSILON as _EPSILON  # noqa: E402 (keras.backend.epsilon())


def _axes(axis):
    return tuple(axis) if isinstance(axis, (list, tuple)) else axis


def _norms(w, axis):
    return torch.sqrt(torch.sum(w.square(), dim=_axes(axis), keepdim=True))


class Constraint(KerasObject):
    keras_module = "keras.constraints"

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        return w


class MaxNorm(Constraint):
    def __init__(self, max_value=2, axis=0):
        self.max_value, self.axis = max_value, axis

    def __call__(self, w):
        norms = _norms(w, self.axis)
        return w * (torch.clamp(norms, 0, self.max_value) / (_EPSILON + norms))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    def __call__(self, w):
        return torch.clamp(w, min=0)


class UnitNorm(Constraint):
    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        return w / (_EPSILON + _norms(w, self.axis))

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w):
        norms = _norms(w, self.axis)
        desired = self.rate * torch.clamp(norms, self.min_value, self.max_value) + (1 - self.rate) * norms
        return w * (desired / (_EPSILON + norms))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate, "axis": self.axis}


_TABLE = registry(MaxNorm, NonNeg, UnitNorm, MinMaxNorm)


def get(identifier):
    return resolve(identifier, _TABLE, Constraint, "constraint")


serialize = _serialize

