"""`ConvLSTM1D`: an LSTM whose input and recurrent transformations are 1-D convolutions."""

from __future__ import annotations

from ._conv_lstm import ConvLSTM


class ConvLSTM1D(ConvLSTM):
    """Keras `ConvLSTM1D`: inputs (samples, time, rows, channels),
    or (samples, time, channels, rows) with `data_format="channels_first"`;
    kernel (*kernel_size, channels, 4 * filters), recurrent_kernel
    (*kernel_size, filters, 4 * filters), bias (4 * filters), gate blocks i, f, c, o."""

    rank = 1


__all__ = ["ConvLSTM1D"]
