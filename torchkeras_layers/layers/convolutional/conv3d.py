"""`Conv3D`: Keras' 3-D convolution over (batch, depth, height, width, channels) volumes."""

from __future__ import annotations

from .base_conv import BaseConv


class Conv3D(BaseConv):
    """Keras `Conv3D`; kernel in Keras layout `kernel_size + (in_channels // groups, filters)` through
    get/set_weights, stored as torch's `(filters, in_channels // groups, *kernel_size)`."""

    rank = 3

    def __init__(
        self,
        filters,
        kernel_size,
        strides=(1, 1, 1),
        padding="valid",
        data_format=None,
        dilation_rate=(1, 1, 1),
        groups=1,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(
            filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
            dilation_rate=dilation_rate, groups=groups, activation=activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer, kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint, **kwargs,
        )


# Keras' aliases (the same classes).
Convolution3D = Conv3D

__all__ = ["Conv3D", "Convolution3D"]
