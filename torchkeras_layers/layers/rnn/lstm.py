"""`LSTM`: LSTMCell over time; torch's fused LSTM kernel where it computes Keras' numbers."""

from __future__ import annotations

import torch

from ...ops.recurrent import packed_lstm, uses_packed_backward
from ..base import InputSpec
from ._cell_layer import FusedRNN, cell_layer_config, delegate_to_cell
from .lstm_cell import LSTMCell

_CELL_ARGS = ("units", "activation", "recurrent_activation", "use_bias", "kernel_initializer",
              "recurrent_initializer", "bias_initializer", "unit_forget_bias", "kernel_regularizer",
              "recurrent_regularizer", "bias_regularizer", "kernel_constraint", "recurrent_constraint",
              "bias_constraint", "dropout", "recurrent_dropout")


class LSTM(FusedRNN):
    """Keras `LSTM`. Weights are the cell's (`lstm_cell/kernel`, `recurrent_kernel`, `bias`); states
    [h, c]. Keras' gate order i, f, c, o is torch's i, f, g, o, so the fused kernel reads the Keras
    weights through transposed views (no copy)."""

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        unit_forget_bias=True,
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        use_cudnn="auto",
        **kwargs,
    ):
        cell = LSTMCell(
            units, activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, unit_forget_bias=unit_forget_bias,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint, dropout=dropout,
            recurrent_dropout=recurrent_dropout, dtype=kwargs.get("dtype"), trainable=kwargs.get("trainable", True),
            name="lstm_cell", seed=seed, implementation=kwargs.pop("implementation", 2),
        )
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)
        if use_cudnn not in ("auto", True, False):
            raise self._arg_error("use_cudnn", "must be one of 'auto', True, False", use_cudnn)
        self.use_cudnn = use_cudnn
        self.input_spec = InputSpec(ndim=3)

    @property
    def seed(self):
        return self.cell.seed

    def fused_loop(self, sequences, states, batch_sizes=None):
        cell = self.cell
        kernel, recurrent_kernel = cell.read_weight(cell.kernel), cell.read_weight(cell.recurrent_kernel)
        bias = cell.read_weight(cell.bias) if cell.use_bias else None
        if batch_sizes is not None and uses_packed_backward(sequences, kernel, recurrent_kernel, bias):
            outputs, h, c = packed_lstm(sequences, batch_sizes, *states, kernel, recurrent_kernel, bias)
            return outputs, [h, c]
        params = [kernel.T, recurrent_kernel.T]
        if bias is not None:
            params += [bias, torch.zeros_like(bias)]
        if torch.compiler.is_compiling():
            # Inductor's freezing (inference) repacks torch.lstm's weights for oneDNN and misreads transposed
            # views: outputs off by ~0.8 in torch 2.13. Traced graphs take contiguous copies, which freezing
            # folds into its constants; eager calls keep the views (torch's kernel reads them correctly).
            params = [p.contiguous() for p in params]
        hx = [state.unsqueeze(0) for state in states]
        if batch_sizes is None:
            outputs, h, c = torch.lstm(sequences, hx, params, cell.use_bias, 1, 0.0, False, False, True)
        else:  # packed data: (steps of every row, features), `batch_sizes` rows at each step
            outputs, h, c = torch.lstm(sequences, batch_sizes, hx, params, cell.use_bias, 1, 0.0, False, False)
        return outputs, [h[0], c[0]]

    def get_config(self):
        return cell_layer_config(self)

    @classmethod
    def from_config(cls, config):
        return cls(**config)


delegate_to_cell(LSTM, _CELL_ARGS)

__all__ = ["LSTM"]
