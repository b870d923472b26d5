"""Keras' layer entries, written and read: `{"module", "class_name", "config", "registered_name",
"build_config"}` (plus `compile_config` for models), nested models included.

Classes are found through `torchkeras_layers.registry`, always by the entry's module and class
name together; containers (Sequential, the functional Model) are registered there like any layer,
so this module dispatches on no class of its own.
"""

from __future__ import annotations

import inspect

from .. import registry
from ..layers.base import Layer, standardize_shape
from .base import Container
from .ops import KerasOp, is_operation_entry, lookup_op, serialize_op

__all__ = ["serialize_layer", "deserialize_layer", "build_config", "apply_build_config", "unsupported_layers",
           "unsupported_message", "describe_class", "to_shape_tuple"]


def to_shape_tuple(shape):
    """A Keras shape from config data (lists from JSON -> tuples); nested lists -> list of tuples."""
    if shape is None:
        return None
    if isinstance(shape, dict):
        return {k: to_shape_tuple(v) for k, v in shape.items()}
    if isinstance(shape, (list, tuple)) and shape and all(isinstance(s, (list, tuple)) or s is None for s in shape) \
            and any(isinstance(s, (list, tuple)) for s in shape):
        return [to_shape_tuple(s) for s in shape]
    return standardize_shape(shape)


def build_config(layer: Layer) -> dict | None:
    """Keras' `get_build_config()`: `{"input_shape": s}` or `{"shapes_dict": {...}}` for multi-argument builds."""
    if not layer.built or layer._build_args is None:
        return None
    args = layer._build_args
    if len(args) == 1:
        return {"input_shape": args[0]}
    params = [p for p in inspect.signature(layer.build).parameters][: len(args)]
    return {"shapes_dict": {name: shape for name, shape in zip(params, args) if shape is not None}}


def apply_build_config(layer: Layer, config: dict | None) -> None:
    """Keras' `build_from_config`: build `layer` from a build config (positional, in `build`'s order)."""
    if not config or layer.built:
        return
    if "input_shape" in config:
        layer.build(to_shape_tuple(config["input_shape"]))
    elif "shapes_dict" in config:
        shapes = {k: to_shape_tuple(v) for k, v in config["shapes_dict"].items()}
        params = list(inspect.signature(layer.build).parameters)
        unknown = sorted(set(shapes) - set(params))
        if unknown:
            raise ValueError(f"{type(layer).__name__} ({layer.name!r}): build config has shapes {unknown} "
                             f"that `build{tuple(params)}` does not take")
        last = max(params.index(k) for k in shapes)
        layer.build(*[shapes.get(name) for name in params[: last + 1]])
    layer.built = True


def serialize_layer(layer: Layer, call_shape=None) -> dict:
    """Keras' `serialize_keras_object(layer)` for one of our layers or models. `call_shape`: the input
    shape(s) the layer was first called with in its model (for layers whose `build` records nothing).

    A class without a registry entry (a user's own layer) is written as Keras writes an unregistered
    custom class: its Python module and name."""
    if isinstance(layer, KerasOp):
        return serialize_op(layer)
    entry_info = registry.entry_of(type(layer))
    if entry_info is None:
        module, class_name, registered_name = type(layer).__module__, type(layer).__name__, type(layer).__name__
    else:
        module, class_name, registered_name = entry_info.module, entry_info.keras_name, entry_info.registered_name
    entry = {"module": module, "class_name": class_name, "config": layer.get_config(),
             "registered_name": registered_name}
    if layer.built and not (entry_info is not None and entry_info.built_at_init):
        built = build_config(layer)
        if built is None and call_shape is not None:
            built = {"input_shape": call_shape}
        if built is not None:
            entry["build_config"] = built
    if isinstance(layer, Container):
        entry["compile_config"] = {}  # Keras writes the (empty) compile config of an uncompiled model
    return entry


def unsupported_layers(entry: dict) -> list[tuple[str, str]]:
    """(layer name, Keras class as `describe_class` writes it) of every layer in a serialised layer or
    model that has no equivalent here, searching nested models."""
    config = entry.get("config") or {}
    if is_operation_entry(entry):
        supported = lookup_op(entry.get("module"), entry.get("class_name")) is not None
        return [] if supported else [(entry.get("name") or config.get("name", "?"), describe_class(entry))]
    found = registry.lookup(entry.get("module"), entry.get("class_name"))
    if found is None:
        return [(entry.get("name") or config.get("name", "?"), describe_class(entry))]
    if issubclass(found.cls, Container):
        return [m for sub in config.get("layers", []) for m in unsupported_layers(sub)]
    return []


def deserialize_layer(entry: dict, overrides: dict | None = None) -> Layer:
    """Our layer or model from Keras' serialised form (built from its `build_config` when present).

    `overrides`: {layer name: {config key: value}} replacing config entries, e.g. the live Python
    functions of Lambda layers when converting an in-memory Keras model (Keras' config keeps only a
    function's name)."""
    missing = unsupported_layers(entry)
    if missing:
        raise NotImplementedError(unsupported_message(missing))
    if is_operation_entry(entry):
        return KerasOp.from_entry(entry)
    cls = registry.lookup(entry.get("module"), entry["class_name"]).cls
    if issubclass(cls, Container):
        layer = cls.from_config(entry["config"], overrides=overrides)
    else:
        config = dict(entry["config"])
        config.update((overrides or {}).get(config.get("name"), {}))
        layer = cls.from_config(config)
    apply_build_config(layer, entry.get("build_config"))
    return layer


def describe_class(entry: dict) -> str:
    """`Dense` for a `keras.layers` class, `module.Class` for any other module."""
    module, class_name = entry.get("module"), entry.get("class_name")
    if module is None:
        return f"{class_name}, no module"
    return class_name if module == registry.KERAS_LAYERS else f"{module}.{class_name}"


def unsupported_message(missing: list[tuple[str, str]]) -> str:
    listing = ", ".join(f"{name!r} ({cls})" for name, cls in missing)
    return (f"{len(missing)} layer(s) have no torchkeras_layers equivalent: {listing}. "
            f"Supported classes are those in `torchkeras_layers.registry.entries()`, supported Keras "
            f"operations those in `torchkeras_layers.models.ops.OPERATIONS`.")
