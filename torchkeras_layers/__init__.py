"""torchkeras_layers: PyTorch modules that behave exactly like the Keras layers.

    import torchkeras_layers as tkl
    model = tkl.Sequential([tkl.Input((32,)), tkl.Dense(32), tkl.RepeatVector(3)])

Importing this package never imports TensorFlow or Keras; `from_keras`/`to_keras` import Keras lazily.
"""

from . import activations, constraints, initializers, layers, regularizers
from .layers import *  # noqa: F401,F403
from .training import apply_constraints, constrain, regularization_loss

__version__ = "0.1.0"

__all__ = ["activations", "constraints", "initializers", "layers", "regularizers", "apply_constraints",
           "constrain", "regularization_loss", *layers.__all__]


def __getattr__(name):
    # Lazily resolved so that `import torchkeras_layers` stays free of heavy/optional imports.
    if name in ("Sequential", "Model"):
        from . import models

        return getattr(models, name)
    if name in ("from_keras", "to_keras"):
        from .interop import keras as interop_keras

        return getattr(interop_keras, name)
    if name in ("optimizers", "testing", "models", "interop", "config", "runtime"):
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'torchkeras_layers' has no attribute {name!r}")
