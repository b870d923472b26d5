"""`BaseWindowConv`: what every convolution shares (BaseConv, BaseConvTranspose, BaseDepthwiseConv and,
through the latter, BaseSeparableConv): the window arguments, the channel axis, the build shape check and
the bias, with errors naming the layer and the argument."""

from __future__ import annotations

from ...ops.layout import lift_1d
from ...ops.padding import output_length, window_paddings
from ..arguments import standardize_data_format, standardize_padding, standardize_tuple
from ..base import FLOATING, InputSpec, Layer


class BaseWindowConv(Layer, registered=False):
    """Abstract N-D convolution over a sliding window; subclasses set `rank` and create their kernels."""

    rank: int  # set by subclasses
    # Keras' convolutions take floating input only (TensorFlow refuses to cast the float kernel to an integer input)
    input_dtypes = FLOATING

    def _set_window_args(self, kernel_size, strides, padding, data_format, dilation_rate, *,
                         allow_causal: bool = False) -> None:
        rank = self.rank
        self.kernel_size = standardize_tuple(self, kernel_size, rank, "kernel_size")
        self.strides = standardize_tuple(self, strides, rank, "strides")
        self.dilation_rate = standardize_tuple(self, dilation_rate, rank, "dilation_rate")
        self.padding = standardize_padding(self, padding, allow_causal=allow_causal)
        self.data_format = standardize_data_format(self, data_format)
        self.input_spec = InputSpec(ndim=rank + 2)
        # Arguments of the torch op: 1-D convolutions run as 2-D ones over a unit height axis.
        self._op_strides = lift_1d(self.strides)
        self._op_dilation = lift_1d(self.dilation_rate)

    def _reject_strided_dilation(self) -> None:
        """Keras' Conv and ConvTranspose (not the depthwise ones) refuse strides > 1 with dilation > 1."""
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise self._arg_error(
                "strides", f"> 1 is not supported together with `dilation_rate` > 1 ({self.dilation_rate})",
                self.strides,
            )

    @property
    def _channel_axis(self) -> int:
        return -1 if self.data_format == "channels_last" else 1

    def _spatial_shape(self, shape) -> tuple:
        return tuple(shape[1:-1]) if self.data_format == "channels_last" else tuple(shape[2:])

    def _build_input(self, input_shape, *, need_channels: bool = False) -> int:
        """Validate the build shape and fix the channel axis in the input spec; the input channel count.
        `need_channels`: an input without channels is refused (TensorFlow's kernel has no elements then)."""
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
        if need_channels and in_channels == 0:
            raise ValueError(f"{self.__class__.__name__} ({self.name!r}): the input must have at least one channel; "
                             f"received input shape {input_shape}")
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: in_channels})
        return in_channels

    def _add_bias(self, units: int) -> None:
        if self.use_bias:
            self.add_weight("bias", (units,), self.bias_initializer, regularizer=self.bias_regularizer,
                            constraint=self.bias_constraint)
        else:
            self.bias = None

    # ------------------------------------------------------------------ forward convolutions
    def _paddings(self, spatial: tuple) -> tuple:
        return window_paddings(self.padding, spatial, self.kernel_size, self.strides, self.dilation_rate)

    def _checked_paddings(self, input_shape) -> tuple:
        """The paddings of a forward call's input, after refusing one too small for the window."""
        spatial = self._spatial_shape(input_shape)

        def compute():
            self._check_output_size(input_shape)
            return self._paddings(spatial)
        return self._per_shape(spatial, compute)

    def _output_spatial(self, input_shape) -> list:
        """The output's spatial sizes of a forward convolution (None where the input's is unknown)."""
        spatial = self._spatial_shape(input_shape)
        known = tuple(1 if n is None else n for n in spatial)  # TF SAME padding needs a size; unused when None
        pads = self._paddings(known)
        return [None if n is None else output_length(n, k, s, p, d)
                for n, k, s, d, p in zip(spatial, self.kernel_size, self.strides, self.dilation_rate, pads)]

    def _check_output_size(self, input_shape) -> None:
        spatial = self._spatial_shape(input_shape)
        if any(n is None for n in spatial):
            return
        if any(n <= 0 for n in self._output_spatial(input_shape)):
            raise ValueError(
                f"{self.__class__.__name__} ({self.name!r}): input of shape {tuple(input_shape)} is too small for "
                f"`kernel_size`={self.kernel_size} with `dilation_rate`={self.dilation_rate} and "
                f"padding={self.padding!r}: the output size would be zero or negative"
            )

    def _output_shape(self, input_shape, channels, spatial) -> tuple:
        if self.data_format == "channels_last":
            return (input_shape[0], *spatial, channels)
        return (input_shape[0], channels, *spatial)
