"""`InputLayer` / `Input`: the declared input of a model. As a module it validates and casts."""

from __future__ import annotations

import operator
import warnings

import torch

from ...dtypes import DTypePolicy, dtype_name
from ..base import Layer


class InputLayer(Layer, built_at_init=True):
    """Keras `InputLayer` (and `keras.Input`): `shape` excludes the batch axis, `batch_shape` includes it.

    Called on a tensor it checks the rank and every static dimension (ValueError naming the layer),
    casts to `dtype` (float data fed to an int input is truncated, as in Keras), and densifies a torch
    sparse tensor unless `sparse=True`.
    """

    _convert_input_args = False  # it casts to its own `dtype` (floatx by default), not to a policy's

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, ragged=None, batch_shape=None,
                 name=None, tensor=None, optional=False, input_tensor=None, **kwargs):
        cls = type(self).__name__
        if "input_shape" in kwargs:  # Keras' deprecated spelling of `shape`
            warnings.warn("Argument `input_shape` is deprecated. Use `shape` instead.", stacklevel=2)  # Keras' words
            shape = kwargs.pop("input_shape")
        if "batch_input_shape" in kwargs:
            batch_shape = kwargs.pop("batch_input_shape")
        super().__init__(name=name, **kwargs)
        tensor = tensor if tensor is not None else input_tensor
        if tensor is not None:
            raise ValueError(f"{cls}: argument `tensor` must be a KerasTensor, which does not exist in PyTorch; "
                             f"pass `shape`/`batch_shape` instead (received {type(tensor).__name__})")
        if shape is not None and batch_shape is not None:
            raise ValueError(f"{cls}: you cannot pass both `shape` and `batch_shape` at the same time")
        if batch_size is not None and batch_shape is not None:
            raise ValueError(f"{cls}: you cannot pass both `batch_size` and `batch_shape` at the same time")
        if shape is None and batch_shape is None:
            raise ValueError(f"{cls}: you must pass a `shape` argument (or `batch_shape`)")
        if shape is not None:
            if not isinstance(shape, (tuple, list, torch.Size)):
                raise ValueError(f"{cls}: argument `shape` must be a tuple or list; cannot convert {shape!r} to a shape")
            batch_shape = (batch_size,) + tuple(shape)
        if not isinstance(batch_shape, (tuple, list, torch.Size)):
            raise ValueError(f"{cls}: argument `batch_shape` must be a tuple or list; received {batch_shape!r}")
        batch_shape = tuple(_dimension(d, cls, batch_shape) for d in batch_shape)
        if ragged:
            raise ValueError(f"{cls}: argument `ragged=True` is TensorFlow-only; PyTorch has no ragged tensors")
        self.batch_shape = tuple(batch_shape)
        # Keras: `dtype=None` is floatx ("float32"), whatever the global dtype policy.
        dtype = "float32" if dtype is None else dtype
        self.input_dtype = DTypePolicy.get(dtype, layer=cls).variable_dtype if not isinstance(dtype, torch.dtype) else dtype
        self.sparse = bool(sparse)
        self.ragged = False
        self.optional = bool(optional)
        self.built = True

    @property
    def shape(self) -> tuple:
        return self.batch_shape

    def forward(self, inputs):
        if inputs is None:
            if self.optional:
                return None
            raise ValueError(f"{type(self).__name__} ({self.name!r}): received None for a non-optional input")
        if inputs.is_sparse and not self.sparse:
            inputs = inputs.to_dense()
        if inputs.dim() != len(self.batch_shape):
            raise ValueError(
                f"{type(self).__name__} ({self.name!r}): expected an input of rank {len(self.batch_shape)} "
                f"(shape {self.batch_shape}), received shape {tuple(inputs.shape)}"
            )
        # Keras' model input spec leaves the batch size free, even for `Input(batch_shape=...)`.
        for axis, (expected, got) in enumerate(zip(self.batch_shape[1:], inputs.shape[1:]), start=1):
            if expected is not None and expected != got:
                raise ValueError(
                    f"{type(self).__name__} ({self.name!r}): expected shape {self.batch_shape}, received "
                    f"{tuple(inputs.shape)} (axis {axis}: expected {expected}, got {got})"
                )
        return inputs if inputs.dtype == self.input_dtype else inputs.to(self.input_dtype)

    def _apply(self, fn, recurse=True):
        # `.double()` / `.to(dtype)` also move the dtype floating data is cast to, or a float64 model
        # would round its inputs to float32 first.
        result = super()._apply(fn, recurse)
        if self.input_dtype.is_floating_point:
            self.input_dtype = fn(torch.empty(0, dtype=self.input_dtype)).dtype
        return result

    def _check_input_type(self, inputs) -> None:
        if inputs is not None and not isinstance(inputs, torch.Tensor):
            raise TypeError(f"{type(self).__name__}: inputs must be a torch.Tensor, received {type(inputs).__name__}")

    def compute_output_shape(self, input_shape=None):
        return self.batch_shape

    def get_config(self):
        return {"batch_shape": self.batch_shape, "dtype": dtype_name(self.input_dtype), "sparse": self.sparse,
                "ragged": False, "name": self.name, "optional": self.optional}


def _dimension(d, cls: str, shape):
    """One dimension as Keras' `standardize_shape` takes it: None, or a non-negative integer of any
    integer type (numpy's included)."""
    if d is None:
        return None
    try:
        if isinstance(d, bool):
            raise TypeError
        value = operator.index(d)
    except TypeError:
        value = -1
    if value < 0:
        raise ValueError(f"{cls}: dimensions must be non-negative ints or None; received shape {tuple(shape)}")
    return value


Input = InputLayer

__all__ = ["Input", "InputLayer"]
