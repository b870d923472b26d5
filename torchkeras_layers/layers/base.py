"""The Keras-facing surface every layer shares: lazy build, weights in Keras layout, config, losses.

A layer subclasses :class:`Layer`, creates its weights in ``build(input_shape)`` through
:meth:`Layer.add_weight`, and implements a plain ``forward``. The base class

* builds lazily from the first input's shape (a forward pre-hook, like ``torch.nn.LazyModuleMixin``),
  and validates every input against ``self.input_spec`` (Keras' ``InputSpec`` rules);
* applies Keras' dtype policy once for every layer: each floating tensor argument of a call (lists and
  keywords included) is cast to the compute dtype, and weights are read in it through `read_weight`
  (variables keep their dtype); torch.autocast, when active, owns the compute dtype instead;
* keeps Keras' weight order (own trainable, own non-trainable, then sub-layers) for
  ``get_weights``/``set_weights``, converting layouts where a weight is stored in torch's layout;
* serialises ``get_config`` in the exact form Keras' ``from_config`` accepts;
* collects regularisation losses (weight regularizers and the activity regularizer).
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import math
import types
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import torch
from torch import nn
from torch.utils import _pytree as pytree

from .. import constraints as constraints_mod
from .. import initializers as initializers_mod
from .. import regularizers as regularizers_mod
from .. import registry
from .._serialization import snake_case
from ..dtypes import DTypePolicy

__all__ = ["Layer", "InputSpec", "Shape", "standardize_shape", "build_on", "FLOATING", "NUMERIC"]

# `Layer.input_dtypes` values.
FLOATING = ("floating",)
NUMERIC = ("floating", "integer")

Shape = tuple  # a Keras shape: a tuple of ints or None, batch axis first


def standardize_shape(shape) -> tuple:
    """Keras-style shape tuple from a torch.Size, a tuple/list (None allowed) or a tensor."""
    if isinstance(shape, torch.Tensor):
        return tuple(shape.shape)
    if isinstance(shape, (tuple, list, torch.Size)):
        return tuple(None if d is None else int(d) for d in shape)
    raise TypeError(f"Cannot convert {shape!r} to a shape")


@dataclass
class InputSpec:
    """Keras' InputSpec: rank bounds and fixed sizes of given axes, checked at every forward."""

    ndim: int | None = None
    min_ndim: int | None = None
    max_ndim: int | None = None
    axes: dict[int, int] | None = None
    allow_last_axis_squeeze: bool = False

    def check(self, layer: "Layer", index: int, shape: tuple) -> None:
        rank = len(shape)
        problem = None
        if self.ndim is not None and rank != self.ndim:
            problem = f"expected ndim={self.ndim}, found ndim={rank}"
        elif self.min_ndim is not None and rank < self.min_ndim:
            problem = f"expected min_ndim={self.min_ndim}, found ndim={rank}"
        elif self.max_ndim is not None and rank > self.max_ndim:
            problem = f"expected max_ndim={self.max_ndim}, found ndim={rank}"
        elif self.axes:
            for axis, size in self.axes.items():
                if size is not None and (not -rank <= axis < rank or shape[axis] != size):
                    found = shape[axis] if -rank <= axis < rank else "no such axis"
                    problem = f"expected axis {axis} of input shape to have value {size}, found {found}"
                    break
        if problem is not None:  # messages are formatted only on failure: this runs on every forward
            raise ValueError(f"input {index} of layer {layer.__class__.__name__} ({layer.name!r}) is incompatible: "
                             f"{problem} (input shape {tuple(shape)})")


@dataclass
class WeightInfo:
    """Bookkeeping for one Keras weight (a parameter or a buffer of this module)."""

    name: str  # attribute name == Keras variable name (`kernel`, `moving_mean`, ...)
    trainable: bool  # at creation: fixes the position in Keras' get_weights order
    keras_shape: tuple
    to_keras: tuple | None  # permutation: keras_array = stored.permute(to_keras); None = same layout
    regularizer: Callable | None
    constraint: Callable | None


