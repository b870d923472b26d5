"""Every layer class, named exactly as in `keras.layers`, plus Keras' aliases.

Each family folder (core, convolutional, pooling, ...) holds one layer per module, and each module lists
its public names — the layer classes and Keras' aliases for them — in `__all__`. Importing this package
imports every module below it and re-exports those names, so a new layer is its own file and nothing
else here; importing a module registers its classes in `torchkeras_layers.registry`.
"""

import importlib
import pkgutil

from .base import InputSpec, Layer

__all__ = ["Layer", "InputSpec"]


def _export_every_module() -> None:
    for info in sorted(pkgutil.walk_packages(__path__, __name__ + "."), key=lambda m: m.name):
        module = importlib.import_module(info.name)
        in_family = info.name.count(".") >= 3  # torchkeras_layers.layers.<family>.<module>, not base.py & co
        for name in getattr(module, "__all__", ()) if in_family and not info.ispkg else ():
            if name in globals() and globals()[name] is not getattr(module, name):
                raise ImportError(f"torchkeras_layers.layers: {name!r} is exported by two modules")
            globals()[name] = getattr(module, name)
            if name not in __all__:
                __all__.append(name)


_export_every_module()
