"""`from_keras` / `to_keras`: the same layer or model, config and weights, in the other framework.

Keras is imported here, lazily, never at `import torchkeras_layers` time.

* A Keras layer <-> our layer; a `keras.Sequential` <-> `tkl.Sequential`; a functional `keras.Model`
  <-> `tkl.Model` (the same graph as an explicit node list). Conversion goes through the Keras config
  (which both sides read and write), then copies the weights layer by layer, by layer name.
* `from_keras("model.keras")` loads a saved model; `from_keras("w.weights.h5", model=m)` loads a
  weights file into `m` (ours or a Keras model) and returns our module.
* Layers without an equivalent: `NotImplementedError` listing every one (name and class), nested
  models included, before anything is built. Both directions read and write Keras' serialised
  entries with `models.serialization`, which matches classes by Keras module and class name.
"""

from __future__ import annotations

import os

from .. import registry
from ..layers.base import Layer
from ..layers.core.input_layer import InputLayer
from ..layers.core.lambda_layer import Lambda
from ..models.ops import KerasOp
from ..models.serialization import (apply_build_config, deserialize_layer, serialize_layer, unsupported_layers,
                                    unsupported_message)

__all__ = ["from_keras", "to_keras", "load_keras_weights"]


def _keras():
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import keras

    return keras


# ---------------------------------------------------------------------------- Keras -> ours
def from_keras(obj, *, model=None, safe_mode: bool = True):
    """A Keras layer or model (or a `.keras` / `.h5` file path) -> our module with the same config and weights.

    `obj` may also be a `.weights.h5` path; then `model` (our module, or a Keras model of the same
    architecture) says what the weights belong to, and the loaded module is returned. `safe_mode`, as
    in `keras.saving.load_model`: a file whose Lambda layers hold Python bytecode is refused unless False.
    A damaged or foreign file is a ValueError naming the file and what is wrong with it.
    """
    if isinstance(obj, (str, os.PathLike)):
        return _from_path(os.fspath(obj), model, safe_mode)
    keras = _keras()
    if isinstance(obj, keras.Model):
        return _model_from_keras(obj, keras)
    if not isinstance(obj, keras.layers.Layer):
        raise TypeError(f"from_keras: expected a Keras layer or model, or a path to a .keras / .weights.h5 file; "
                        f"received {type(obj).__name__}")
    return _layer_from_keras(obj)


def _from_path(path: str, model, safe_mode: bool = True):
    keras = _keras()
    if not os.path.exists(path):
        raise FileNotFoundError(f"from_keras: no such file: {path!r}")
    if path.endswith(".weights.h5"):
        if model is None:
            raise ValueError(f"from_keras: {path!r} holds weights only; pass the architecture as `model=` "
                             "(a torchkeras_layers module or a Keras model)")
        module = model if isinstance(model, Layer) else from_keras(model)
        try:
            load_keras_weights(module, path)
        except Exception as err:  # h5py's and Keras' errors for a damaged or mismatching file, as one line
            raise ValueError(f"from_keras: cannot load the weights file {path!r} into {module.name!r}: "
                             f"{type(err).__name__}: {_first_line(err)}") from None
        return module
    if model is not None:
        raise ValueError(f"from_keras: `model=` is only used with a .weights.h5 file; received a path {path!r}")
    if path.endswith((".keras", ".h5", ".hdf5")):
        config = _saved_model_config(path)
        if safe_mode:
            _refuse_lambda_bytecode(path, config)
        try:
            keras_model = keras.saving.load_model(path, compile=False, safe_mode=safe_mode)
        except Exception as err:  # Keras, zipfile and h5py raise many kinds; the caller gets one line
            raise ValueError(f"from_keras: cannot load {path!r}: {type(err).__name__}: {_first_line(err)}") from None
        return from_keras(keras_model)
    raise ValueError(f"from_keras: unrecognised file type {path!r}; expected .keras, .h5 or .weights.h5")


def _first_line(err: Exception) -> str:
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    return lines[0] if lines else "(no message)"


