"""Numpy references for depthwise, separable and transposed convolutions, where Keras/TensorFlow on
CPU refuses to run (channels_first or dilated transposed convolutions: "Conv2DCustomBackpropInputOp
only supports NHWC", "Current CPU implementations do not support dilations") or has the bias bug of
`numpy_refs.keras_add_takes_bias_add_path`.

Written from the definitions with explicit loops, independently of `torchkeras_layers/ops`:
depthwise = a grouped convolution with one group per input channel (output channel ``c * M + m``),
separable = depthwise then a 1x1 convolution, and TensorFlow's transposed convolution = the adjoint
of the forward convolution of an input of Keras' output size (TF SAME padding for 'same'). Arrays
are in the layer's Keras layout.
"""

from __future__ import annotations

import itertools

import numpy as np

from . import numpy_refs
from .numpy_refs_pooling import _from_channels_last, _to_channels_last, _tuple, conv, tf_same_pads

_ACTIVATIONS = {"linear": lambda v: v, "relu": lambda v: np.maximum(v, 0), "tanh": np.tanh}


def conv_output_size(n, k, s, d, padding):
    """Forward (depthwise/separable) convolution output length: ceil(n/s) for 'same'."""
    if padding == "same":
        return -(-n // s)
    return (n - (k - 1) * d - 1) // s + 1


def transpose_output_size(n, k, s, d, padding, output_padding):
    """Keras' `compute_conv_transpose_output_shape` for one axis."""
    span = (k - 1) * d + 1
    if padding == "valid":
        extra = max(span, s) - span if output_padding is None else output_padding
        return (n - 1) * s + span + extra
    if output_padding is None:
        return n * s
    return (n - 1) * s + span % 2 + output_padding


def keras_bias_bug(data_format, use_bias, output_shape) -> bool:
    """Keras 3.15 (TF backend) adds a channels_first bias of shape (1, C, 1, ...) through
    `tf.nn.bias_add(..., "NHWC")` when the output's last axis also has length C (see
    `numpy_refs.keras_add_takes_bias_add_path`): those configurations use the numpy references."""
    if data_format != "channels_first" or not use_bias:
        return False
    channels = output_shape[1]
    bias_shape = (1, channels) + (1,) * (len(output_shape) - 2)
    return numpy_refs.keras_add_takes_bias_add_path(tuple(output_shape), bias_shape)


def depthwise_conv(config, args, kwargs, weights):
    """`weights`: Keras' [kernel (*k, C, M), bias (C*M,)?]; as `conv` with groups=C."""
    kernel = np.asarray(weights[0], np.float64)
    *k, channels, multiplier = kernel.shape
    grouped = kernel.reshape(*k, 1, channels * multiplier)
    new = {**config, "groups": channels}
    return conv(new, args, kwargs, [grouped] + list(weights[1:]))


def separable_conv(config, args, kwargs, weights):
    """`weights`: Keras' [depthwise_kernel, pointwise_kernel (1.., C*M, F), bias (F,)?]."""
    depthwise = depthwise_conv({**config, "use_bias": False, "activation": "linear"}, args, kwargs, weights[:1])
    rank = np.asarray(args[0]).ndim - 2
    pointwise = {**config, "kernel_size": (1,) * rank, "strides": 1, "dilation_rate": 1, "padding": "valid",
                 "groups": 1}
    return conv(pointwise, [depthwise], kwargs, list(weights[1:]))


def conv_transpose(config, args, kwargs, weights):
    """TensorFlow's transposed convolution: input cell i, tap t writes to output cell
    ``i * s + t * d - lo``, where ``lo`` is the leading TF SAME padding of the forward convolution of
    an input of the output's size (0 for 'valid'); cells outside the output are dropped.
    `weights`: Keras' [kernel (*k, F, C), bias (F,)?]."""
    x = np.asarray(args[0], np.float64)
    rank = x.ndim - 2
    data_format = config.get("data_format") or "channels_last"
    kernel = np.asarray(weights[0], np.float64)
    ks = kernel.shape[:rank]
    filters = kernel.shape[rank]
    strides = _tuple(config.get("strides", 1), rank)
    dilation = _tuple(config.get("dilation_rate", 1), rank)
    output_padding = config.get("output_padding")
    output_padding = (None,) * rank if output_padding is None else _tuple(output_padding, rank)
    padding = str(config.get("padding", "valid")).lower()
    xl = _to_channels_last(x, data_format)
    spatial = xl.shape[1:-1]
    outs = [transpose_output_size(n, k, s, d, padding, op)
            for n, k, s, d, op in zip(spatial, ks, strides, dilation, output_padding)]
    los = [tf_same_pads(o, k, s, d)[0] if padding == "same" else 0 for o, k, s, d in zip(outs, ks, strides, dilation)]
    out = np.zeros((xl.shape[0], *outs, filters))
    for pos in itertools.product(*[range(n) for n in spatial]):
        vals = xl[(slice(None), *pos)]  # (B, C)
        for tap in itertools.product(*[range(k) for k in ks]):
            idx = tuple(p * s + t * d - lo for p, s, t, d, lo in zip(pos, strides, tap, dilation, los))
            if all(0 <= i < o for i, o in zip(idx, outs)):
                out[(slice(None), *idx)] += vals @ kernel[tap].T  # kernel[tap]: (F, C)
    if config.get("use_bias", True):
        out = out + np.asarray(weights[1], np.float64)
    out = _ACTIVATIONS[config.get("activation") or "linear"](out)
    return _from_channels_last(out, data_format)
