"""`ConvLSTM3D`: an LSTM whose input and recurrent transformations are 3-D convolutions."""

from __future__ import annotations

from ._conv_lstm import ConvLSTM


class ConvLSTM3D(ConvLSTM):
    """Keras `ConvLSTM3D`: inputs (samples, time, *spatial_dims, channels),
    or (samples, time, channels, *spatial_dims) with `data_format="channels_first"`;
    kernel (*kernel_size, channels, 4 * filters), recurrent_kernel
    (*kernel_size, filters, 4 * filters), bias (4 * filters), gate blocks i, f, c, o."""

    rank = 3


__all__ = ["ConvLSTM3D"]
