"""`BaseConv`: what Conv1D/2D/3D share (Keras' `BaseConv`), on torch's fused convolution kernels.

The kernel is stored in torch's layout ``(filters, in_channels / groups, *kernel_size)`` so that
``F.convNd`` reads it directly; ``get_weights``/``set_weights``, initializers (fans), regularizers and
constraints all see Keras' layout ``(*kernel_size, in_channels / groups, filters)`` through
``add_weight(..., to_keras=perm)``. Channels-last inputs reach the kernel as ``channels_last``-memory
views (see `ops/layout.py`), so neither the input nor the output is copied.
"""

from __future__ import annotations

import torch

from ... import activations, constraints, initializers, regularizers
from ...ops.convolution import conv
from ...ops.layout import from_channels_first, lift_1d, to_channels_first
from ...ops.padding import output_length, window_paddings
from ..arguments import standardize_data_format, standardize_padding, standardize_tuple
from ..base import InputSpec, Layer


class BaseConv(Layer):
    """Abstract N-D convolution: ``activation(cross_correlate(x, kernel) + bias)``.

    `padding="same"` is TensorFlow's (extra unit at the end, depending on the input size when a stride
    is > 1); `"causal"` (rank 1 only) left-pads ``dilation * (kernel - 1)``. LoRA (`lora_rank`) adds
    ``(lora_alpha / lora_rank) * lora_kernel_a @ lora_kernel_b`` to the frozen kernel, as Keras does.
    """

    rank: int  # set by subclasses

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
        if lora_rank is not None and (isinstance(lora_rank, bool) or not isinstance(lora_rank, int) or lora_rank <= 0):
            raise self._arg_error("lora_rank", "must be None or a positive integer", lora_rank)
        self.activation = self._resolve(activations.get, "activation", activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = self._resolve(initializers.get, "kernel_initializer", kernel_initializer)
        self.bias_initializer = self._resolve(initializers.get, "bias_initializer", bias_initializer)
        self.kernel_regularizer = self._resolve(regularizers.get, "kernel_regularizer", kernel_regularizer)
        self.bias_regularizer = self._resolve(regularizers.get, "bias_regularizer", bias_regularizer)
        self.kernel_constraint = self._resolve(constraints.get, "kernel_constraint", kernel_constraint)
        self.bias_constraint = self._resolve(constraints.get, "bias_constraint", bias_constraint)
        self.lora_rank = lora_rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else lora_rank
        self.lora_enabled = False
        self.input_spec = InputSpec(ndim=rank + 2)
        # Arguments of the torch op: 1-D convolutions run as 2-D ones over a unit height axis.
        self._op_kernel = lift_1d(self.kernel_size)
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
        if self.lora_rank:
            self.enable_lora(self.lora_rank, self.lora_alpha)

    # ------------------------------------------------------------------ LoRA
    def enable_lora(self, rank, lora_alpha=None, a_initializer="he_uniform", b_initializer="zeros"):
        name = f"{self.__class__.__name__} ({self.name!r})"
        if self.kernel_constraint is not None:
            raise ValueError(f"{name}: LoRA is incompatible with `kernel_constraint`; remove it to enable LoRA")
        if not self.built:
            raise ValueError(f"{name}: cannot enable LoRA on a layer that isn't yet built")
        if self.lora_enabled:
            raise ValueError(f"{name}: LoRA is already enabled; this can only be done once per layer")
        keras_kernel = self._weight_infos["kernel"].keras_shape
        self._pending_device = self.kernel.device
        # Keras keeps the LoRA factors in float32 (Keras layout; they are small).
        self.add_weight("lora_kernel_a", keras_kernel[:-1] + (rank,), a_initializer, dtype=torch.float32,
                        regularizer=self.kernel_regularizer)
        self.add_weight("lora_kernel_b", (rank, self.filters), b_initializer, dtype=torch.float32,
                        regularizer=self.kernel_regularizer)
        self._pending_device = None
        self.kernel.requires_grad_(False)
        self.lora_enabled = True
        self.lora_rank = rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else rank

    def _weight_trainable(self, info):
        return not (self.lora_enabled and info.name == "kernel")

    def effective_kernel(self) -> torch.Tensor:
        """The kernel the convolution uses, torch layout (LoRA delta added when enabled)."""
        if not self.lora_enabled:
            return self.kernel
        delta = (self.lora_alpha / self.lora_rank) * (self.lora_kernel_a @ self.lora_kernel_b)  # Keras layout
        to_torch = (self.rank + 1, self.rank) + tuple(range(self.rank))
        return self.kernel + delta.permute(*to_torch).to(self.kernel.dtype)

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

    def forward(self, inputs):
        self._check_output_size(inputs.shape)
        kernel = self.effective_kernel()
        pads = self._paddings(self._spatial_shape(inputs.shape))
        if self.rank == 1:  # run as 2-D over a unit height axis (see ops/layout.py)
            kernel = kernel.unsqueeze(2)
            pads = ((0, 0),) + pads
        x = to_channels_first(inputs, self.data_format)
        y = conv(x, kernel, self.bias, self._op_strides, pads, self._op_dilation, self.groups)
        outputs = from_channels_first(y, self.data_format, self.rank)
        return self.add_activity_loss(self.activation(outputs))

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
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }
        if self.lora_rank:
            config["lora_rank"] = self.lora_rank
            config["lora_alpha"] = self.lora_alpha
        return config


def _channels_last_memory(kernel: torch.Tensor) -> torch.Tensor:
    """The same (filters, in/groups, *k) tensor with the input-channel axis innermost in memory."""
    order = (0, *range(2, kernel.dim()), 1)  # (filters, *k, in/groups) in memory
    inverse = [order.index(i) for i in range(kernel.dim())]
    return kernel.permute(*order).contiguous().permute(*inverse)
