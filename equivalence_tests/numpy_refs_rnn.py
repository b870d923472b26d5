"""Numpy reference for ConvLSTM1D/2D in channels_first, which Keras cannot run on CPU (TensorFlow's CPU
Conv2D "only supports the NHWC tensor format"; ConvLSTM3D runs through XLA and is compared with Keras).

Written from Keras' `ConvLSTMCell.call` and `backend.rnn` (keras/src/layers/rnn/conv_lstm.py,
keras/src/backend/tensorflow/rnn.py), independently of `torchkeras_layers`: per timestep, gates
``z = conv(x_t, kernel) + bias + conv(h, recurrent_kernel)`` (recurrent conv: stride 1, TF 'same'),
blocks i, f, c, o; a masked step keeps the states and repeats the previous output (zeros before the
first valid one); `go_backwards` reads the sequence from its end. The convolutions are the explicit
loops of `numpy_refs_pooling.conv`. Default activations only (tanh, sigmoid).
"""

from __future__ import annotations

import numpy as np

from .numpy_refs_pooling import conv


def _sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def conv_lstm(config, args, kwargs, weights):
    """`weights`: Keras' [kernel (*k, C, 4F), recurrent_kernel (*k, F, 4F), bias (4F,)?]."""
    channels_first = config.get("data_format") == "channels_first"
    x = np.asarray(args[0], np.float64)
    if channels_first:
        x = np.moveaxis(x, 2, -1)  # (B, T, *spatial, C)
    kernel, recurrent_kernel = np.asarray(weights[0], np.float64), np.asarray(weights[1], np.float64)
    bias = np.asarray(weights[2], np.float64) if config.get("use_bias", True) else 0.0
    filters = kernel.shape[-1] // 4
    window = {"strides": config.get("strides", 1), "padding": config.get("padding", "valid"),
              "dilation_rate": config.get("dilation_rate", 1), "use_bias": False, "activation": None}
    recurrent = {"strides": 1, "padding": "same", "dilation_rate": 1, "use_bias": False, "activation": None}
    steps = list(range(x.shape[1]))[:: -1 if config.get("go_backwards") else 1]
    projected = [conv(window, [x[:, t]], {}, [kernel]) + bias for t in steps]

    if kwargs.get("initial_state") is not None:
        h, c = (np.asarray(s, np.float64) for s in kwargs["initial_state"])
        if channels_first:
            h, c = np.moveaxis(h, 1, -1), np.moveaxis(c, 1, -1)
    else:
        h = c = np.zeros(projected[0].shape[:-1] + (filters,))
    mask = kwargs.get("mask")
    previous = np.zeros_like(h)
    outputs = []
    for t, z_x in zip(steps, projected):
        z = z_x + conv(recurrent, [h], {}, [recurrent_kernel])
        z_i, z_f, z_c, z_o = np.split(z, 4, axis=-1)
        c_new = _sigmoid(z_f) * c + _sigmoid(z_i) * np.tanh(z_c)
        h_new = _sigmoid(z_o) * np.tanh(c_new)
        if mask is None:
            h, c, output = h_new, c_new, h_new
        else:
            keep = np.asarray(mask[:, t], bool).reshape((-1,) + (1,) * (h.ndim - 1))
            zeros = np.zeros_like(h_new)
            output = np.where(keep, h_new, zeros if config.get("zero_output_for_mask") else previous)
            h, c = np.where(keep, h_new, h), np.where(keep, c_new, c)
            previous = output
        outputs.append(output)

    def layout(y, channel_axis):
        return np.moveaxis(y, -1, channel_axis) if channels_first else y

    result = layout(np.stack(outputs, axis=1), 2) if config.get("return_sequences") else layout(outputs[-1], 1)
    if config.get("return_state"):
        return [result, layout(h, 1), layout(c, 1)]
    return result
