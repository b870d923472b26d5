"""`Activation`: applies a Keras activation (by name or callable)."""

import torch

from ... import activations
from ..base import FLOATING, NUMERIC, Layer

# The input dtype kinds Keras' built-in activations take (TensorFlow backend, measured): the ones not listed
# take floating input only; None: any real dtype (tanh and exponential promote to float32).
_INPUT_DTYPES = {"linear": None, "relu": NUMERIC, "relu6": NUMERIC, "leaky_relu": NUMERIC, "tanh": None,
                 "exponential": None}
# Keras' leaky_relu promotes integer input to float32; torch's kernel has no integer variant.
_PROMOTES_INTEGERS = {"leaky_relu"}


class Activation(Layer, built_at_init=True):
    supports_masking = True

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self._set_identifiers(activation=activation)
        name = activations.serialize(self.activation)
        builtin = isinstance(name, str)
        # A user's callable decides for itself which inputs it takes.
        self.input_dtypes = _INPUT_DTYPES.get(name, FLOATING) if builtin else None
        self._promotes_integers = builtin and name in _PROMOTES_INTEGERS

    def forward(self, inputs):
        if self._promotes_integers and not inputs.is_floating_point():
            inputs = inputs.to(torch.float32)
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), **self._identifier_config("activation")}

__all__ = ["Activation"]
