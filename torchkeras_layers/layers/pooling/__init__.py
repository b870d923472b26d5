"""Pooling layers: Keras' max/average/global/adaptive pooling (with Keras' aliases) and the kinds
Keras lacks (LP, mean-shift, bilinear, overlapping), each defined precisely in its docstring."""

from .average_pooling import AveragePooling1D, AveragePooling2D, AveragePooling3D
from .max_pooling import MaxPooling1D, MaxPooling2D, MaxPooling3D

MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D

__all__ = [
    "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "MaxPool1D", "MaxPool2D", "MaxPool3D",
    "AveragePooling1D", "AveragePooling2D", "AveragePooling3D", "AvgPool1D", "AvgPool2D", "AvgPool3D",
]
