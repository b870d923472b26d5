"""Convolution layers (Keras' `layers/convolutional`), with Keras' `Convolution*D` aliases."""

from .base_conv import BaseConv
from .conv1d import Conv1D
from .conv2d import Conv2D
from .conv3d import Conv3D

Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution3D = Conv3D

__all__ = ["Conv1D", "Conv2D", "Conv3D", "Convolution1D", "Convolution2D", "Convolution3D"]
