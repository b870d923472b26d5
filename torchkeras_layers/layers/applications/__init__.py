"""Custom layers defined inside `keras.applications` models (not exported from `keras.layers`)."""

from .custom_scale_layer import CustomScaleLayer
from .layer_scale import LayerScale

__all__ = ["CustomScaleLayer", "LayerScale"]
