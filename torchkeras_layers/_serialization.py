"""Keras' object serialisation format, shared by initializers, regularizers and constraints."""

from __future__ import annotations

import re


def snake_case(name: str) -> str:
    """Keras' `to_snake_case` (GlorotUniform -> glorot_uniform, L1L2 -> l1l2)."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


class KerasObject:
    """A configurable object serialised as ``{'module', 'class_name', 'config', 'registered_name'}``."""

    keras_module = "keras"

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def serialize(self) -> dict:
        return {
            "module": self.keras_module,
            "class_name": self.__class__.__name__,
            "config": self.get_config(),
            "registered_name": None,
        }

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{self.__class__.__name__}({args})"

    def __eq__(self, other) -> bool:
        return type(self) is type(other) and self.get_config() == other.get_config()

    __hash__ = object.__hash__


def registry(*classes, aliases: dict | None = None) -> dict:
    """Name -> class table with Keras' class names, their snake_case forms and `aliases`."""
    table = {cls.__name__: cls for cls in classes}
    table.update({snake_case(cls.__name__): cls for cls in classes})
    table.update(aliases or {})
    return table


def resolve(identifier, table: dict, base: type, kind: str):
    """Keras' `get`: None, an instance, a name, a serialised dict or a plain callable."""
    if identifier is None or isinstance(identifier, base):
        return identifier
    if isinstance(identifier, str):
        try:
            return table[identifier]()
        except KeyError:
            raise ValueError(
                f"Could not interpret {kind} identifier {identifier!r}; expected one of "
                f"{sorted(k for k in table if k[0].islower())}, a config dict or a callable"
            ) from None
    if isinstance(identifier, dict):
        name = identifier.get("class_name")
        if name not in table:
            raise ValueError(f"Could not interpret {kind} config {identifier!r}: unknown class_name {name!r}")
        return table[name].from_config(dict(identifier.get("config") or {}))
    if isinstance(identifier, type) and issubclass(identifier, base):
        return identifier()
    if callable(identifier):
        return identifier
    raise TypeError(f"Could not interpret {kind} identifier of type {type(identifier).__name__}: {identifier!r}")


def serialize(obj):
    """A Keras dict for our objects; plain callables are returned as-is (Keras does the same)."""
    if obj is None:
        return None
    if isinstance(obj, KerasObject):
        return obj.serialize()
    return obj
