"""`BaseSeparableConv`: what SeparableConv1D/2D share (Keras' `BaseSeparableConv`): the depthwise
convolution of `BaseDepthwiseConv` followed by a pointwise (1x1) convolution to `filters` channels.

The pointwise kernel is stored in torch's layout ``(filters, in_channels * depth_multiplier, 1, ...)``
(Keras layout ``(1, ..., in_channels * depth_multiplier, filters)`` through get/set_weights), in
channels-last memory for channels-last layers, as `BaseConv` stores its kernel.
"""

from __future__ import annotations

from ...ops.convolution import conv, pointwise_conv_channels_last, pointwise_gemm_wins
from ...ops.layout import from_channels_first, lift_1d, to_channels_first
from ..arguments import positive_int
from .base_conv import _channels_last_memory
from .base_depthwise_conv import BaseDepthwiseConv


class BaseSeparableConv(BaseDepthwiseConv, registered=False):
    """Abstract N-D separable convolution:
    ``activation(pointwise(depthwise(x, depthwise_kernel), pointwise_kernel) + bias)``."""

    def __init__(
        self,
        depth_multiplier,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
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
            depth_multiplier, kernel_size, strides=strides, padding=padding, data_format=data_format,
            dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
            depthwise_initializer=depthwise_initializer, bias_initializer=bias_initializer,
            depthwise_regularizer=depthwise_regularizer, bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer, depthwise_constraint=depthwise_constraint,
            bias_constraint=bias_constraint, **kwargs,
        )
        self.filters = positive_int(self, "filters", filters)
        self._set_identifiers(pointwise_initializer=pointwise_initializer,
                              pointwise_regularizer=pointwise_regularizer,
                              pointwise_constraint=pointwise_constraint)
        self._unit_window = lift_1d((1,) * self.rank)  # strides and dilation of the 1x1 pointwise step

    def build(self, input_shape):
        in_channels = self._build_input(input_shape, need_channels=True)  # Keras' separable conv refuses none
        self._check_output_size(input_shape)
        self._add_depthwise_kernel("depthwise_kernel", in_channels)
        # torch layout (filters, in * multiplier, 1, ...) -> Keras layout (1, ..., in * multiplier, filters)
        to_keras = tuple(range(2, self.rank + 2)) + (1, 0)
        self.add_weight("pointwise_kernel", (1,) * self.rank + (in_channels * self.depth_multiplier, self.filters),
                        self.pointwise_initializer, regularizer=self.pointwise_regularizer,
                        constraint=self.pointwise_constraint, to_keras=to_keras)
        if self.data_format == "channels_last":
            # As BaseConv: else torch's CPU convolution copies the kernel to the input's memory format per call.
            self.pointwise_kernel.data = _channels_last_memory(self.pointwise_kernel.data)
        self._add_bias(self.filters)

    def forward(self, inputs):
        pads = self._checked_paddings(inputs.shape)
        x = to_channels_first(inputs, self.data_format)
        y = self._depthwise(x, self.read_weight(self.depthwise_kernel), None, pads)
        pointwise, bias = self.read_weight(self.pointwise_kernel), self.read_weight(self.bias)
        pointwise = pointwise.unsqueeze(2) if self.rank == 1 else pointwise
        if self.data_format == "channels_last" and pointwise_gemm_wins(y, y.shape[1]):
            outputs = pointwise_conv_channels_last(from_channels_first(y, self.data_format, self.rank), pointwise, bias)
        else:
            no_padding = ((0, 0),) * len(self._unit_window)
            y = conv(y, pointwise, bias, self._unit_window, no_padding, self._unit_window)
            outputs = from_channels_first(y, self.data_format, self.rank)
        return self.add_activity_loss(self.activation(outputs))

    def _output_channels(self, in_channels: int) -> int:
        return self.filters

    def get_config(self):
        config = super().get_config()
        config["filters"] = self.filters
        config.update(self._identifier_config("pointwise_initializer", "pointwise_regularizer",
                                              "pointwise_constraint"))
        return config
