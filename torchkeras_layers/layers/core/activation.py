"""`Activation`: applies a Keras activation (by name or callable)."""

from ... import activations
from ..base import Layer


class Activation(Layer):
    supports_masking = True

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = self._resolve(activations.get, "activation", activation)

    def forward(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}
