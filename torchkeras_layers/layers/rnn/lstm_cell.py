"""`LSTMCell`: one LSTM timestep, Keras' weight layout (gate blocks i, f, c, o)."""

from __future__ import annotations

import torch

from ... import activations
from .dropout_rnn_cell import DropoutRNNCell


class LSTMCell(DropoutRNNCell):
    """Keras `LSTMCell`. kernel (input_dim, 4 * units), recurrent_kernel (units, 4 * units), bias
    (4 * units), gate blocks in Keras' order i, f, c, o; states [h, c]."""

    gates = 4

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
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        implementation=2,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self._init_cell(units, dropout, recurrent_dropout, seed, implementation)
        self.use_bias = bool(use_bias)
        self.unit_forget_bias = bool(unit_forget_bias)
        self._set_identifiers(
            activation=activation,
            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
        )
        # `recurrent_activation` is an activation identifier too (the base class knows only `activation`).
        self.recurrent_activation = self._resolve(activations.get, "recurrent_activation", recurrent_activation)
        self.state_size = [units, units]

    def build(self, input_shape):
        input_dim = input_shape[-1]
        self.add_weight("kernel", (input_dim, 4 * self.units), self.kernel_initializer,
                        regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.add_weight("recurrent_kernel", (self.units, 4 * self.units), self.recurrent_initializer,
                        regularizer=self.recurrent_regularizer, constraint=self.recurrent_constraint)
        if self.use_bias:
            initializer = self._forget_bias_initializer if self.unit_forget_bias else self.bias_initializer
            self.add_weight("bias", (4 * self.units,), initializer,
                            regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        else:
            self.bias = None

    def _forget_bias_initializer(self, shape, dtype=None, device=None):
        """Keras' unit_forget_bias: the bias initializer for i, c, o and ones for the forget gate."""
        units = self.units
        return torch.cat([self.bias_initializer((units,), dtype=dtype, device=device),
                          torch.ones(units, dtype=dtype, device=device),
                          self.bias_initializer((2 * units,), dtype=dtype, device=device)])

    def recurrent_step(self, projected_input, states, recurrent_mask=None):
        h_tm1, c_tm1 = states[0], states[1]
        recurrent_kernel = self.read_weight(self.recurrent_kernel)
        if recurrent_mask is None:
            z = projected_input + h_tm1 @ recurrent_kernel
        else:
            blocks = recurrent_kernel.split(self.units, dim=1)
            seen = self._recurrent_inputs(h_tm1, recurrent_mask)
            z = projected_input + torch.cat([seen[g] @ blocks[g] for g in range(4)], dim=-1)
        z_i, z_f, z_c, z_o = z.split(self.units, dim=-1)
        i = self.recurrent_activation(z_i)
        f = self.recurrent_activation(z_f)
        c = f * c_tm1 + i * self.activation(z_c)
        o = self.recurrent_activation(z_o)
        h = o * self.activation(c)
        return h, [h, c]

    def get_config(self):
        return {
            **self._base_cell_config(),
            **self._identifier_config("activation"),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias,
            "unit_forget_bias": self.unit_forget_bias,
            **self._identifier_config("kernel_initializer", "recurrent_initializer", "bias_initializer",
                                      "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
                                      "kernel_constraint", "recurrent_constraint", "bias_constraint"),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }


__all__ = ["LSTMCell"]
