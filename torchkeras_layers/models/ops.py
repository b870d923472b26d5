"""Keras operation nodes of functional graphs: `x + y`, `keras.ops.mean(x)`, `x[:, 0]`, ... as weightless layers.

Keras 3 records arithmetic on symbolic tensors as calls of an `Operation` (`keras.src.ops.numpy.Add`,
`keras.src.ops.nn.Relu`, ...), serialised in a functional config like a layer: `{"module", "class_name",
"config": {"name", <the operation's constructor arguments>}, "inbound_nodes"}`; the node's arguments hold
the operands (tensors, or constants such as the `2.0` of `x * 2.0`). `KerasOp` is such a node here: one
class for every operation, driven by the table `OPERATIONS` (Keras module and class -> the torch function
called as `fn(*operands, **constructor_arguments)`), so a graph keeps a flat node list that
`torch.compile(fullgraph=True)` and ONNX trace like any layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

from ..dtypes import dtype_name, to_torch_dtype
from ..layers.base import Layer
from ..ops import inductor_cpu

__all__ = ["KerasOp", "OpSpec", "TensorSpec", "OPERATIONS", "lookup_op", "is_operation_entry", "serialize_op"]

_NUMPY, _NN, _CORE, _MATH = "keras.src.ops.numpy", "keras.src.ops.nn", "keras.src.ops.core", "keras.src.ops.math"
_OPS_PACKAGE = "keras.src.ops."


@dataclass(frozen=True)
class OpSpec:
    """One Keras operation: where Keras defines it, and its torch equivalent."""

    keras_module: str
    keras_name: str
    fn: Callable  # fn(*operands, **constructor arguments of the Keras operation)


@dataclass(frozen=True)
class TensorSpec:
    """The shape (None: unknown dims) and dtype name of a graph tensor, for output inference."""

    shape: tuple | None
    dtype: str | None


# ---------------------------------------------------------------------------- torch functions
def _tensor_like(value, other):
    """A Python number as a 0-d tensor on `other`'s device (torch's binary functions such as `maximum`
    take tensors only; a 0-d tensor promotes like a Python scalar)."""
    if isinstance(value, torch.Tensor):
        return value
    ref = other if isinstance(other, torch.Tensor) else None
    return torch.as_tensor(value, device=ref.device if ref is not None else None)


def _binary(fn):
    def apply(x1, x2):
        return fn(_tensor_like(x1, x2), _tensor_like(x2, x1))

    return apply


def _axes(axis):
    if axis is None:
        return None
    return tuple(axis) if isinstance(axis, (list, tuple)) else (axis,)


def _float_input(x):
    # Keras' float-valued ops (mean, sqrt, ...) compute integer and bool inputs in floatx (float32).
    return x if x.is_floating_point() else x.to(torch.float32)


def _mean(x, axis=None, keepdims=False):
    axes = _axes(axis)
    return torch.mean(_float_input(x), dim=axes if axes is not None else tuple(range(x.dim())), keepdim=keepdims)


def _sum(x, axis=None, keepdims=False):
    axes = _axes(axis)
    # jax's rule as Keras applies it: small integers and bool sum in int32; torch would widen to int64.
    dtype = x.dtype if x.is_floating_point() or x.dtype in (torch.int32, torch.int64) else torch.int32
    return torch.sum(x, dim=axes if axes is not None else tuple(range(x.dim())), keepdim=keepdims, dtype=dtype)


def _reduce(fn, combine):
    def apply(x, axis=None, keepdims=False, initial=None):
        axes = _axes(axis)
        out = fn(x, dim=axes if axes is not None else tuple(range(x.dim())), keepdim=keepdims)
        return out if initial is None else combine(out, _tensor_like(initial, out))

    return apply


def _clip(x, x_min, x_max):
    dtype = torch.int32 if x.dtype == torch.bool else x.dtype
    return torch.clamp(x.to(dtype), x_min, x_max).to(dtype)


def _where(condition, x1=None, x2=None):
    if x1 is None or x2 is None:
        raise NotImplementedError("keras.ops.where(condition) without x1 and x2 (the indices of nonzero "
                                  "elements, a data-dependent shape) has no torch equivalent here")
    condition = condition if condition.dtype == torch.bool else condition.bool()
    return torch.where(condition, _tensor_like(x1, condition), _tensor_like(x2, condition))


def _transpose(x, axes=None):
    return x.permute(*(tuple(axes) if axes is not None else tuple(reversed(range(x.dim())))))


def _expand_dims(x, axis):
    axes = _axes(axis)
    rank = x.dim() + len(axes)
    positions = sorted(a % rank for a in axes)
    shape = list(x.shape)
    for p in positions:
        shape.insert(p, 1)
    return x.reshape(shape)


def _squeeze(x, axis=None):
    if axis is None:
        return torch.squeeze(x)
    axes = _axes(axis)
    for a in axes:
        if x.shape[a] != 1:
            raise ValueError(f"squeeze: cannot squeeze axis {a} of a tensor of shape {tuple(x.shape)}: "
                             "its size is not 1")
    return torch.squeeze(x, dim=axes)


def _get_item(x, key):
    key = tuple(key) if isinstance(key, list) else key
    for part in key if isinstance(key, tuple) else (key,):
        if isinstance(part, slice) and part.step is not None and part.step < 0:
            raise NotImplementedError(f"GetItem: a negative slice step ({part}) has no torch equivalent here")
    return x[key]


def _cast(x, dtype):
    return x.to(to_torch_dtype(dtype, what="Cast"))


def _gelu(x, approximate=True):
    return F.gelu(x, approximate="tanh" if approximate else "none")


def _power(x1, x2):
    return torch.pow(_tensor_like(x1, x2), x2)


def _float_unary(fn):
    def apply(x):
        return fn(_float_input(x))

    return apply


def _concatenate(xs, axis=0):
    return torch.cat(list(xs), dim=axis)


def _stack(xs, axis=0):
    return torch.stack(list(xs), dim=axis)


def _reshape(x, newshape):
    return torch.reshape(x, tuple(newshape) if isinstance(newshape, (list, tuple)) else (newshape,))


def _softmax(fn):
    def apply(x, axis=-1):
        dims = _axes(axis)
        if len(dims) == 1:
            return fn(x, dim=dims[0])
        # Several axes: Keras normalises over all of them together.
        moved = torch.movedim(x, dims, tuple(range(-len(dims), 0)))
        flat = fn(moved.reshape(*moved.shape[: -len(dims)], -1), dim=-1).reshape(moved.shape)
        return torch.movedim(flat, tuple(range(-len(dims), 0)), dims)

    return apply


OPERATIONS: dict[tuple[str, str], OpSpec] = {}


def _op(module: str, name: str, fn: Callable) -> None:
    OPERATIONS[(module, name)] = OpSpec(module, name, fn)


for _name, _fn in {
    "Add": torch.add, "Subtract": torch.subtract, "Multiply": torch.multiply,
    "Divide": _binary(torch.true_divide), "TrueDivide": _binary(torch.true_divide), "Power": _power,
    "Maximum": _binary(torch.maximum), "Minimum": _binary(torch.minimum), "Matmul": torch.matmul,
    "Greater": _binary(torch.gt), "GreaterEqual": _binary(torch.ge), "Less": _binary(torch.lt),
    "LessEqual": _binary(torch.le), "Equal": _binary(torch.eq), "NotEqual": _binary(torch.ne),
    "LogicalAnd": _binary(torch.logical_and), "LogicalOr": _binary(torch.logical_or),
    "Negative": torch.negative, "Absolute": torch.abs, "Abs": torch.abs, "Square": torch.square,
    "Sqrt": _float_unary(torch.sqrt), "Exp": _float_unary(torch.exp), "Log": _float_unary(torch.log),
    "Log1p": _float_unary(torch.log1p), "Expm1": _float_unary(torch.expm1), "Sin": _float_unary(torch.sin),
    "Cos": _float_unary(torch.cos), "Tanh": _float_unary(torch.tanh), "Reciprocal": torch.reciprocal,
    "Sign": torch.sign, "Floor": torch.floor, "Ceil": torch.ceil, "LogicalNot": torch.logical_not,
    "Mean": _mean, "Sum": _sum, "Max": _reduce(torch.amax, torch.maximum), "Min": _reduce(torch.amin, torch.minimum),
    "Clip": _clip, "Where": _where, "Concatenate": _concatenate, "Stack": _stack, "Reshape": _reshape,
    "Transpose": _transpose, "ExpandDims": _expand_dims, "Squeeze": _squeeze, "GetItem": _get_item,
}.items():
    _op(_NUMPY, _name, _fn)

for _name, _fn in {
    "Relu": inductor_cpu.relu, "Relu6": inductor_cpu.relu6, "Sigmoid": torch.sigmoid, "Silu": F.silu,
    "HardSigmoid": F.hardsigmoid, "HardSilu": F.hardswish, "Softplus": F.softplus, "Softsign": F.softsign,
    "LogSigmoid": F.logsigmoid, "Selu": F.selu, "Gelu": _gelu, "Softmax": _softmax(torch.softmax),
    "LogSoftmax": _softmax(torch.log_softmax),
    "Elu": lambda x, alpha=1.0: F.elu(x, alpha), "Celu": lambda x, alpha=1.0: F.celu(x, alpha),
    "LeakyRelu": lambda x, negative_slope=0.2: inductor_cpu.leaky_relu(x, negative_slope),
    "Glu": lambda x, axis=-1: F.glu(x, dim=axis),
}.items():
    _op(_NN, _name, _fn)

_op(_CORE, "Cast", _cast)
_op(_MATH, "Rsqrt", _float_unary(torch.rsqrt))
_op(_MATH, "Erf", _float_unary(torch.erf))


def lookup_op(module: str | None, class_name: str | None) -> OpSpec | None:
    return OPERATIONS.get((module, class_name))


def is_operation_entry(entry: dict) -> bool:
    """Whether a serialised layer entry is a Keras operation (supported or not)."""
    module = entry.get("module")
    return isinstance(module, str) and module.startswith(_OPS_PACKAGE)


# ---------------------------------------------------------------------------- the node
class KerasOp(Layer, registered=False):
    """A Keras operation as a graph node: no weights, nothing to build, operands passed as Keras passes
    them (tensors and constants, positionally) and the operation's constructor arguments from its config."""

    def __init__(self, spec: OpSpec, config: dict):
        super().__init__(name=config.get("name"))
        self.spec = spec
        self.op_arguments = {k: _from_json(v) for k, v in config.items() if k != "name"}
        self.built = True

    @classmethod
    def from_entry(cls, entry: dict) -> "KerasOp":
        spec = lookup_op(entry.get("module"), entry.get("class_name"))
        if spec is None:
            raise NotImplementedError(f"Keras operation {entry.get('module')}.{entry.get('class_name')} "
                                      "has no torchkeras_layers equivalent")
        return cls(spec, entry.get("config") or {})

    def forward(self, *operands):
        return self.spec.fn(*operands, **self.op_arguments)

    # Operands are tensors or constants, cast by nobody: a Keras operation promotes dtypes itself.
    def _check_input_type(self, inputs) -> None:
        return None

    def _find_input_dtype(self):
        return None

    def get_config(self) -> dict:
        return {"name": self.name, **self.op_arguments}

    @property
    def class_label(self) -> str:
        """The Keras class name, as Keras' summary shows an operation (`add (Add)`)."""
        return self.spec.keras_name

    def output_specs(self, operands: tuple) -> list[TensorSpec] | None:
        """The flat output specs for operands where tensors are `TensorSpec`s: the torch function run
        twice on meta tensors (unknown dims filled with two sizes; dims that differ are unknown)."""

        def materialize(value, fill):
            if isinstance(value, TensorSpec):
                if value.shape is None:
                    raise ValueError("unknown rank")
                return torch.empty([fill if d is None else d for d in value.shape], device="meta",
                                   dtype=to_torch_dtype(value.dtype or "float32"))
            if isinstance(value, (list, tuple)):
                return type(value)(materialize(v, fill) for v in value)
            return value

        try:
            with torch.no_grad():
                first, second = (self.forward(*materialize(operands, fill)) for fill in (7, 11))
        except (NotImplementedError, TypeError, ValueError, RuntimeError, IndexError):
            return None
        firsts = first if isinstance(first, (list, tuple)) else [first]
        seconds = second if isinstance(second, (list, tuple)) else [second]
        return [TensorSpec(tuple(a if a == b else None for a, b in zip(t.shape, u.shape)), dtype_name(t.dtype))
                for t, u in zip(firsts, seconds)]

    def extra_repr(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self.op_arguments.items())
        op = f"name={self.name!r}, op={self.spec.keras_module}.{self.spec.keras_name}"
        return op + (f", {shown}" if shown else "")


def _from_json(value):
    # JSON turns tuples into lists; shapes and axes read back as tuples.
    return tuple(_from_json(v) for v in value) if isinstance(value, list) else value


def serialize_op(op: KerasOp) -> dict:
    """The entry Keras writes for an operation (no build config: operations are never built)."""
    return {"module": op.spec.keras_module, "class_name": op.spec.keras_name, "config": op.get_config(),
            "registered_name": op.spec.keras_name}