class Layer(nn.Module):
    """Base class of every torchkeras_layers layer (the analogue of ``keras.layers.Layer``)."""

    input_spec: InputSpec | list[InputSpec] | None = None
    # The dtype kinds ("floating", "integer", "bool") of the inputs Keras' layer computes with (`FLOATING`,
    # `NUMERIC`); None: any real dtype. Checked before the build, on the first call argument (each tensor
    # of a list). Every layer takes floating input.
    input_dtypes: tuple[str, ...] | None = None
    supports_masking: bool = False
    # Keras' `_convert_input_args`: whether call arguments are cast to the compute dtype (models opt out).
    _convert_input_args: bool = True
    # Name prefixes are unique per class, like Keras' auto-naming (`dense`, `dense_1`, ...).
    _name_counts: dict[str, int] = {}

    def __init__(
        self,
        *,
        name: str | None = None,
        dtype=None,
        trainable: bool = True,
        autocast: bool = True,
        activity_regularizer=None,
        input_shape=None,
        input_dim=None,
        **kwargs,
    ):
        super().__init__()
        if kwargs:
            raise TypeError(
                f"{self.__class__.__name__}: unrecognized keyword arguments {sorted(kwargs)}"
            )
        self.name = name if name is not None else self._auto_name()
        if not isinstance(self.name, str):
            raise TypeError(f"{self.__class__.__name__}: argument `name` must be a string, got {name!r}")
        self.dtype_policy = DTypePolicy.get(dtype, layer=self.__class__.__name__)  # None: the global policy
        self.autocast = autocast
        self.activity_regularizer = self._resolve(regularizers_mod.get, "activity_regularizer", activity_regularizer)
        self.built = _builds_at_init(type(self))
        self._trainable = bool(trainable)
        self._weight_infos: dict[str, WeightInfo] = {}
        self._activity_loss: torch.Tensor | None = None
        # Keras accepts a batch-less `input_shape` (or legacy `input_dim`) for the first layer of a
        # Sequential model; keep it so that Sequential can build eagerly.
        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)
        if input_shape is not None and not isinstance(input_shape, (tuple, list)):
            raise self._arg_error("input_shape", "must be a tuple of dimensions (without the batch axis)", input_shape, TypeError)
        self._declared_input_shape = (None,) + tuple(input_shape) if input_shape is not None else None
        self._build_args: tuple | None = None

    def __init_subclass__(cls, **kwargs):
        """Registers the class with the keywords of its class statement (`keras_module=`, `keras_name=`,
        `built_at_init=`, `torch_only=`, `registered=`: see `torchkeras_layers.registry`); every
        subclass `build` records its arguments and marks the layer built (Keras' build wrapper)."""
        keywords = {k: kwargs.pop(k) for k in registry.CLASS_KEYWORDS if k in kwargs}
        super().__init_subclass__(**kwargs)
        registry.register(cls, **keywords)
        if "build" in cls.__dict__:
            cls.build = _recording_build(cls.__dict__["build"])
        # torch.compile caches compiled code per code object, up to `recompile_limit` (8) variants, and guards
        # on the module's class: a hook or a forward shared by many layer classes would hit that limit after
        # 8 classes. Each class gets its own copy of `__call__`, of the pre-forward code and of an inherited forward.
        cls._class_pre_forward = staticmethod(_own_code(Layer._pre_forward, cls))
        if "__call__" not in cls.__dict__:
            cls.__call__ = _own_code(Layer.__call__, cls)
        if "forward" not in cls.__dict__ and cls.forward is not nn.Module.forward:
            cls.forward = _own_code(cls.forward, cls)

    # ------------------------------------------------------------------ naming and errors
    def _auto_name(self) -> str:
        # Keras' `auto_name`: `to_snake_case` of the class name, made unique per prefix (`uniquify`).
        entry = registry.entry_of(type(self))
        base = snake_case(entry.keras_name if entry is not None else type(self).__name__)
        count = Layer._name_counts.get(base, 0)
        Layer._name_counts[base] = count + 1
        return base if count == 0 else f"{base}_{count}"

    def _arg_error(self, arg: str, expected: str, got: Any, exc=ValueError) -> Exception:
        """The project-wide error message: layer class, argument, what was expected, what came."""
        return exc(f"{self.__class__.__name__}: argument `{arg}` {expected}; received {got!r}")

    def _set_identifiers(self, **identifiers) -> None:
        """Resolve Keras identifier arguments by their Keras names (`activation`, `*_initializer`,
        `*_regularizer`, `*_constraint`) and store them as attributes of the same name."""
        for arg, identifier in identifiers.items():
            setattr(self, arg, self._resolve(_identifier_module(arg).get, arg, identifier))

    def _identifier_config(self, *args: str) -> dict:
        """The Keras config entries of identifier attributes set by `_set_identifiers`."""
        return {arg: _identifier_module(arg).serialize(getattr(self, arg)) for arg in args}

    def _resolve(self, getter: Callable, arg: str, identifier):
        """Resolve a Keras identifier (activation, initializer, ...) with an error naming layer and argument."""
        try:
            return getter(identifier)
        except (ValueError, TypeError) as err:
            raise type(err)(f"{self.__class__.__name__}: argument `{arg}`: {err}") from None

    # ------------------------------------------------------------------ dtype
    @property
    def dtype_policy(self) -> DTypePolicy:
        return self.__dict__["_dtype_policy"]

    @dtype_policy.setter
    def dtype_policy(self, policy) -> None:
        self.__dict__["_dtype_policy"] = DTypePolicy.get(policy, layer=self.__class__.__name__)
        self._policy_changed()

    @property
    def autocast(self) -> bool:
        return self.__dict__["_autocast"]

    @autocast.setter
    def autocast(self, value: bool) -> None:
        self.__dict__["_autocast"] = bool(value)
        self._policy_changed()

    def _policy_changed(self) -> None:
        policy, autocast = self.__dict__.get("_dtype_policy"), self.__dict__.get("_autocast", True)
        # Read by `read_weight` on every forward: a plain attribute, not derived per call.
        reads_cast = autocast and policy is not None and policy.is_mixed
        self.__dict__["_weight_read_dtype"] = policy.compute_dtype if reads_cast else None
        self.__dict__["_input_dtype_cache"] = False

    @property
    def dtype(self) -> torch.dtype:
        """The variable dtype (Keras `layer.dtype`)."""
        return self.dtype_policy.variable_dtype

    @property
    def compute_dtype(self) -> torch.dtype:
        return self.dtype_policy.compute_dtype

    def read_weight(self, weight: torch.Tensor | None) -> torch.Tensor | None:
        """`weight` as the layer computes with it. Under a mixed policy Keras reads float variables in the
        compute dtype (its autocast scope) while they stay stored in the variable dtype; the cast is part
        of the graph, so gradients reach the float32 weight. torch.autocast, when active, casts instead."""
        target = self._weight_read_dtype
        if target is None or weight is None or not weight.is_floating_point():
            return weight
        if torch.is_autocast_enabled(weight.device.type):
            return weight
        return weight.to(target)

    # ------------------------------------------------------------------ trainable
    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        """Freezes (or unfreezes) this layer and every sub-layer, as Keras does."""
        value = bool(value)
        for module in self.modules():
            if isinstance(module, Layer):
                module._trainable = value
                for info in module._weight_infos.values():
                    if info.trainable:
                        getattr(module, info.name).requires_grad_(value and module._weight_trainable(info))

    def _weight_trainable(self, info: WeightInfo) -> bool:
        """Hook for layers whose weights change trainability after creation (LoRA's base kernel)."""
        return True

    # ------------------------------------------------------------------ weights
    def add_weight(
        self,
        name: str,
        shape: Sequence[int],
        initializer="glorot_uniform",
        *,
        dtype=None,
        trainable: bool = True,
        regularizer=None,
        constraint=None,
        to_keras: tuple | None = None,
    ) -> torch.Tensor:
        """Create a Keras weight of `shape` (Keras layout) as a Parameter (trainable) or buffer.

        `to_keras` stores the weight in another layout: the stored tensor is the Keras array permuted
        by the inverse permutation, and ``stored.permute(to_keras)`` is the Keras array. Initializers
        always see the Keras shape, so fan computations match Keras.
        """
        keras_shape = tuple(int(d) for d in shape)
        dtype = dtype if dtype is not None else self.dtype
        device = self._build_device
        if initializer is None:  # Keras' default for `*_initializer=None`
            initializer = "glorot_uniform" if dtype.is_floating_point else "zeros"
        value = initializers_mod.get(initializer)(keras_shape, dtype=dtype, device=device)
        if to_keras is not None:
            value = value.permute(*_inverse_permutation(to_keras)).contiguous()
        if trainable:
            tensor = nn.Parameter(value, requires_grad=self.trainable)
            self.register_parameter(name, tensor)
        else:
            self.register_buffer(name, value)
            tensor = value
        self.__dict__["_input_dtype_cache"] = False
        self._weight_infos[name] = WeightInfo(
            name, trainable, keras_shape, to_keras, regularizers_mod.get(regularizer), constraints_mod.get(constraint)
        )
        return tensor

    def own_weight_names(self) -> list[str]:
        """This layer's own weights in Keras order: trainable then non-trainable, creation order."""
        infos = list(self._weight_infos.values())
        return [i.name for i in infos if i.trainable] + [i.name for i in infos if not i.trainable]

    def sublayers(self) -> list["Layer"]:
        """The nearest sub-layers in creation order (their weights follow this layer's in get_weights):
        direct children, and the first `Layer`s inside plain containers such as nn.ModuleList."""

        def nearest(module):
            for child in module.children():
                if isinstance(child, Layer):
                    yield child
                else:
                    yield from nearest(child)

        return list(nearest(self))

    def keras_weights(self) -> list[tuple[str, "Layer", WeightInfo]]:
        """(path, owner, info) for every weight in Keras' `get_weights` order."""
        out = [(n, self, self._weight_infos[n]) for n in self.own_weight_names()]
        for sub in self.sublayers():
            for path, owner, info in sub.keras_weights():
                out.append((f"{sub.name}/{path}", owner, info))
        return out

    @staticmethod
    def _to_keras_array(owner: "Layer", info: WeightInfo) -> torch.Tensor:
        value = getattr(owner, info.name)
        return value.permute(*info.to_keras) if info.to_keras is not None else value

    def keras_weight_tensors(self) -> list[torch.Tensor]:
        """The weights as (differentiable) torch views in Keras layout, Keras order."""
        return [self._to_keras_array(owner, info) for _, owner, info in self.keras_weights()]

    @property
    def weights(self) -> list[torch.Tensor]:
        return self.keras_weight_tensors()

    @staticmethod
    def is_trainable_weight(owner: "Layer", info: WeightInfo) -> bool:
        """Whether a weight is trainable now: a frozen parameter (`trainable=False`, LoRA's base kernel)
        is not, as Keras' variables are not."""
        return info.trainable and getattr(owner, info.name).requires_grad

    def _split_weights(self) -> tuple[list, list]:
        """(trainable, non-trainable) in Keras order."""
        trainable, frozen = [], []
        for tensor, (_, owner, info) in zip(self.keras_weight_tensors(), self.keras_weights()):
            (trainable if self.is_trainable_weight(owner, info) else frozen).append(tensor)
        return trainable, frozen

    @property
    def trainable_weights(self) -> list[torch.Tensor]:
        return self._split_weights()[0]

    @property
    def non_trainable_weights(self) -> list[torch.Tensor]:
        return self._split_weights()[1]

    def get_weights(self) -> list[np.ndarray]:
        """Keras `get_weights()`: numpy arrays, Keras order, shapes and layout."""
        self._require_built("get_weights")
        return [_weight_to_numpy(t) for t in self.keras_weight_tensors()]

    def set_weights(self, weights) -> None:
        """Keras `set_weights()`: same count, shapes and layout as `get_weights()`."""
        self._require_built("set_weights")
        entries = self.keras_weights()
        weights = list(weights)
        if len(weights) != len(entries):
            raise ValueError(
                f"{self.__class__.__name__} ({self.name!r}): set_weights expected a list of {len(entries)} "
                f"weights ({[p for p, _, _ in entries]}), received {len(weights)}"
            )
        with torch.no_grad():
            for (path, owner, info), value in zip(entries, weights):
                array = np.asarray(value)
                if tuple(array.shape) != info.keras_shape:
                    raise ValueError(
                        f"{self.__class__.__name__} ({self.name!r}): weight `{path}` expects shape "
                        f"{info.keras_shape}, received {tuple(array.shape)}"
                    )
                target = getattr(owner, info.name)
                source = _numpy_to_weight(array, target)
                if info.to_keras is not None:
                    source = source.permute(*_inverse_permutation(info.to_keras))
                target.copy_(source)

    def count_params(self) -> int:
        return sum(math.prod(info.keras_shape) for _, _, info in self.keras_weights())

    # ------------------------------------------------------------------ build and forward plumbing
    @property
    def _build_device(self) -> torch.device:
        """Where `build` creates weights: the device of the data that triggers the build, set by the
        caller with `with torch.device(...)` (see `build_on`), else torch's default device."""
        return torch.get_default_device()

    def build(self, input_shape) -> None:
        """Create weights for `input_shape` (Keras shape with the batch axis). Default: no weights."""
        self.built = True

    def _require_built(self, what: str) -> None:
        if not self.built:
            raise ValueError(
                f"{self.__class__.__name__} ({self.name!r}) is not built yet: call `build(input_shape)` "
                f"or run one forward pass before `{what}`"
            )

    def _build_from_inputs(self, args: tuple, kwargs: dict) -> None:
        """Build from the first call's arguments, on their device. Default: `build(shape of the first
        argument)`; layers whose `build` takes several shapes (MultiHeadAttention) override `_build_shapes`."""
        first = _first_tensor((args, kwargs))
        with build_on(first.device if first is not None else None):
            self.build(*self._build_shapes(args, kwargs))
        self.built = True

    def _build_shapes(self, args: tuple, kwargs: dict) -> tuple:
        inputs = args[0] if args else next(iter(kwargs.values()), None)
        return (_shapes_of(inputs),)

    def __call__(self, *args, **kwargs):
        # Keras' `__call__` work (build on the first call, input checks, the policy's input cast) runs here
        # rather than as a forward pre-hook: any hook sends nn.Module to its slow call path (~40% of a
        # small Dense's call). User hooks still run, after it, as they ran after the hook.
        changed = self._class_pre_forward(self, args, kwargs)
        if changed is not None:
            args, kwargs = changed
        return super().__call__(*args, **kwargs)

    @staticmethod
    def _pre_forward(module: "Layer", args: tuple, kwargs: dict):
        if args:
            module._check_input_type(args[0])
        if not module.built:
            module._build_from_inputs(args, kwargs)
        if args:
            module._check_input_spec(args[0])
        target = module._input_dtype()
        if target is None:
            return None
        if not kwargs and len(args) == 1 and isinstance(args[0], torch.Tensor):  # the common call, kept cheap
            x = args[0]
            if x.dtype == target or not x.is_floating_point() or torch.is_autocast_enabled(x.device.type):
                return None
            return (x.to(target),), kwargs
        return _cast_floating((args, kwargs), target)

    def _check_input_type(self, inputs) -> None:
        """Inputs are torch tensors of a real dtype (Keras' dtype policies are real; torch's kernels fail on
        complex with raw errors) and of a kind in `input_dtypes`. Runs on every call: the common case
        (a floating tensor, which every layer takes) costs one dtype test."""
        if isinstance(inputs, torch.Tensor):
            if not inputs.is_floating_point():
                self._check_input_dtype(inputs.dtype)
        elif isinstance(inputs, (list, tuple)) and all(isinstance(t, torch.Tensor) for t in inputs):
            for t in inputs:
                if not t.is_floating_point():
                    self._check_input_dtype(t.dtype)
        elif isinstance(inputs, (list, tuple)):
            raise TypeError(f"{self.__class__.__name__}: inputs must be torch tensors, received "
                            f"{[type(t).__name__ for t in inputs]}")
        else:
            raise TypeError(f"{self.__class__.__name__}: inputs must be a torch.Tensor, received {type(inputs).__name__}")

    def _check_input_dtype(self, dtype: torch.dtype) -> None:
        kind = dtype_kind(dtype)
        if kind == "complex":
            raise self._arg_error("inputs", "must be real tensors", dtype, TypeError)
        allowed = self.input_dtypes
        if allowed is not None and kind not in allowed:
            raise self._arg_error("inputs", f"must be {' or '.join(allowed)} tensors (as in Keras)", dtype, TypeError)

    def _check_input_spec(self, inputs) -> None:
        spec = self.input_spec
        if spec is None:
            return
        if isinstance(inputs, torch.Tensor) and isinstance(spec, InputSpec):
            spec.check(self, 0, inputs.shape)
            return
        tensors = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        specs = spec if isinstance(spec, (list, tuple)) else [spec] * len(tensors)
        for i, (s, t) in enumerate(zip(specs, tensors)):
            if s is not None:
                s.check(self, i, tuple(t.shape))

    def _input_dtype(self) -> torch.dtype | None:
        """The dtype floating call arguments are cast to (None: left as they are). Cached in eager mode
        (this runs on every forward); `_apply` (.to/.double/.half), add_weight and the policy/autocast
        setters reset it. Compiled code recomputes it (dynamo guards on the weights' dtype anyway)."""
        if torch.compiler.is_compiling():
            return self._find_input_dtype()
        cached = self.__dict__.get("_input_dtype_cache", False)
        if cached is False:
            cached = self.__dict__["_input_dtype_cache"] = self._find_input_dtype()
        return cached

    def _apply(self, fn, recurse=True):
        self.__dict__["_input_dtype_cache"] = False
        return super()._apply(fn, recurse)

    def _find_input_dtype(self) -> torch.dtype | None:
        policy = self.dtype_policy
        if not self.autocast or not self._convert_input_args or not policy.compute_dtype.is_floating_point:
            return None
        if policy.is_mixed:
            return policy.compute_dtype
        # The weights' dtype, so that `.double()`/`.half()` on a layer built under a plain policy keeps
        # working like a torch module (a plain policy computes in its variable dtype).
        for _, owner, info in self.keras_weights():
            value = getattr(owner, info.name)
            if value.is_floating_point():
                return value.dtype
        # A weightless layer: an explicit non-default policy casts as Keras does; under the default
        # float32 policy floating inputs pass through (a `.double()` model stays float64).
        return policy.compute_dtype if policy.compute_dtype != torch.float32 else None

    def _per_shape(self, key: tuple, compute: Callable[[], Any]):
        """`compute()` once per `key` (input sizes) in eager mode, for shape arithmetic that depends on the
        sizes only (a window layer's TF paddings and output-size check: a third of a small Conv2D's call).
        Compiled and exported graphs recompute it: they are traced once per shape anyway. At most
        `_PER_SHAPE_KEYS` sizes are kept (variable-length inputs)."""
        if torch.compiler.is_compiling():
            return compute()
        memo = self.__dict__.get("_per_shape_memo")
        if memo is None:
            memo = self.__dict__["_per_shape_memo"] = {}
        value = memo.get(key)
        if value is None:
            value = compute()  # may raise (an input too small): nothing is kept then
            if len(memo) >= _PER_SHAPE_KEYS:
                memo.clear()
            memo[key] = value
        return value

    def resolve_training(self, training) -> bool:
        """`training=None` follows `.train()`/`.eval()`."""
        return self.training if training is None else bool(training)

    def compute_output_shape(self, input_shape):
        """Keras-style shape inference. Default: run a meta-device forward (no real compute)."""
        return _infer_output_shape(self, input_shape)

    def compute_mask(self, inputs, mask=None):
        """The output mask, like Keras: passed through when supported, else dropped."""
        return mask if self.supports_masking else None

    # ------------------------------------------------------------------ losses and constraints
    def add_activity_loss(self, outputs: torch.Tensor) -> torch.Tensor:
        """Record the activity regularization of `outputs` (divided by the batch size, as in Keras 3)."""
        if self.activity_regularizer is not None:
            batch = outputs.shape[0] if outputs.dim() > 0 else 1
            self._activity_loss = self.activity_regularizer(outputs) / batch
        return outputs

    @property
    def losses(self) -> list[torch.Tensor]:
        """Activity loss of the last forward plus the regularization terms of the trainable weights
        (this layer and sub-layers)."""
        found = []
        for module in self.modules():
            if not isinstance(module, Layer):
                continue
            if module._activity_loss is not None:
                found.append(module._activity_loss)
            for info in module._weight_infos.values():
                # Keras regularizes trainable weights only (a frozen layer, LoRA's frozen base kernel: none).
                if info.regularizer is not None and self.is_trainable_weight(module, info):
                    found.append(info.regularizer(self._to_keras_array(module, info)))
        return found

    def apply_constraints(self) -> None:
        """Project every constrained weight (Keras applies constraints after each optimizer step)."""
        with torch.no_grad():
            for info in self._weight_infos.values():
                if info.constraint is None:
                    continue
                stored = getattr(self, info.name)
                keras_view = self._to_keras_array(self, info)
                projected = info.constraint(keras_view)
                if info.to_keras is not None:
                    projected = projected.permute(*_inverse_permutation(info.to_keras))
                stored.copy_(projected)

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict:
        """The base part of Keras' config; subclasses add their own arguments."""
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype_policy.serialize()}
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = regularizers_mod.serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def extra_repr(self) -> str:
        own = {k: v for k, v in self.get_config().items() if k not in ("name", "trainable", "dtype")}
        shown = ", ".join(f"{k}={v!r}" for k, v in own.items() if not isinstance(v, dict) and v is not None)
        return f"name={self.name!r}" + (", " + shown if shown else "")


