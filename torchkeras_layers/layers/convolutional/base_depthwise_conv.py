"""`BaseDepthwiseConv`: what DepthwiseConv1D/2D share (Keras' `BaseDepthwiseConv`), as a grouped
convolution with one group per input channel.

Keras' kernel is ``kernel_size + (in_channels, depth_multiplier)``; it is stored as
``(in_channels, depth_multiplier, *kernel_size)``, which *reshapes* (a view) to torch's grouped weight
``(in_channels * depth_multiplier, 1, *kernel_size)``: output channel ``c * depth_multiplier + m``
is input channel ``c`` through kernel ``m``, as in TensorFlow's depthwise convolution.
"""

from __future__ import annotations

import torch

from ... import regularizers
from ...ops.convolution import conv
from ...ops.layout import from_channels_first, to_channels_first
from ..arguments import positive_int
from .base_window_conv import BaseWindowConv


class BaseDepthwiseConv(BaseWindowConv, registered=False):
    """Abstract N-D depthwise convolution: ``activation(depthwise(x, kernel) + bias)``.

    `padding="same"` is TensorFlow's (extra unit at the end). Unlike `Conv*D`, `strides > 1` together
    with `dilation_rate > 1` is allowed (Keras 3.15 computes it as a dilated convolution subsampled).
    """

    def __init__(
        self,
        depth_multiplier,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        activation=None,
        use_bias=True,
        depthwise_initializer="glorot_uniform",
        bias_initializer="zeros",
        depthwise_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        depthwise_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.depth_multiplier = positive_int(self, "depth_multiplier", depth_multiplier)
        self._set_window_args(kernel_size, strides, padding, data_format, dilation_rate)
        self.use_bias = bool(use_bias)
        self._set_identifiers(
            activation=activation, depthwise_initializer=depthwise_initializer, bias_initializer=bias_initializer,
            depthwise_regularizer=depthwise_regularizer, bias_regularizer=bias_regularizer,
            depthwise_constraint=depthwise_constraint, bias_constraint=bias_constraint,
        )

    def _add_depthwise_kernel(self, name: str, in_channels: int) -> None:
        # stored (in, multiplier, *k) -> Keras layout (*k, in, multiplier)
        to_keras = tuple(range(2, self.rank + 2)) + (0, 1)
        self.add_weight(name, self.kernel_size + (in_channels, self.depth_multiplier), self.depthwise_initializer,
                        regularizer=self.depthwise_regularizer, constraint=self.depthwise_constraint,
                        to_keras=to_keras)

    def build(self, input_shape):
        in_channels = self._build_input(input_shape)
        self._check_output_size(input_shape)
        self._add_depthwise_kernel("kernel", in_channels)
        self._add_bias(in_channels * self.depth_multiplier)

    # ------------------------------------------------------------------ forward
    def _depthwise(self, x: torch.Tensor, kernel: torch.Tensor, bias: torch.Tensor | None, pads: tuple):
        """Grouped convolution of a ``(N, C, *spatial)`` view (1-D lifted to 2-D) with the stored
        ``(C, M, *k)`` kernel and the input's per-axis ``(lo, hi)`` paddings."""
        in_channels = kernel.shape[0]
        weight = kernel.reshape(in_channels * self.depth_multiplier, 1, *self.kernel_size)  # a view
        if self.rank == 1:  # run as 2-D over a unit height axis (see ops/layout.py)
            weight = weight.unsqueeze(2)
            pads = ((0, 0),) + pads
        return conv(x, weight, bias, self._op_strides, pads, self._op_dilation, in_channels)

    def forward(self, inputs):
        pads = self._checked_paddings(inputs.shape)
        if inputs.shape[self._channel_axis] == 0:  # no channels: Keras' output is empty; torch needs groups > 0
            return self.add_activity_loss(inputs.new_empty(self.compute_output_shape(tuple(inputs.shape))))
        x = to_channels_first(inputs, self.data_format)
        y = self._depthwise(x, self.read_weight(self.kernel), self.read_weight(self.bias), pads)
        outputs = from_channels_first(y, self.data_format, self.rank)
        return self.add_activity_loss(self.activation(outputs))

    def _output_channels(self, in_channels: int) -> int:
        return in_channels * self.depth_multiplier

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        channels = input_shape[self._channel_axis]
        channels = None if channels is None else self._output_channels(channels)
        return self._output_shape(input_shape, channels, self._output_spatial(input_shape))

    def get_config(self):
        return {
            **super().get_config(),
            "depth_multiplier": self.depth_multiplier,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            **self._identifier_config("activation"),
            "use_bias": self.use_bias,
            **self._identifier_config("depthwise_initializer", "bias_initializer", "depthwise_regularizer",
                                      "bias_regularizer"),
            # Keras' depthwise config always carries activity_regularizer (None included).
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            **self._identifier_config("depthwise_constraint", "bias_constraint"),
        }