def _saved_model_config(path: str) -> dict:
    """The model config of a saved `.keras` (zip: config.json) or legacy `.h5` (attribute model_config)
    file, checked before Keras reads it: a damaged file is a ValueError naming the file and the damage."""
    import json
    import zipfile

    if os.path.getsize(path) == 0:
        raise ValueError(f"from_keras: {path!r} is empty")
    if path.endswith(".keras"):
        if not zipfile.is_zipfile(path):
            raise ValueError(f"from_keras: {path!r} is not a .keras file (a .keras file is a zip archive; this one "
                             "is not, or it is truncated)")
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
                if "config.json" not in names:
                    raise ValueError(f"from_keras: {path!r} is a zip archive without config.json, not a saved "
                                     f"Keras model (it holds {sorted(names)[:5]})")
                text = archive.read("config.json")
                if archive.testzip() is not None:
                    raise zipfile.BadZipFile("a member fails its CRC check")
        except (zipfile.BadZipFile, OSError, EOFError) as err:
            raise ValueError(f"from_keras: {path!r} is a damaged .keras file ({_first_line(err)})") from None
    else:
        import h5py

        try:
            with h5py.File(path, "r") as f:
                text = f.attrs.get("model_config")
        except OSError as err:
            raise ValueError(f"from_keras: {path!r} is not an HDF5 file, or it is damaged "
                             f"({_first_line(err)})") from None
        if text is None:
            raise ValueError(f"from_keras: {path!r} is an HDF5 file without a model config (a weights file? "
                             "load those with `from_keras(path, model=...)`)")
    try:
        config = json.loads(text)
    except (ValueError, UnicodeDecodeError) as err:
        raise ValueError(f"from_keras: {path!r} holds a model config that is not valid JSON ({err})") from None
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"from_keras: {path!r} holds a config that does not describe a Keras model")
    return config


def _refuse_lambda_bytecode(path: str, config) -> None:
    """Keras' safe mode: a Lambda layer whose function is stored as Python bytecode is not loaded, since
    loading it runs code from the file; the caller allows it with `safe_mode=False`."""
    if isinstance(config, dict):
        if config.get("class_name") == "Lambda":
            function = (config.get("config") or {}).get("function")
            if isinstance(function, dict) and function.get("class_name") == "__lambda__":
                name = (config.get("config") or {}).get("name", "?")
                raise ValueError(f"from_keras: {path!r}: layer {name!r} (Lambda) stores its function as Python "
                                 "bytecode, which could run arbitrary code when loaded; if you trust the file, "
                                 "pass `safe_mode=False` to from_keras")
        for value in config.values():
            _refuse_lambda_bytecode(path, value)
    elif isinstance(config, list):
        for value in config:
            _refuse_lambda_bytecode(path, value)


def _live_config(layer) -> dict:
    """Config entries that Keras' config cannot carry: a Lambda's Python functions (by name only)."""
    if not isinstance(layer, _keras().layers.Lambda):
        return {}
    live = {"function": layer.function}
    if callable(getattr(layer, "_output_shape", None)):
        live["output_shape"] = layer._output_shape
    if callable(getattr(layer, "mask", None)):
        live["mask"] = layer.mask
    return live


def _live_overrides(keras_model) -> dict:
    found = {}
    for layer in keras_model._flatten_layers(include_self=False, recursive=True):
        live = _live_config(layer)
        if live:
            found[layer.name] = live
    return found


def _layer_from_keras(obj):
    keras = _keras()
    live = _live_config(obj)
    module = deserialize_layer(keras.saving.serialize_keras_object(obj), {obj.name: live} if live else None)
    if obj.built and not module.built:
        # No build config (a layer Keras built by calling it on symbolic inputs): the input it was called on.
        try:
            input_shape = obj.input.shape
        except (AttributeError, ValueError):
            input_shape = None
        if input_shape is None and obj.weights:
            raise ValueError(f"from_keras: cannot tell the input shape that {type(obj).__name__} ({obj.name!r}) "
                             "was built with (it has no build config and was never called symbolically)")
        if input_shape is not None:
            apply_build_config(module, {"input_shape": input_shape})
        module.built = True
    if obj.weights:
        module.set_weights(obj.get_weights())
    return module


def _model_from_keras(keras_model, keras):
    from ..models import Sequential
    from keras.src.models.functional import Functional

    if not isinstance(keras_model, (keras.Sequential, Functional)):
        raise NotImplementedError(
            f"from_keras: {type(keras_model).__name__} ({keras_model.name!r}) is a subclassed keras.Model; only "
            "Sequential and functional models can be converted (their graph is in their config)")
    entry = keras.saving.serialize_keras_object(keras_model)
    missing = unsupported_layers(entry)
    if missing:
        raise NotImplementedError(f"from_keras({keras_model.name!r}): " + unsupported_message(missing))
    module = deserialize_layer(entry, overrides=_live_overrides(keras_model))
    if keras_model.built and not module.built and isinstance(module, Sequential):
        # An unbuilt-then-called Keras Sequential has no `build_input_shape` in some versions; build
        # from the model's input.
        module.build(tuple(keras_model.inputs[0].shape))
    copy_weights(keras_model, module)
    return module