Layer._class_pre_forward = Layer.__dict__["_pre_forward"]  # subclasses get their own copy (`__init_subclass__`)


# ---------------------------------------------------------------------- helpers
_PER_SHAPE_KEYS = 64


@functools.lru_cache(maxsize=None)
def _builds_at_init(cls: type) -> bool:
    """Keras' `_build_at_init`: the layers Keras builds in `__init__` (their registry entry says so) are
    built at construction, and so are subclasses of theirs, unless a subclass overrides `build`."""
    for klass in cls.__mro__:
        entry = registry.entry_of(klass)
        if entry is not None:
            return entry.built_at_init and cls.build is klass.build
    return False


def forward_arguments(layer: nn.Module) -> frozenset:
    """The parameter names of `layer.forward`: what a wrapper may pass it (Keras' `_call_has_training_arg`,
    `_call_has_mask_arg` read the call signature the same way, `**kwargs` not counted)."""
    return frozenset(inspect.signature(layer.forward).parameters)


def dtype_kind(dtype: torch.dtype) -> str:
    """The Keras dtype kind of a torch dtype: "floating", "integer", "bool" or "complex"."""
    if dtype.is_floating_point:
        return "floating"
    if dtype.is_complex:
        return "complex"
    return "bool" if dtype == torch.bool else "integer"


