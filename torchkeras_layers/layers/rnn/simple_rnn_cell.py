"""`SimpleRNNCell`: output = activation(x @ kernel + bias + h_tm1 @ recurrent_kernel)."""

from __future__ import annotations

from .dropout_rnn_cell import DropoutRNNCell


class SimpleRNNCell(DropoutRNNCell):
    """Keras `SimpleRNNCell`: kernel (input_dim, units), recurrent_kernel (units, units), bias (units,)."""

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
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self._init_cell(units, dropout, recurrent_dropout, seed)
        self.use_bias = bool(use_bias)
        self._set_identifiers(
            activation=activation, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
        )
        self.state_size = units

    def build(self, input_shape):
        self.add_weight("kernel", (input_shape[-1], self.units), self.kernel_initializer,
                        regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.add_weight("recurrent_kernel", (self.units, self.units), self.recurrent_initializer,
                        regularizer=self.recurrent_regularizer, constraint=self.recurrent_constraint)
        if self.use_bias:
            self.add_weight("bias", (self.units,), self.bias_initializer,
                            regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        else:
            self.bias = None

    def recurrent_step(self, projected_input, states, recurrent_mask=None):
        prev_output = states[0]
        if recurrent_mask is not None:
            prev_output = prev_output * recurrent_mask
        output = self.activation(projected_input + prev_output @ self.read_weight(self.recurrent_kernel))
        return output, [output]

    def get_config(self):
        return {
            **self._base_cell_config(),
            **self._identifier_config("activation"),
            "use_bias": self.use_bias,
            **self._identifier_config("kernel_initializer", "recurrent_initializer", "bias_initializer",
                                      "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
                                      "kernel_constraint", "recurrent_constraint", "bias_constraint"),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }


__all__ = ["SimpleRNNCell"]