# ---------------------------------------------------------------------------- ours -> Keras
def to_keras(module: Layer):
    """Our layer / `Sequential` / `Model` -> the Keras layer or model with the same config and weights
    (a model can then be saved with `.save("model.keras")`)."""
    if not isinstance(module, Layer):
        raise TypeError(f"to_keras: expected a torchkeras_layers layer or model; received {type(module).__name__}")
    keras = _keras()
    from keras.src.saving.serialization_lib import SafeModeScope

    # Lambda functions: Keras' config names them (or marshals Python lambdas); hand Keras the live
    # functions of our own module, which we trust, instead of making it look them up.
    functions = {}
    for sub in module.modules():
        if isinstance(sub, Lambda):
            for fn in (sub.function, getattr(sub, "_output_shape", None), getattr(sub, "mask", None)):
                if callable(fn):
                    functions[fn.__name__] = fn
    with keras.saving.custom_object_scope(functions), SafeModeScope(False if functions else None):
        return _to_keras(module, keras)


def _to_keras(module, keras):
    from ..models.base import Container

    missing = _without_keras_counterpart(module)
    if missing:
        listing = ", ".join(f"{name!r} ({cls})" for name, cls in missing)
        raise NotImplementedError(f"to_keras: {len(missing)} layer(s) have no Keras counterpart: {listing}")
    converted = keras.saving.deserialize_keras_object(serialize_layer(module))
    if isinstance(module, Container):
        if module.built:
            copy_weights(module, converted)
    elif module.built and module.keras_weights():
        converted.set_weights(module.get_weights())
    return converted


def _without_keras_counterpart(module) -> list[tuple[str, str]]:
    """(name, class) of every layer of `module` (nested models searched) that Keras has no class for."""
    from ..models.base import Container

    if isinstance(module, Container):
        return [found for layer in module.layers for found in _without_keras_counterpart(layer)]
    if isinstance(module, KerasOp):
        return []
    entry = registry.entry_of(type(module))
    return [] if entry is not None and not entry.torch_only else [(module.name, type(module).__name__)]


# ---------------------------------------------------------------------------- weights
def copy_weights(source, target) -> None:
    """Copy weights layer by layer, matching layers by name (either direction, nested models included).

    Matching by name (not by flat position) keeps a model whose two sides order layers differently
    (a Keras model with shared layers, say) correct, and names the layer on a mismatch.
    """
    source_layers = {layer.name: layer for layer in _layers_of(source)}
    target_layers = list(_layers_of(target))
    missing = [layer.name for layer in target_layers if layer.name not in source_layers]
    if missing:
        raise ValueError(f"copy_weights: layers {missing} of {target.name!r} have no counterpart in {source.name!r}")
    for layer in target_layers:
        source_layer = source_layers[layer.name]
        if not getattr(source_layer, "built", True) and not getattr(layer, "built", True):
            continue  # neither side has weights yet (an unbuilt model)
        weights = source_layer.get_weights()
        if weights or layer.get_weights():
            try:
                layer.set_weights(weights)
            except ValueError as err:
                raise ValueError(f"copy_weights: layer {layer.name!r}: {err}") from None


def _layers_of(model):
    """The layers of a model (ours or Keras'), without InputLayers and operations (Keras' `model.layers`
    leaves its operations out; they have no weights)."""
    from ..models import Sequential

    if isinstance(model, Sequential):
        return list(model.layers)
    return [layer for layer in model.layers if not isinstance(layer, (InputLayer, KerasOp, _keras().layers.InputLayer))]


def load_keras_weights(module: Layer, path: str) -> Layer:
    """Load a Keras `.weights.h5` file (written by `keras_model.save_weights`) into our module."""
    keras_model = to_keras(module)
    keras_model.load_weights(path)
    if hasattr(keras_model, "layers"):
        copy_weights(keras_model, module)
    else:
        module.set_weights(keras_model.get_weights())
    return module
