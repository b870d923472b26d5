"""The one table of layer classes: which Keras class each mirrors, and the Keras facts about it.

A class states what it mirrors in its class statement; `Layer.__init_subclass__` hands the keywords
to :func:`register` when the class is defined::

    class Dense(LoRAMixin, Layer): ...                                  # keras.layers.Dense (the default)
    class LayerScale(Layer, keras_module="keras.src.applications.convnext"): ...
    class MaxPooling2D(_MaxPooling, built_at_init=True): ...
    class LPPooling1D(_LPPooling, torch_only=True): ...                 # no Keras counterpart
    class BasePooling(Layer, registered=False): ...                     # an internal base

Class keywords (none is inherited: every class statement states its own facts):

``keras_module``
    The module Keras serialises the class under: its public module (default ``"keras.layers"``), or,
    for a class Keras does not export, its source module (``"keras.src.applications.convnext"``).
``keras_name``
    The Keras class name (default: the class's own name).
``built_at_init``
    Keras builds the layer in ``__init__`` (``self._build_at_init()`` or ``self.built = True``): the
    layer is built right after construction and its config entry carries no ``build_config``.
``torch_only``
    The layer has no Keras counterpart; it is serialised under :data:`TORCH_ONLY_MODULE`.
``registered``
    ``False`` for internal bases (``BasePooling``, ``Merge``, ...), which are not registered.

Classes defined inside the ``torchkeras_layers`` package get the defaults; a ``Layer`` subclass
defined elsewhere (a user's own layer) is registered only when its statement passes one of the
keywords, since it mirrors no Keras class unless it says so.

Read API: :func:`lookup` (by the module and class name a Keras config entry carries),
:func:`entry_of` (by our class) and :func:`entries` (all of them, in definition order). A class is
in the table once its module is imported: ``import torchkeras_layers`` registers every layer,
``import torchkeras_layers.models`` adds ``Sequential`` and ``Model``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Iterator

__all__ = ["LayerEntry", "KERAS_LAYERS", "TORCH_ONLY_MODULE", "CLASS_KEYWORDS", "register", "lookup", "entry_of",
           "entries"]

KERAS_LAYERS = "keras.layers"
# Keras exports the classes of its `keras.src.layers` package under `keras.layers`; configs carry
# either spelling, so a `keras.src.layers.<family>.<file>` module is read as `keras.layers`.
_KERAS_LAYERS_SOURCE = "keras.src.layers."
TORCH_ONLY_MODULE = "torchkeras_layers.layers"
CLASS_KEYWORDS = ("keras_module", "keras_name", "built_at_init", "torch_only", "registered")
_PACKAGE = __name__.rsplit(".", 1)[0]


@dataclass(frozen=True)
class LayerEntry:
    """One registered class and the Keras class it mirrors."""

    cls: type
    keras_module: str | None  # None: no Keras counterpart
    keras_name: str
    built_at_init: bool

    @property
    def torch_only(self) -> bool:
        return self.keras_module is None

    @property
    def module(self) -> str:
        """The `module` of the class's serialised entry."""
        return TORCH_ONLY_MODULE if self.keras_module is None else self.keras_module

    @property
    def registered_name(self) -> str | None:
        """Keras writes a `registered_name` only for classes it does not export (`keras.src.*`)."""
        if self.keras_module is not None and self.keras_module.startswith("keras.src."):
            return self.keras_name
        return None

    def keras_class(self) -> type:
        """The Keras class (imports Keras)."""
        if self.keras_module is None:
            raise NotImplementedError(f"{self.cls.__name__} has no Keras counterpart")
        return getattr(importlib.import_module(self.keras_module), self.keras_name)


_BY_KEY: dict[tuple[str, str], LayerEntry] = {}
_BY_CLASS: dict[type, LayerEntry] = {}


def register(cls: type, **keywords) -> LayerEntry | None:
    """Record `cls`; `keywords` are the registry keywords of its class statement (see the module
    docstring). Called by `Layer.__init_subclass__`."""
    unknown = sorted(set(keywords) - set(CLASS_KEYWORDS))
    if unknown:
        raise TypeError(f"{cls.__name__}: unknown class keyword(s) {unknown}; "
                        f"the layer registry takes {list(CLASS_KEYWORDS)}")
    if not keywords.get("registered", True):
        return None
    if not keywords and not (cls.__module__ == _PACKAGE or cls.__module__.startswith(_PACKAGE + ".")):
        return None
    keras_module = keywords.get("keras_module", KERAS_LAYERS)
    keras_name = keywords.get("keras_name")
    built_at_init = keywords.get("built_at_init", False)
    torch_only = keywords.get("torch_only", False)
    if torch_only and {"keras_module", "keras_name", "built_at_init"} & set(keywords):
        raise TypeError(f"{cls.__name__}: a torch_only class names no Keras module, class or build behaviour")
    entry = LayerEntry(cls, None if torch_only else keras_module, keras_name or cls.__name__, bool(built_at_init))
    key = (entry.module, entry.keras_name)
    previous = _BY_KEY.get(key)
    if previous is not None and _qualified(previous.cls) != _qualified(cls):  # a reload replaces itself
        raise ValueError(f"{cls.__module__}.{cls.__qualname__}: {key[0]}.{key[1]} is already mirrored by "
                         f"{_qualified(previous.cls)}")
    if previous is not None:
        _BY_CLASS.pop(previous.cls, None)
    _BY_KEY[key] = entry
    _BY_CLASS[cls] = entry
    return entry


def lookup(module: str | None, class_name: str) -> LayerEntry | None:
    """The entry for a serialised `(module, class_name)`; `keras.src.layers.<family>.<file>` is read
    as `keras.layers`. None when nothing mirrors it (a missing module matches nothing)."""
    if not isinstance(module, str) or not isinstance(class_name, str):
        return None
    found = _BY_KEY.get((module, class_name))
    if found is None and module.startswith(_KERAS_LAYERS_SOURCE):
        found = _BY_KEY.get((KERAS_LAYERS, class_name))
    return found


def entry_of(cls: type) -> LayerEntry | None:
    """The entry of our class `cls`; None for internal bases and unregistered user classes."""
    return _BY_CLASS.get(cls)


def entries() -> Iterator[LayerEntry]:
    """Every registered class, in definition order (import the package's layers first)."""
    return iter(list(_BY_KEY.values()))


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"
