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
from ...ops.layout import from_channels_first, lift_1d, to_channels_first
from ...ops.padding import output_length, window_paddings
from ..arguments import positive_int, standardize_data_format, standardize_padding, standardize_tuple
from ..base import FLOATING, InputSpec, Layer


class BaseDepthwiseConv(Layer, registered=False):
    """Abstract N-D depthwise convolution: ``activation(depthwise(x, kernel) + bias)``.

    `padding="same"` is TensorFlow's (extra unit at the end). Unlike `Conv*D`, `strides > 1` together
    with `dilation_rate > 1` is allowed (Keras 3.15 computes it as a dilated convolution subsampled).
    """

    rank: int  # set by subclasses
    # Keras' convolutions take floating input only (TensorFlow refuses to cast the float kernel to an integer input)
    input_dtypes = FLOATING

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

    def _set_window_args(self, kernel_size, strides, padding, data_format, dilation_rate) -> None:
        rank = self.rank
        self.kernel_size = standardize_tuple(self, kernel_size, rank, "kernel_size")
        self.strides = standardize_tuple(self, strides, rank, "strides")
        self.dilation_rate = standardize_tuple(self, dilation_rate, rank, "dilation_rate")
        self.padding = standardize_padding(self, padding)
        self.data_format = standardize_data_format(self, data_format)
        self.input_spec = InputSpec(ndim=rank + 2)
        # Arguments of the torch op: 1-D convolutions run as 2-D ones over a unit height axis.
        self._op_strides = lift_1d(self.strides)
        self._op_dilation = lift_1d(self.dilation_rate)

    # ------------------------------------------------------------------ build
    @property
    def _channel_axis(self) -> int:
        return -1 if self.data_format == "channels_last" else 1

    def _build_input(self, input_shape) -> int:
        """Validate the build shape, fix the channel axis in the input spec; the input channel count."""
        input_shape = tuple(input_shape)
        if len(input_shape) != self.rank + 2:
            raise ValueError(
                f"{self.__class__.__name__} ({self.name!r}): expected an input of rank {self.rank + 2} "
                f"(batch, spatial..., channels), received shape {input_shape}"
            )
        in_channels = input_shape[self._channel_axis]
        if in_channels is None:
            raise ValueError(f"{self.__class__.__name__} ({self.name!r}): the channel axis of the input must be "
                             f"known to build; got {input_shape}")
        self._check_output_size(input_shape)
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: in_channels})
        return in_channels

    def _add_depthwise_kernel(self, name: str, in_channels: int) -> None:
        # stored (in, multiplier, *k) -> Keras layout (*k, in, multiplier)
        to_keras = tuple(range(2, self.rank + 2)) + (0, 1)
        self.add_weight(name, self.kernel_size + (in_channels, self.depth_multiplier), self.depthwise_initializer,
                        regularizer=self.depthwise_regularizer, constraint=self.depthwise_constraint,
                        to_keras=to_keras)

    def _add_bias(self, units: int) -> None:
        if self.use_bias:
            self.add_weight("bias", (units,), self.bias_initializer, regularizer=self.bias_regularizer,
                            constraint=self.bias_constraint)
        else:
            self.bias = None

    def build(self, input_shape):
        in_channels = self._build_input(input_shape)
        self._add_depthwise_kernel("kernel", in_channels)
        self._add_bias(in_channels * self.depth_multiplier)

    # ------------------------------------------------------------------ forward
    def _spatial_shape(self, shape) -> tuple:
        return tuple(shape[1:-1]) if self.data_format == "channels_last" else tuple(shape[2:])

    def _paddings(self, spatial: tuple) -> tuple:
        return window_paddings(self.padding, spatial, self.kernel_size, self.strides, self.dilation_rate)

    def _check_output_size(self, input_shape) -> None:
        spatial = self._spatial_shape(input_shape)
        if any(n is None for n in spatial):
            return
        pads = self._paddings(spatial)
        for n, k, s, d, p in zip(spatial, self.kernel_size, self.strides, self.dilation_rate, pads):
            if output_length(n, k, s, p, d) <= 0:
                raise ValueError(
                    f"{self.__class__.__name__} ({self.name!r}): input of shape {tuple(input_shape)} is too small for "
                    f"`kernel_size`={self.kernel_size} with `dilation_rate`={self.dilation_rate} and "
                    f"padding={self.padding!r}: the output size would be zero or negative"
                )

    def _depthwise(self, x: torch.Tensor, kernel: torch.Tensor, bias: torch.Tensor | None, spatial: tuple):
        """Grouped convolution of a ``(N, C, *spatial)`` view (1-D lifted to 2-D) with the stored
        ``(C, M, *k)`` kernel."""
        in_channels = kernel.shape[0]
        weight = kernel.reshape(in_channels * self.depth_multiplier, 1, *self.kernel_size)  # a view
        pads = self._paddings(spatial)
        if self.rank == 1:  # run as 2-D over a unit height axis (see ops/layout.py)
            weight = weight.unsqueeze(2)
            pads = ((0, 0),) + pads
        return conv(x, weight, bias, self._op_strides, pads, self._op_dilation, in_channels)

    def forward(self, inputs):
        self._check_output_size(inputs.shape)
        x = to_channels_first(inputs, self.data_format)
        y = self._depthwise(x, self.read_weight(self.kernel), self.read_weight(self.bias),
                            self._spatial_shape(inputs.shape))
        outputs = from_channels_first(y, self.data_format, self.rank)
        return self.add_activity_loss(self.activation(outputs))

    def _output_channels(self, in_channels: int) -> int:
        return in_channels * self.depth_multiplier

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        spatial = self._spatial_shape(input_shape)
        known = tuple(1 if n is None else n for n in spatial)  # TF SAME padding needs a size; unused when None
        pads = self._paddings(known)
        out = [None if n is None else output_length(n, k, s, p, d)
               for n, k, s, d, p in zip(spatial, self.kernel_size, self.strides, self.dilation_rate, pads)]
        channels = input_shape[self._channel_axis]
        channels = None if channels is None else self._output_channels(channels)
        if self.data_format == "channels_last":
            return (input_shape[0], *out, channels)
        return (input_shape[0], channels, *out)

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

