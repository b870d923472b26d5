"""`SeparableConv1D`: Keras' 1-D depthwise separable convolution over (batch, steps, channels) sequences."""

from __future__ import annotations

from .base_separable_conv import BaseSeparableConv


class SeparableConv1D(BaseSeparableConv):
    """Keras `SeparableConv1D`: a depthwise convolution then a 1x1 (pointwise) one; weights `depthwise_kernel`
    `kernel_size + (in_channels, depth_multiplier)`, `pointwise_kernel`
    `(1,) + (in_channels * depth_multiplier, filters)`, `bias` in Keras layout."""

    rank = 1

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        depth_multiplier=1,
        activation=None,
        use_bias=True,
        depthwise_initializer="glorot_uniform",
        pointwise_initializer="glorot_uniform",
        bias_initializer="zeros",
        depthwise_regularizer=None,
        pointwise_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        depthwise_constraint=None,
        pointwise_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(
            depth_multiplier, filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
            dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
            depthwise_initializer=depthwise_initializer, pointwise_initializer=pointwise_initializer,
            bias_initializer=bias_initializer, depthwise_regularizer=depthwise_regularizer,
            pointwise_regularizer=pointwise_regularizer, bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer, depthwise_constraint=depthwise_constraint,
            pointwise_constraint=pointwise_constraint, bias_constraint=bias_constraint, **kwargs,
        )


# Keras' aliases (the same classes).
SeparableConvolution1D = SeparableConv1D

__all__ = ["SeparableConv1D", "SeparableConvolution1D"]
