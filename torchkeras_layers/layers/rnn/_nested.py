"""Keras' serialised entry of a wrapped layer (an RNN's cell, Bidirectional's layer), written and read
through the layer registry, so a wrapper needs no import of the model package."""

from __future__ import annotations

import copy

from ... import registry
from ..base import Layer


def serialize_nested(layer: Layer) -> dict:
    entry = registry.entry_of(type(layer))
    if entry is None:
        module, class_name, registered_name = type(layer).__module__, type(layer).__name__, type(layer).__name__
    else:
        module, class_name, registered_name = entry.module, entry.keras_name, entry.registered_name
    # No `build_config`: the wrapper builds the layer it wraps (Keras writes one once built; its
    # from_config ignores it).
    return {"module": module, "class_name": class_name, "config": layer.get_config(),
            "registered_name": registered_name}


def deserialize_nested(owner: Layer, arg: str, entry) -> Layer:
    """A layer from its serialised entry (or the layer itself); errors name `owner` and `arg`."""
    if isinstance(entry, Layer):
        return entry
    if not isinstance(entry, dict) or "class_name" not in entry:
        raise owner._arg_error(arg, "must be a layer or its serialised config", entry, TypeError)
    found = registry.lookup(entry.get("module", registry.KERAS_LAYERS), entry["class_name"])
    if found is None:
        raise owner._arg_error(arg, "names a class with no torchkeras_layers equivalent", entry["class_name"])
    return found.cls.from_config(copy.deepcopy(entry["config"]))


def with_dtype(entry, dtype):
    """A serialised cell given to the constructor without a dtype computes in the wrapper's (Keras' own configs
    always carry the cell's dtype)."""
    if not isinstance(entry, dict) or dtype is None or "dtype" in entry.get("config", {}):
        return entry
    return {**entry, "config": {**entry.get("config", {}), "dtype": dtype}}
