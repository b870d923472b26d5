"""`BaseConvTranspose`: what Conv1D/2D/3DTranspose share (Keras' `BaseConvTranspose`), on torch's
``F.conv_transposeNd`` with TensorFlow's output-shape and cropping rules.

Keras' kernel is ``kernel_size + (filters, in_channels)``; it is stored in torch's layout
``(in_channels, filters, *kernel_size)`` (channels-last memory for channels-last layers, as
`BaseConv` stores its kernel), and get/set_weights, initializers (fans), regularizers and constraints
see Keras' layout through ``add_weight(..., to_keras=perm)``.

Output size per axis (Keras' `compute_conv_transpose_output_shape`, see
`ops.padding.transpose_output_length`); which window of the full ``(n - 1) * s + span`` output it is
follows TensorFlow (the gradient of a forward convolution of that size, `transpose_crop_start`).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ... import regularizers
from ...ops.convolution import conv_transpose
from ...ops.layout import from_channels_first, lift_1d, to_channels_first
from ...ops.padding import effective_kernel_size, transpose_crop_start, transpose_output_length
from ..arguments import positive_int, standardize_tuple
from .base_conv import _channels_last_memory
from .base_window_conv import BaseWindowConv


class BaseConvTranspose(BaseWindowConv, registered=False):
    """Abstract N-D transposed convolution: ``activation(conv_transpose(x, kernel) + bias)``."""

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        output_padding=None,
        data_format=None,
        dilation_rate=1,
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
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.filters = positive_int(self, "filters", filters)
        self._set_window_args(kernel_size, strides, padding, data_format, dilation_rate)
        self.output_padding = (None if output_padding is None else
                               standardize_tuple(self, output_padding, self.rank, "output_padding", allow_zero=True))
        if self.output_padding is not None and any(op >= s for op, s in zip(self.output_padding, self.strides)):
            raise self._arg_error("output_padding", f"must be strictly less than `strides` ({self.strides}) on "
                                  "every axis", self.output_padding)
        self._reject_strided_dilation()
        self.use_bias = bool(use_bias)
        self._set_identifiers(
            activation=activation, kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
        )

    # ------------------------------------------------------------------ build
    def build(self, input_shape):
        in_channels = self._build_input(input_shape)
        self._check_same_output_padding()
        # torch layout (in, filters, *k) -> Keras layout (*k, filters, in)
        to_keras = tuple(range(2, self.rank + 2)) + (1, 0)
        self.add_weight("kernel", self.kernel_size + (self.filters, in_channels), self.kernel_initializer,
                        regularizer=self.kernel_regularizer, constraint=self.kernel_constraint, to_keras=to_keras)
        if self.data_format == "channels_last":
            # Channels-last memory for the kernel too, else torch's CPU conv_transpose copies it
            # (aten::contiguous + copy_ in the profile) to match the channels-last input on every call.
            self.kernel.data = _channels_last_memory(self.kernel.data)
        self._add_bias(self.filters)

    def _check_same_output_padding(self) -> None:
        """TensorFlow computes a transposed convolution as the gradient of a forward one and requires
        that forward convolution to map the output size back to the input size. With padding='same'
        and an explicit `output_padding`, ``(n - 1) * s + span % 2 + op`` does so unless
        ``span % 2 + op == 0`` (an even kernel span with output_padding 0): Keras fails at the call."""
        if self.padding != "same" or self.output_padding is None:
            return
        for axis, (k, d, op) in enumerate(zip(self.kernel_size, self.dilation_rate, self.output_padding)):
            span = effective_kernel_size(k, d)
            if span % 2 + op == 0:
                raise ValueError(
                    f"{self.__class__.__name__} ({self.name!r}): `output_padding`={self.output_padding} with "
                    f"padding='same' and an even kernel span ({span} on axis {axis}) gives an output whose 'same' "
                    f"convolution does not have the input's size; TensorFlow rejects it. Use output_padding >= 1 "
                    f"on that axis or None"
                )

    # ------------------------------------------------------------------ forward
    def _output_sizes(self, spatial: tuple) -> tuple:
        paddings = self.output_padding if self.output_padding is not None else (None,) * self.rank
        return tuple(
            None if n is None else transpose_output_length(n, k, s, self.padding, op, d)
            for n, k, s, op, d in zip(spatial, self.kernel_size, self.strides, paddings, self.dilation_rate)
        )

    def forward(self, inputs):
        spatial = self._spatial_shape(inputs.shape)
        out_sizes = self._output_sizes(spatial)
        starts = tuple(transpose_crop_start(o, k, s, self.padding, d)
                       for o, k, s, d in zip(out_sizes, self.kernel_size, self.strides, self.dilation_rate))
        kernel, bias = self.read_weight(self.kernel), self.read_weight(self.bias)
        if self.rank == 1:  # run as 2-D over a unit height axis (see ops/layout.py)
            kernel = kernel.unsqueeze(2)
        x = to_channels_first(inputs, self.data_format)
        starts, out_sizes = _lift_starts(starts, self.rank), lift_1d(out_sizes)
        spans = lift_1d(tuple(effective_kernel_size(k, d) for k, d in zip(self.kernel_size, self.dilation_rate)))
        if x.numel() == 0:  # no input cell (or channel) reaches the output, which is the bias; torch refuses it
            y = _add_bias(x.new_zeros((x.shape[0], self.filters, *out_sizes)), bias)
        elif any(s > span for s, span in zip(self._op_strides, spans)):
            y = _add_bias(_spread_conv_transpose(x, kernel, self._op_strides, spans, starts, out_sizes,
                                                 self._op_dilation), bias)
        else:
            y = conv_transpose(x, kernel, bias, self._op_strides, starts, out_sizes, self._op_dilation)
        outputs = from_channels_first(y, self.data_format, self.rank)
        return self.add_activity_loss(self.activation(outputs))

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        return self._output_shape(input_shape, self.filters, self._output_sizes(self._spatial_shape(input_shape)))

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "output_padding": self.output_padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            **self._identifier_config("activation"),
            "use_bias": self.use_bias,
            **self._identifier_config("kernel_initializer", "bias_initializer", "kernel_regularizer",
                                      "bias_regularizer"),
            # Keras' config always carries activity_regularizer (None included).
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            **self._identifier_config("kernel_constraint", "bias_constraint"),
        }


def _lift_starts(starts: tuple, rank: int) -> tuple:
    """Crop starts of a 1-D op lifted to 2-D: nothing is cropped on the unit axis."""
    return (0,) + starts if rank == 1 else starts


def _add_bias(y: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    return y if bias is None else y + bias.view(-1, *(1,) * (y.dim() - 2))


def _spread_conv_transpose(x, kernel, strides, spans, starts, out_sizes, dilation) -> torch.Tensor:
    """The transposed convolution (without bias) when a stride exceeds the kernel span on some axis:
    the windows of neighbouring inputs do not overlap there, so it is computed with stride = span (the
    windows tiled) and the tiles spread apart with zeros. Torch's kernel is slower than linear in the
    stride (17 s for a 5-row input at stride 10000 on one CPU thread); this is linear in the output."""
    tiled = tuple(min(s, span) for s, span in zip(strides, spans))
    spatial = x.shape[2:]
    full_tiled = tuple((n - 1) * t + span for n, t, span in zip(spatial, tiled, spans))
    y = conv_transpose(x, kernel, None, tiled, (0,) * len(tiled), full_tiled, dilation)
    for axis, (n, s, span) in enumerate(zip(spatial, strides, spans), start=2):
        if s > span:
            y = y.unflatten(axis, (n, span))
            y = F.pad(y, (0, 0) * (y.dim() - axis - 2) + (0, s - span))
            y = y.flatten(axis, axis + 1).narrow(axis, 0, (n - 1) * s + span)
    for axis, (start, out) in enumerate(zip(starts, out_sizes), start=2):
        kept = min(out, y.shape[axis] - start)
        y = y.narrow(axis, start, kept)
        if kept < out:  # output_padding past the last window: zeros (then the bias)
            y = F.pad(y, (0, 0) * (y.dim() - axis - 1) + (0, out - kept))
    return y
