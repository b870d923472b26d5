"""`CustomScaleLayer` of keras.applications.inception_resnet_v2: the scaled residual sum."""

from __future__ import annotations

from ..base import FLOATING, Layer


class CustomScaleLayer(Layer, keras_module="keras.src.applications.inception_resnet_v2"):
    """`keras.src.applications.inception_resnet_v2.CustomScaleLayer(scale)`: called on
    `[shortcut, residual]`, returns `shortcut + residual * scale`. Both tensors must have the same shape
    (Keras would broadcast; the block always passes equal shapes)."""

    input_dtypes = FLOATING  # Keras' `shortcut + residual * scale` refuses integer tensors against the float scale

    def __init__(self, scale, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale

    def forward(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError(f"{self.__class__.__name__} ({self.name!r}): expects a list of two tensors "
                             f"[shortcut, residual]; received {type(inputs).__name__}"
                             + (f" of length {len(inputs)}" if isinstance(inputs, (list, tuple)) else ""))
        shortcut, residual = inputs
        if shortcut.shape != residual.shape:
            raise ValueError(f"{self.__class__.__name__} ({self.name!r}): the two inputs must have the same shape; "
                             f"received {tuple(shortcut.shape)} and {tuple(residual.shape)}")
        return shortcut + residual * self.scale

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}

__all__ = ["CustomScaleLayer"]
