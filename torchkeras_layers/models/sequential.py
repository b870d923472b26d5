"""`Sequential`: Keras' linear stack of layers, as an `nn.Module`."""

from __future__ import annotations

from torch import nn

from ..layers.base import Layer, build_on, standardize_shape
from ..layers.core.input_layer import InputLayer
from .base import CallSignature, Container, call_layer, standardize_model_input
from .serialization import deserialize_layer, serialize_layer, to_shape_tuple, unsupported_layers, unsupported_message

__all__ = ["Sequential"]


class Sequential(Container, keras_module="keras", keras_name="Sequential"):
    """Keras `Sequential(layers=None, trainable=True, name=None)`.

    `add`/`pop` change the stack; an `Input` as the first layer (or a first layer given `input_shape=`)
    builds the model eagerly, as in Keras; otherwise it is built by `build(input_shape)` or by the
    first call. `forward(inputs, training=None, mask=None)` passes `training` to the layers that take
    it (None: each layer follows `.train()`/`.eval()`) and carries the mask from layer to layer with
    each layer's `compute_mask`.

    The layers live in the `nn.ModuleList` `layers` (`state_dict` keys `layers.<i>.<weight name>`);
    the `InputLayer`, which has no weights, is kept apart, as Keras keeps it out of `model.layers`.
    """

    def __init__(self, layers=None, trainable: bool = True, name: str | None = None, **kwargs):
        super().__init__(trainable=trainable, name=name, **kwargs)
        self.input_layer: InputLayer | None = None
        self.layers = nn.ModuleList()
        self._signatures: list[CallSignature] = []
        self._output_shapes: list = []  # per layer in `layers`, once built
        self._input_shapes: list = []
        if layers is not None:
            if isinstance(layers, (Layer, nn.Module)) or not isinstance(layers, (list, tuple)):
                raise TypeError(f"Sequential: argument `layers` must be a list of layers; received {type(layers).__name__}")
            for layer in layers:
                self.add(layer, rebuild=False)
            self._maybe_rebuild()

    # ------------------------------------------------------------------ building the stack
    def add(self, layer, rebuild: bool = True) -> None:
        """Keras `add(layer)`: append a layer (an `Input` only as the first element)."""
        if not isinstance(layer, Layer):
            raise ValueError(
                f"Sequential ({self.name!r}): only torchkeras_layers layers can be added to a Sequential "
                f"model; received {layer!r} (of type {type(layer).__name__})"
            )
        if self.input_layer is None and not len(self.layers) and not isinstance(layer, InputLayer) \
                and layer._declared_input_shape is not None:
            # Keras' legacy form: `Dense(4, input_shape=(3,))` as the first layer declares the input.
            self.add(InputLayer(batch_shape=layer._declared_input_shape), rebuild=False)
        existing = ([self.input_layer] if self.input_layer is not None else []) + list(self.layers)
        if any(other.name == layer.name and other is not layer for other in existing):
            raise ValueError(
                f"Sequential ({self.name!r}): all layers added to a Sequential model should have unique names. "
                f"Name {layer.name!r} is already the name of a layer in this model. Update the `name` argument "
                f"to pass a unique name."
            )
        if isinstance(layer, InputLayer):
            if self.input_layer is not None:
                raise ValueError(
                    f"Sequential ({self.name!r}) has already been configured to use input shape "
                    f"{self.input_layer.batch_shape}. You cannot add a different Input layer to it."
                )
            if len(self.layers):
                raise ValueError(f"Sequential ({self.name!r}): an Input layer can only be the first layer")
            self.input_layer = layer
        else:
            self.layers.append(layer)
            self._signatures.append(CallSignature.of(layer))
        if rebuild:
            self._maybe_rebuild()
        else:
            self.built = False

    def pop(self, rebuild: bool = True) -> Layer:
        """Keras `pop()`: remove and return the last layer."""
        if not len(self.layers):
            raise IndexError(f"Sequential ({self.name!r}): pop() called on a model that has no layers")
        layer = self.layers[-1]
        del self.layers[-1]
        self._signatures.pop()
        self.built = False
        self._output_shapes = self._output_shapes[: len(self.layers)]
        self._input_shapes = self._input_shapes[: len(self.layers)]
        if rebuild:
            self._maybe_rebuild()
        return layer

    def _maybe_rebuild(self) -> None:
        self.built = False
        if self.input_layer is not None and len(self.layers):
            self.build(self.input_layer.batch_shape)

    def build(self, input_shape=None) -> None:
        """Build every layer for `input_shape` (batch axis included), like Keras' symbolic build."""
        input_shape = standardize_shape(input_shape)
        if not len(self.layers):
            raise ValueError(f"Sequential model {self.name} cannot be built because it has no layers. "
                             f"Call `model.add(layer)`.")
        if self.input_layer is not None:
            if tuple(self.input_layer.batch_shape) != input_shape:
                raise ValueError(
                    f"Sequential model '{self.name}' has already been configured to use input shape "
                    f"{self.input_layer.batch_shape}. You cannot build it with input_shape {input_shape}"
                )
        else:
            self.input_layer = InputLayer(batch_shape=input_shape, dtype=self.layers[0].compute_dtype)
        device = self._build_device
        shape = input_shape
        shapes = []
        self._input_shapes = []
        for layer in self.layers:
            self._input_shapes.append(shape)
            if not layer.built:
                with build_on(device):
                    layer.build(shape)
                layer.built = True
            shape = layer.compute_output_shape(shape)
            shapes.append(shape)
        self._output_shapes = shapes

    def _build_shapes(self, args: tuple, kwargs: dict) -> tuple:
        # Built by a first call on data: the batch size of that call is not part of the model.
        shape = tuple(args[0].shape)
        return ((None,) + shape[1:],)

    # ------------------------------------------------------------------ shapes
    @property
    def input_shape(self):
        if self.input_layer is None:
            raise AttributeError(f"Sequential model '{self.name}' has no defined input shape yet.")
        return self.input_layer.batch_shape

    @property
    def output_shape(self):
        if not self.built or len(self._output_shapes) != len(self.layers):
            raise AttributeError(f"Sequential model '{self.name}' has no defined output shape yet.")
        return self._output_shapes[-1]

    def __getattr__(self, name: str):
        if name in ("input_shape", "output_shape"):
            # The property raised AttributeError (not built yet); nn.Module would replace Keras' message.
            raise AttributeError(f"Sequential model '{self.__dict__.get('name')}' has no defined "
                                 f"{name.replace('_', ' ')} yet.")
        return super().__getattr__(name)

    def compute_output_shape(self, input_shape):
        shape = standardize_shape(input_shape)
        for layer in self.layers:
            shape = layer.compute_output_shape(shape)
        return shape

    def layer_output_shapes(self) -> list:
        """Output shape of each layer (Keras' summary column); None before the model is built."""
        return list(self._output_shapes) if self.built else [None] * len(self.layers)

    # ------------------------------------------------------------------ running
    def forward(self, inputs, training=None, mask=None):
        return self.forward_with_mask(inputs, training=training, mask=mask)[0]

    def forward_with_mask(self, inputs, training=None, mask=None):
        """(outputs, output mask): the stack applied in order, with Keras' mask propagation."""
        return self._run(inputs, training, mask, None)

    def forward_with_intermediates(self, inputs, training=None, mask=None):
        """(outputs, {layer name: its output}) in one pass, layers in order (what `tkl.testing`
        compares layer by layer)."""
        if not self.built:
            self._build_from_inputs((inputs,), {})
        record = {}
        outputs, _ = self._run(inputs, training, mask, record)
        return outputs, record

    def _run(self, inputs, training, mask, record):
        x = standardize_model_input(self, self.input_layer, inputs) if self.input_layer is not None else inputs
        for layer, signature in zip(self.layers, self._signatures):
            x, mask = call_layer(layer, signature, (x,), {}, training, (mask,))
            if record is not None:
                record[layer.name] = x
        return x, mask

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict:
        entries = [serialize_layer(self.input_layer)] if self.input_layer is not None else []
        shapes = self._input_shapes if len(self._input_shapes) == len(self.layers) else [None] * len(self.layers)
        entries += [serialize_layer(layer, shape) for layer, shape in zip(self.layers, shapes)]
        config = {**super().get_config(), "layers": entries}
        if self.built and self.input_layer is not None:
            config["build_input_shape"] = tuple(self.input_layer.batch_shape)
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects=None, overrides=None):
        """From Keras' `Sequential.get_config()` (and ours)."""
        if "name" not in config or "layers" not in config:
            raise ValueError("A Sequential model configuration must be a dictionary containing the 'name' and "
                             f"'layers' keys. Received: config={config}")
        missing = [m for entry in config["layers"] for m in unsupported_layers(entry)]
        if missing:
            raise NotImplementedError(f"Sequential ({config['name']!r}): " + unsupported_message(missing))
        model = cls(name=config["name"])
        for entry in config["layers"]:
            model.add(deserialize_layer(entry, overrides))
        build_input_shape = config.get("build_input_shape")
        if not model.built and build_input_shape:
            model.build(to_shape_tuple(build_input_shape))
        if config.get("trainable") is False:
            model.trainable = False
        return model

    def extra_repr(self) -> str:
        return f"name={self.name!r}" + (f", input_shape={self.input_layer.batch_shape}" if self.input_layer else "")

    def _summary_rows(self):
        shapes = self.layer_output_shapes()
        return [(layer, shape, None) for layer, shape in zip(self.layers, shapes)]
