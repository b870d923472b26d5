"""`ConvLSTM2D`: an LSTM whose input and recurrent transformations are 2-D convolutions."""

from __future__ import annotations

from ._conv_lstm import ConvLSTM


class ConvLSTM2D(ConvLSTM):
    """Keras `ConvLSTM2D`: inputs (samples, time, rows, cols, channels),
    or (samples, time, channels, rows, cols) with `data_format="channels_first"`;
    kernel (*kernel_size, channels, 4 * filters), recurrent_kernel
    (*kernel_size, filters, 4 * filters), bias (4 * filters), gate blocks i, f, c, o."""

    rank = 2


__all__ = ["ConvLSTM2D"]