def _identifier_module(arg: str):
    from .. import activations

    if arg == "activation":
        return activations
    for suffix, module in (("_initializer", initializers_mod), ("_regularizer", regularizers_mod),
                           ("_constraint", constraints_mod)):
        if arg.endswith(suffix):
            return module
    raise KeyError(f"{arg!r} is not a Keras identifier argument")


def _recording_build(build):
    signature = inspect.signature(build)

    @functools.wraps(build)
    def wrapper(self, *args, **kwargs):
        build(self, *args, **kwargs)
        # Positional form of the arguments (keywords such as `value_shape=` too), for `to_keras`.
        self._build_args = signature.bind(self, *args, **kwargs).args[1:]
        self.built = True

    return wrapper


def _own_code(function, cls: type):
    """`function` with a code object of its own (the same behaviour, closure and defaults), named after `cls`."""
    function = getattr(function, "__func__", function)
    code = function.__code__.replace(co_name=f"{function.__name__}_{cls.__name__}")
    copy = types.FunctionType(code, function.__globals__, code.co_name, function.__defaults__, function.__closure__)
    copy.__kwdefaults__ = function.__kwdefaults__
    copy.__qualname__ = f"{cls.__qualname__}.{function.__name__}"
    copy.__doc__ = function.__doc__
    copy.__dict__.update(function.__dict__)
    return copy


