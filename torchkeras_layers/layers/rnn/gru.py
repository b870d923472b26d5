"""`GRU`: GRUCell over time; torch's fused GRU kernel where it computes Keras' numbers (reset_after=True)."""

from __future__ import annotations

import torch

from ...ops.recurrent import packed_gru, uses_packed_backward
from ..base import InputSpec
from ._cell_layer import FusedRNN, cell_layer_config, delegate_to_cell
from .gru_cell import GRUCell

_CELL_ARGS = ("units", "activation", "recurrent_activation", "use_bias", "kernel_initializer",
              "recurrent_initializer", "bias_initializer", "kernel_regularizer", "recurrent_regularizer",
              "bias_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout",
              "recurrent_dropout", "reset_after")


class GRU(FusedRNN):
    """Keras `GRU`. Weights are the cell's (`gru_cell/kernel`, `recurrent_kernel`, `bias`). torch's GRU
    is Keras' reset_after=True formula with gate blocks r, z, n instead of z, r, h: the fused kernel
    reads the weights with the first two blocks swapped (one `torch.cat` of views per call)."""

    def __init__(
        self,
        units,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
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
        reset_after=True,
        use_cudnn="auto",
        **kwargs,
    ):
        cell = GRUCell(
            units, activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
            reset_after=reset_after, dtype=kwargs.get("dtype"), trainable=kwargs.get("trainable", True),
            name="gru_cell", seed=seed, implementation=kwargs.pop("implementation", 2),
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

    def fused_supported(self) -> bool:
        return super().fused_supported() and self.cell.reset_after

    def fused_loop(self, sequences, states, batch_sizes=None):
        cell = self.cell
        units = cell.units
        kernel, recurrent_kernel = cell.read_weight(cell.kernel), cell.read_weight(cell.recurrent_kernel)
        bias = cell.read_weight(cell.bias) if cell.use_bias else None
        if batch_sizes is not None and uses_packed_backward(sequences, kernel, recurrent_kernel, bias):
            outputs, h = packed_gru(sequences, batch_sizes, states[0], kernel, recurrent_kernel,
                                    *(bias.unbind(0) if bias is not None else ()))
            return outputs, [h]

        def torch_order(weight):  # Keras blocks z, r, h -> torch's r, z, n
            return torch.cat([weight[..., units: 2 * units], weight[..., :units], weight[..., 2 * units:]], dim=-1)

        params = [torch_order(kernel).T, torch_order(recurrent_kernel).T]
        if bias is not None:
            bias = torch_order(bias)
            params += [bias[0], bias[1]]
        hx = states[0].unsqueeze(0)
        if batch_sizes is None:
            outputs, h = torch.gru(sequences, hx, params, cell.use_bias, 1, 0.0, False, False, True)
        else:  # packed data: (steps of every row, features), `batch_sizes` rows at each step
            outputs, h = torch.gru(sequences, batch_sizes, hx, params, cell.use_bias, 1, 0.0, False, False)
        return outputs, [h[0]]

    def get_config(self):
        return cell_layer_config(self)

    @classmethod
    def from_config(cls, config):
        return cls(**config)


delegate_to_cell(GRU, _CELL_ARGS)

__all__ = ["GRU"]
