"""`GRUCell`: one GRU timestep, Keras' weight layout (gate blocks z, r, h), `reset_after` both ways."""

from __future__ import annotations

from ... import activations
from .dropout_rnn_cell import DropoutRNNCell


class GRUCell(DropoutRNNCell):
    """Keras `GRUCell`. kernel (input_dim, 3 * units), recurrent_kernel (units, 3 * units), gate blocks
    z, r, h; bias (3 * units), or (2, 3 * units) with `reset_after` (row 0 input bias, row 1 recurrent
    bias). h = z * h_tm1 + (1 - z) * hh."""

    gates = 3

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
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        reset_after=True,
        seed=None,
        implementation=2,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self._init_cell(units, dropout, recurrent_dropout, seed, implementation)
        self.use_bias = bool(use_bias)
        self.reset_after = bool(reset_after)
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
        self.state_size = units

    def build(self, input_shape):
        input_dim = input_shape[-1]
        self.add_weight("kernel", (input_dim, 3 * self.units), self.kernel_initializer,
                        regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.add_weight("recurrent_kernel", (self.units, 3 * self.units), self.recurrent_initializer,
                        regularizer=self.recurrent_regularizer, constraint=self.recurrent_constraint)
        if self.use_bias:
            shape = (2, 3 * self.units) if self.reset_after else (3 * self.units,)
            self.add_weight("bias", shape, self.bias_initializer,
                            regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        else:
            self.bias = None

    def _input_bias(self):
        if not self.use_bias:
            return None
        bias = self.read_weight(self.bias)
        return bias[0] if self.reset_after else bias

    def recurrent_step(self, projected_input, states, recurrent_mask=None):
        h_tm1 = states[0]
        units = self.units
        recurrent_kernel = self.read_weight(self.recurrent_kernel)
        x_z, x_r, x_h = projected_input.split(units, dim=-1)
        h_z, h_r, h_h = self._recurrent_inputs(h_tm1, recurrent_mask)
        k_z, k_r, k_h = recurrent_kernel.split(units, dim=1)
        if recurrent_mask is None and self.reset_after:
            inner = h_tm1 @ recurrent_kernel
            if self.use_bias:
                inner = inner + self.read_weight(self.bias)[1]
            recurrent_z, recurrent_r, recurrent_h = inner.split(units, dim=-1)
        elif recurrent_mask is None:
            recurrent_z, recurrent_r = (h_tm1 @ recurrent_kernel[:, : 2 * units]).split(units, dim=-1)
        else:
            recurrent_z, recurrent_r = h_z @ k_z, h_r @ k_r
            if self.reset_after:
                recurrent_h = h_h @ k_h
                if self.use_bias:
                    recurrent_bias = self.read_weight(self.bias)[1]
                    recurrent_z = recurrent_z + recurrent_bias[:units]
                    recurrent_r = recurrent_r + recurrent_bias[units: 2 * units]
                    recurrent_h = recurrent_h + recurrent_bias[2 * units:]
        z = self.recurrent_activation(x_z + recurrent_z)
        r = self.recurrent_activation(x_r + recurrent_r)
        # The reset gate scales the recurrent projection (reset_after) or the state before it.
        recurrent_h = r * recurrent_h if self.reset_after else (r * h_h) @ k_h
        hh = self.activation(x_h + recurrent_h)
        h = z * h_tm1 + (1 - z) * hh
        return h, [h]

    def get_config(self):
        return {
            **self._base_cell_config(),
            **self._identifier_config("activation"),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias,
            **self._identifier_config("kernel_initializer", "recurrent_initializer", "bias_initializer",
                                      "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
                                      "kernel_constraint", "recurrent_constraint", "bias_constraint"),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "reset_after": self.reset_after,
            "seed": self.seed,
        }


__all__ = ["GRUCell"]