def _weight_to_numpy(tensor: torch.Tensor) -> np.ndarray:
    """A weight as a numpy array; bfloat16 (which numpy lacks, and Keras returns as an `ml_dtypes` array)
    as its exact float32 value, so no package beyond numpy is needed to read it."""
    tensor = tensor.detach().cpu()
    if tensor.dtype == torch.bfloat16:
        tensor = tensor.float()
    return tensor.numpy().copy()


def _numpy_to_weight(array: np.ndarray, target: torch.Tensor) -> torch.Tensor:
    """`array` in `target`'s dtype and device; Keras' `ml_dtypes.bfloat16` arrays are read bit for bit."""
    if array.dtype.name == "bfloat16" and array.dtype.itemsize == 2:
        return torch.from_numpy(np.ascontiguousarray(array).view(np.uint16)).view(torch.bfloat16).to(
            dtype=target.dtype, device=target.device)
    return torch.as_tensor(array, dtype=target.dtype, device=target.device)


def _inverse_permutation(perm: Sequence[int]) -> tuple:
    inverse = [0] * len(perm)
    for i, p in enumerate(perm):
        inverse[p] = i
    return tuple(inverse)


def build_on(device: torch.device | None):
    """The one way a build is told its device: weights (and any tensor `build` creates) land there.
    A lazy build traced by torch.compile (a weightless layer's shape checks) runs as it is: dynamo
    cannot trace a device context."""
    if device is None or torch.compiler.is_compiling():
        return contextlib.nullcontext()
    return torch.device(device)


