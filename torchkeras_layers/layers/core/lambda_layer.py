"""`Lambda`: wraps a function of tensors as a layer, Keras' call and mask conventions included."""

from __future__ import annotations

import base64
import inspect
import marshal
import types

import torch

from ...dtypes import dtype_name, to_torch_dtype
from ..base import Layer


class Lambda(Layer):
    """Keras `Lambda(function, output_shape=None, mask=None, arguments=None)`.

    `function(inputs, **arguments)` gets `mask=`/`training=` only when its signature names them.
    Masks propagate only when `mask` is given (a constant, or a callable `(inputs, mask) -> mask`).
    The function runs on torch tensors; a Keras Lambda's function written with Python operators only
    (``lambda x: x * 2 + 1``) ports as-is. Configs use Keras' format: a Python lambda is stored as
    marshalled bytecode and, as in Keras, loading it needs ``from_config(cfg, safe_mode=False)``.
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise self._arg_error("function", "must be callable", function)
        if arguments is not None and not isinstance(arguments, dict):
            raise self._arg_error("arguments", "must be a dict of keyword arguments", arguments)
        self.function = function
        self.arguments = dict(arguments or {})
        self.mask = mask
        self.supports_masking = mask is not None
        self._output_shape = tuple(output_shape) if isinstance(output_shape, list) else output_shape
        params = inspect.signature(function).parameters
        self._fn_expects_mask = "mask" in params
        self._fn_expects_training = "training" in params

    def forward(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if self._fn_expects_mask:
            kwargs["mask"] = mask
        if self._fn_expects_training:
            kwargs["training"] = self.resolve_training(training)
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs, mask=None):
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            return super().compute_output_shape(input_shape)
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        first = input_shape[0] if input_shape and isinstance(input_shape[0], (tuple, list)) else input_shape
        return (first[0],) + tuple(self._output_shape)

    def get_config(self):
        config = {**super().get_config(), "function": _serialize_function(self.function)}
        if self._output_shape is not None:
            config["output_shape"] = (_serialize_function(self._output_shape) if callable(self._output_shape)
                                      else self._output_shape)
        if self.mask is not None:
            config["mask"] = _serialize_function(self.mask) if callable(self.mask) else _serialize_constant(self.mask)
        config["arguments"] = dict(self.arguments)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=True):
        """Like Keras: named functions are looked up in `custom_objects` (Keras' config keeps only the
        name); Python lambdas need `safe_mode=False`."""
        config = dict(config)
        for key in ("function", "output_shape", "mask"):
            if isinstance(config.get(key), dict) and config[key].get("class_name") == "__tensor__":
                config[key] = _deserialize_tensor(config[key])
            elif isinstance(config.get(key), dict):
                config[key] = _deserialize_function(config[key], safe_mode, custom_objects or {})
        if isinstance(config.get("output_shape"), list):
            config["output_shape"] = tuple(config["output_shape"])
        return cls(**config)


def _serialize_function(fn):
    """Keras' format: Python lambdas as marshalled code (`__lambda__`), named functions by name only."""
    if isinstance(fn, types.LambdaType) and fn.__name__ == "<lambda>":
        code = base64.b64encode(marshal.dumps(fn.__code__)).decode("ascii")
        closure = tuple(c.cell_contents for c in fn.__closure__) if fn.__closure__ else None
        return {"class_name": "__lambda__", "config": {"code": code, "defaults": fn.__defaults__, "closure": closure}}
    return {"module": "builtins", "class_name": "function", "config": fn.__name__, "registered_name": "function"}


def _serialize_constant(value):
    """Keras' `serialize_keras_object` of a constant mask: a tensor as its `__tensor__` form."""
    if isinstance(value, torch.Tensor):
        return {"class_name": "__tensor__",
                "config": {"value": value.detach().cpu().tolist(), "dtype": dtype_name(value.dtype)}}
    return value


def _deserialize_tensor(config: dict) -> torch.Tensor:
    inner = config["config"]
    return torch.tensor(inner["value"], dtype=to_torch_dtype(inner["dtype"]))


def _deserialize_function(config: dict, safe_mode: bool, custom_objects: dict):
    if config.get("class_name") == "__lambda__":
        if safe_mode:
            raise ValueError(
                "Lambda: requested the deserialization of a Python lambda, which can execute arbitrary code; "
                "pass `safe_mode=False` to `Lambda.from_config` if you trust the source"
            )
        inner = config["config"]
        code = marshal.loads(base64.b64decode(inner["code"]))
        closure = tuple(types.CellType(c) for c in inner["closure"]) if inner.get("closure") else None
        defaults = tuple(inner["defaults"]) if inner.get("defaults") else None
        return types.FunctionType(code, globals(), None, defaults, closure)
    if config.get("class_name") == "function":
        name = config["config"]
        if name in custom_objects:
            return custom_objects[name]
        raise ValueError(f"Lambda: could not locate function {name!r}; pass custom_objects={{{name!r}: fn}} to from_config")
    raise ValueError(f"Lambda: cannot deserialize function config {config!r}")

__all__ = ["Lambda"]
