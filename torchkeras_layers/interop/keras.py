"""`from_keras` / `to_keras`: the same layer, config and weights in the other framework.

Keras is imported here, lazily, never at `import torchkeras_layers` time.
"""

from __future__ import annotations

from ..layers.base import Layer


def _keras():
    import keras

    return keras


def _our_class(keras_class_name: str) -> type:
    from .. import layers

    cls = getattr(layers, keras_class_name, None)
    if not (isinstance(cls, type) and issubclass(cls, Layer)):
        raise NotImplementedError(f"no torchkeras_layers equivalent for Keras layer class {keras_class_name!r}")
    return cls


def from_keras(obj):
    """A Keras layer (built or not) -> our module with the same config and weights."""
    cls = _our_class(type(obj).__name__)
    module = cls.from_config(obj.get_config())
    if obj.built:
        module.build(_keras_build_shape(obj))
        if obj.weights:
            module.set_weights(obj.get_weights())
    return module


def _keras_build_shape(layer):
    config = layer.get_build_config() if hasattr(layer, "get_build_config") else None
    if config and "input_shape" in config:
        return _to_tuple(config["input_shape"])
    if config and "shapes_dict" in config:
        shapes = list(config["shapes_dict"].values())
        return _to_tuple(shapes[0]) if len(shapes) == 1 else [_to_tuple(s) for s in shapes]
    return _to_tuple(layer.input.shape)


def _to_tuple(shape):
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple)):
        return [_to_tuple(s) for s in shape]
    return tuple(shape)


def to_keras(module: Layer):
    """Our module -> the Keras layer with the same config and (if built) weights."""
    keras = _keras()
    cls = getattr(keras.layers, type(module).__name__)
    layer = cls.from_config(module.get_config())
    if module.built and module._build_args is not None:
        layer.build(*module._build_args)
        if module.keras_weights():
            layer.set_weights(module.get_weights())
    return layer
