"""`BaseConv`: what Conv1D/2D/3D share (Keras' `BaseConv`), on torch's fused convolution kernels.

The kernel is stored in torch's layout ``(filters, in_channels / groups, *kernel_size)`` so that
``F.convNd`` reads it directly; ``get_weights``/``set_weights``, initializers (fans), regularizers and
constraints all see Keras' layout ``(*kernel_size, in_channels / groups, filters)`` through
``add_weight(..., to_keras=perm)``. Channels-last inputs reach the kernel as ``channels_last``-memory
views (see `ops/layout.py`), so neither the input nor the output is copied.
"""

from __future__ import annotations

import torch

from ... import regularizers
from ...ops.convolution import conv
from ...ops.layout import from_channels_first, lift_1d, to_channels_first
from ...ops.padding import output_length, window_paddings
from ..arguments import standardize_data_format, standardize_padding, standardize_tuple
from ..base import FLOATING, InputSpec, Layer
from ..lora import LoRAMixin


class BaseConv(LoRAMixin, Layer, registered=False):
    """Abstract N-D convolution: ``activation(cross_correlate(x, kernel) + bias)``.

    `padding="same"` is TensorFlow's (extra unit at the end, depending on the input size when a stride
    is > 1); `"causal"` (rank 1 only) left-pads ``dilation * (kernel - 1)``. LoRA (`lora_rank`) adds
    ``(lora_alpha / lora_rank) * lora_kernel_a @ lora_kernel_b`` to the frozen kernel, as Keras does.
    """

    rank: int  # set by subclasses
    # Keras' convolutions take floating input only (TensorFlow refuses to cast the float kernel to an integer input)
    input_dtypes = FLOATING

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
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
        lora_rank=None,
        lora_alpha=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        rank = self.rank
        if isinstance(filters, bool) or not isinstance(filters, int) or filters <= 0:
            raise self._arg_error("filters", "must be a strictly positive integer", filters)
        if isinstance(groups, bool) or not isinstance(groups, int) or groups <= 0:
            raise self._arg_error("groups", "must be a positive integer", groups)
        if filters % groups:
            raise self._arg_error("filters", f"must be evenly divisible by `groups` ({groups})", filters)
        self.filters = filters
        self.groups = groups
        self.kernel_size = standardize_tuple(self, kernel_size, rank, "kernel_size")
        self.strides = standardize_tuple(self, strides, rank, "strides")
        self.dilation_rate = standardize_tuple(self, dilation_rate, rank, "dilation_rate")
        self.padding = standardize_padding(self, padding, allow_causal=rank == 1)
        self.data_format = standardize_data_format(self, data_format)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise self._arg_error(
                "strides", f"> 1 is not supported together with `dilation_rate` > 1 ({self.dilation_rate})", self.strides
            )
        self.use_bias = bool(use_bias)
        self._set_identifiers(
            activation=activation, kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
        )
        self._init_lora(lora_rank, lora_alpha)
        self.input_spec = InputSpec(ndim=rank + 2)
        # Arguments of the torch op: 1-D convolutions run as 2-D ones over a unit height axis.
        self._op_strides = lift_1d(self.strides)
        self._op_dilation = lift_1d(self.dilation_rate)

    # ------------------------------------------------------------------ build
    @property
    def _channel_axis(self) -> int:
        return -1 if self.data_format == "channels_last" else 1

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) != self.rank + 2:
            raise ValueError(
                f"{self.__class__.__name__} ({self.name!r}): expected an input of rank {self.rank + 2} "
                f"(batch, spatial..., channels), received shape {input_shape}"
            )
        in_channels = input_shape[self._channel_axis]
        if in_channels is None:
            raise ValueError(f"{self.__class__.__name__} ({self.name!r}): the channel axis of the input must be known to build; got {input_shape}")
        if in_channels == 0:  # TensorFlow's convolution refuses a kernel without elements
            raise ValueError(f"{self.__class__.__name__} ({self.name!r}): the input must have at least one channel; "
                             f"received input shape {input_shape}")
        if in_channels % self.groups:
            raise ValueError(
                f"{self.__class__.__name__} ({self.name!r}): argument `groups` ({self.groups}) must evenly divide "
                f"the number of input channels; received input shape {input_shape} with {in_channels} channels"
            )
        self._check_output_size(input_shape)
        keras_kernel = self.kernel_size + (in_channels // self.groups, self.filters)
        # torch layout (filters, in/groups, *k) -> Keras layout (*k, in/groups, filters)
        to_keras = tuple(range(2, self.rank + 2)) + (1, 0)
        self.add_weight("kernel", keras_kernel, self.kernel_initializer, regularizer=self.kernel_regularizer,
                        constraint=self.kernel_constraint, to_keras=to_keras)
        if self.data_format == "channels_last":
            # Channels-last memory for the kernel too, else torch's CPU convolution copies it to match
            # the channels-last input on every call. Shape and state_dict are unchanged.
            self.kernel.data = _channels_last_memory(self.kernel.data)
        if self.use_bias:
            self.add_weight("bias", (self.filters,), self.bias_initializer, regularizer=self.bias_regularizer,
                            constraint=self.bias_constraint)
        else:
            self.bias = None
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: in_channels})
        self.built = True
        self._maybe_enable_lora()

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

    def forward(self, inputs):
        self._check_output_size(inputs.shape)
        kernel = self.effective_kernel()
        pads = self._paddings(self._spatial_shape(inputs.shape))
        if self.rank == 1:  # run as 2-D over a unit height axis (see ops/layout.py)
            kernel = kernel.unsqueeze(2)
            pads = ((0, 0),) + pads
        x = to_channels_first(inputs, self.data_format)
        y = conv(x, kernel, self.read_weight(self.bias), self._op_strides, pads, self._op_dilation, self.groups)
        outputs = from_channels_first(y, self.data_format, self.rank)
        if self.activation is not None:  # Keras allows `layer.activation = None` after construction
            outputs = self.activation(outputs)
        return self.add_activity_loss(outputs)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        spatial = self._spatial_shape(input_shape)
        known = tuple(1 if n is None else n for n in spatial)  # TF SAME padding needs a size; unused when None
        pads = self._paddings(known)
        out = [None if n is None else output_length(n, k, s, p, d)
               for n, k, s, d, p in zip(spatial, self.kernel_size, self.strides, self.dilation_rate, pads)]
        if self.data_format == "channels_last":
            return (input_shape[0], *out, self.filters)
        return (input_shape[0], self.filters, *out)

    def get_config(self):
        config = {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "groups": self.groups,
            **self._identifier_config("activation"),
            "use_bias": self.use_bias,
            **self._identifier_config("kernel_initializer", "bias_initializer", "kernel_regularizer",
                                      "bias_regularizer"),
            # Keras' conv config always carries activity_regularizer (None included).
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            **self._identifier_config("kernel_constraint", "bias_constraint"),
        }
        config.update(self._lora_config())
        return config


def _channels_last_memory(kernel: torch.Tensor) -> torch.Tensor:
    """The same (filters, in/groups, *k) tensor with the input-channel axis innermost in memory."""
    order = (0, *range(2, kernel.dim()), 1)  # (filters, *k, in/groups) in memory
    inverse = [order.index(i) for i in range(kernel.dim())]
    return kernel.permute(*order).contiguous().permute(*inverse)