def _first_tensor(inputs) -> torch.Tensor | None:
    return next((t for t in pytree.tree_leaves(inputs) if isinstance(t, torch.Tensor)), None)


def _cast_floating(call: tuple, target: torch.dtype):
    """Keras' input conversion: every floating tensor in `(args, kwargs)` to `target`; None if nothing
    changes or torch.autocast owns the compute dtype."""
    leaves = pytree.tree_leaves(call)
    tensors = [t for t in leaves if isinstance(t, torch.Tensor)]
    if all(not t.is_floating_point() or t.dtype == target for t in tensors):
        return None
    if torch.is_autocast_enabled(tensors[0].device.type):
        return None
    return pytree.tree_map_only(
        torch.Tensor, lambda t: t.to(target) if t.is_floating_point() and t.dtype != target else t, call
    )


def _shapes_of(inputs):
    """The Keras build argument for `inputs`: a shape tuple per tensor, lists for several inputs."""
    if isinstance(inputs, torch.Tensor):
        return tuple(inputs.shape)
    if isinstance(inputs, (list, tuple)):
        return [_shapes_of(t) for t in inputs]
    return None


def _infer_output_shape(layer: Layer, input_shape):
    """Keras-style shape inference by tracing: run the layer (in eval mode, without gradients) on meta
    tensors, which carry shapes but no data, so nothing is computed or mutated. Unknown (None) dims are
    filled with two different sizes; output dims that change between the two runs are unknown too."""

    def is_single(shape) -> bool:
        return isinstance(shape, (tuple, list, torch.Size)) and all(d is None or isinstance(d, int) for d in shape)

    def to_meta(shape, fill: int):
        if is_single(shape):
            dims = [fill if d is None else d for d in shape]
            return torch.empty(dims, device="meta", dtype=layer.compute_dtype)
        return [to_meta(s, fill) for s in shape]

    def merge(a, b):
        if isinstance(a, torch.Tensor):
            return tuple(x if x == y else None for x, y in zip(a.shape, b.shape))
        return [merge(x, y) for x, y in zip(a, b)]

    if not layer.built:
        layer.build(tuple(input_shape) if is_single(input_shape) else input_shape)
    was_training = layer.training
    layer.eval()
    try:
        with torch.no_grad():
            first, second = (layer(to_meta(input_shape, fill)) for fill in (7, 11))
    finally:
        layer.train(was_training)
    return merge(first, second)
