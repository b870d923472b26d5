"""`Activation`: applies a Keras activation (by name or callable)."""

from ..base import Layer


class Activation(Layer, built_at_init=True):
    supports_masking = True

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self._set_identifiers(activation=activation)

    def forward(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), **self._identifier_config("activation")}

__all__ = ["Activation"]
