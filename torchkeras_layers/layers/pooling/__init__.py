"""Pooling layers: Keras' max/average/global/adaptive pooling (with Keras' aliases) and the kinds
Keras lacks (LP, mean-shift, bilinear, overlapping), each defined precisely in its docstring."""

from .adaptive_pooling import (
    AdaptiveAveragePooling1D, AdaptiveAveragePooling2D, AdaptiveAveragePooling3D,
    AdaptiveMaxPooling1D, AdaptiveMaxPooling2D, AdaptiveMaxPooling3D,
)
from .average_pooling import AveragePooling1D, AveragePooling2D, AveragePooling3D
from .bilinear_pooling import BilinearPooling
from .compact_bilinear_pooling import CompactBilinearPooling
from .global_average_pooling import GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D
from .global_max_pooling import GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D
from .lp_pooling import L2Pooling1D, L2Pooling2D, LPPooling1D, LPPooling2D
from .max_pooling import MaxPooling1D, MaxPooling2D, MaxPooling3D
from .mean_shift_pooling import MeanShiftPooling1D, MeanShiftPooling2D
from .overlapping_pooling import OverlappingPooling2D

# Keras' aliases (the same classes).
MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D
GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D
GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D = GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D

__all__ = [
    "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "MaxPool1D", "MaxPool2D", "MaxPool3D",
    "AveragePooling1D", "AveragePooling2D", "AveragePooling3D", "AvgPool1D", "AvgPool2D", "AvgPool3D",
    "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
    "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D",
    "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
    "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D",
    "AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D", "AdaptiveAveragePooling3D",
    "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D", "AdaptiveMaxPooling3D",
    "LPPooling1D", "LPPooling2D", "L2Pooling1D", "L2Pooling2D",
    "MeanShiftPooling1D", "MeanShiftPooling2D",
    "BilinearPooling", "CompactBilinearPooling", "OverlappingPooling2D",
]
