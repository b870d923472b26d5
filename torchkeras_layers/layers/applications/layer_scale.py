"""`LayerScale` of keras.applications.convnext: a learned per-channel scale of the last axis."""

from __future__ import annotations

from ... import initializers
from ..arguments import positive_int
from ..base import InputSpec, Layer


class LayerScale(Layer, keras_module="keras.src.applications.convnext"):
    """`keras.src.applications.convnext.LayerScale(init_values, projection_dim)`: `x * gamma`, with
    `gamma` of shape `(projection_dim,)` initialised to `init_values` (Keras creates it unnamed; its
    only weight)."""

    def __init__(self, init_values, projection_dim, **kwargs):
        super().__init__(**kwargs)
        self.init_values = init_values
        # Keras' add_weight rejects a non-integer dimension when it builds.
        self.projection_dim = positive_int(self, "projection_dim", projection_dim)

    def build(self, input_shape):
        self.add_weight("gamma", (self.projection_dim,), initializers.Constant(self.init_values))
        # Keras would broadcast a last axis of 1 against gamma; a mismatch is an error here.
        self.input_spec = InputSpec(min_ndim=1, axes={-1: self.projection_dim})

    def forward(self, x):
        return x * self.read_weight(self.gamma)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "init_values": self.init_values, "projection_dim": self.projection_dim}

__all__ = ["LayerScale"]
