"""`SimpleRNN`: SimpleRNNCell over time (the Python loop: torch's fused RNN has no Keras-free bias split)."""

from __future__ import annotations

from ..base import InputSpec
from ._cell_layer import cell_layer_config, delegate_to_cell
from .rnn import RNN
from .simple_rnn_cell import SimpleRNNCell

_CELL_ARGS = ("units", "activation", "use_bias", "kernel_initializer", "recurrent_initializer", "bias_initializer",
              "kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "kernel_constraint",
              "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout")


class SimpleRNN(RNN):
    """Keras `SimpleRNN`. Weights are the cell's (`simple_rnn_cell/kernel`, `recurrent_kernel`, `bias`)."""

    def __init__(
        self,
        units,
        activation="tanh",
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
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        seed=None,
        **kwargs,
    ):
        cell = SimpleRNNCell(
            units, activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint, dropout=dropout,
            recurrent_dropout=recurrent_dropout, seed=seed, dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True), name="simple_rnn_cell",
        )
        # Keras 3.15's SimpleRNN takes `activity_regularizer` and drops it (no loss, None in its config);
        # so does this port, so that a converted model trains as the Keras one does.
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll, **kwargs)
        self.input_spec = InputSpec(ndim=3)

    @property
    def seed(self):
        return self.cell.seed

    def get_config(self):
        config = cell_layer_config(self)
        del config["seed"]  # Keras' SimpleRNN config has no seed (its cell's has)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)


delegate_to_cell(SimpleRNN, _CELL_ARGS)

__all__ = ["SimpleRNN"]
