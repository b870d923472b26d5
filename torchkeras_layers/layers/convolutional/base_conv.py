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
from ...ops.convolution import conv, pointwise_conv_channels_last, pointwise_gemm_wins
from ...ops.layout import from_channels_first, to_channels_first
from ..lora import LoRAMixin
from .base_window_conv import BaseWindowConv


class BaseConv(LoRAMixin, BaseWindowConv, registered=False):
    """Abstract N-D convolution: ``activation(cross_correlate(x, kernel) + bias)``.

    `padding="same"` is TensorFlow's (extra unit at the end, depending on the input size when a stride
    is > 1); `"causal"` (rank 1 only) left-pads ``dilation * (kernel - 1)``. LoRA (`lora_rank`) adds
    ``(lora_alpha / lora_rank) * lora_kernel_a @ lora_kernel_b`` to the frozen kernel, as Keras does.
    """

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
        if isinstance(filters, bool) or not isinstance(filters, int) or filters <= 0:
            raise self._arg_error("filters", "must be a strictly positive integer", filters)
        if isinstance(groups, bool) or not isinstance(groups, int) or groups <= 0:
            raise self._arg_error("groups", "must be a positive integer", groups)
        if filters % groups:
            raise self._arg_error("filters", f"must be evenly divisible by `groups` ({groups})", filters)
        self.filters = filters
        self.groups = groups
        self._set_window_args(kernel_size, strides, padding, data_format, dilation_rate, allow_causal=self.rank == 1)
        self._reject_strided_dilation()
        self.use_bias = bool(use_bias)
        self._set_identifiers(
            activation=activation, kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
        )
        self._init_lora(lora_rank, lora_alpha)

    # ------------------------------------------------------------------ build
    def build(self, input_shape):
        input_shape = tuple(input_shape)
        in_channels = self._build_input(input_shape, need_channels=True)
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
        self._add_bias(self.filters)
        # A 1x1, stride-1, ungrouped convolution of channels-last inputs is a GEMM over the positions.
        self._pointwise = (self.data_format == "channels_last" and self.groups == 1
                           and set(self.kernel_size) == {1} and set(self.strides) == {1})
        self.built = True
        self._maybe_enable_lora()

    def forward(self, inputs):
        pads = self._checked_paddings(inputs.shape)
        kernel, bias = self.effective_kernel(), self.read_weight(self.bias)
        if self._pointwise and pointwise_gemm_wins(inputs, inputs.shape[-1]):
            outputs = pointwise_conv_channels_last(inputs, kernel, bias)
        else:
            if self.rank == 1:  # run as 2-D over a unit height axis (see ops/layout.py)
                kernel = kernel.unsqueeze(2)
                pads = ((0, 0),) + pads
            x = to_channels_first(inputs, self.data_format)
            y = conv(x, kernel, bias, self._op_strides, pads, self._op_dilation, self.groups)
            outputs = from_channels_first(y, self.data_format, self.rank)
        if self.activation is not None:  # Keras allows `layer.activation = None` after construction
            outputs = self.activation(outputs)
        return self.add_activity_loss(outputs)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        return self._output_shape(input_shape, self.filters, self._output_spatial(input_shape))

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
