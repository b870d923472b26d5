"""What ConvLSTM1D/2D/3D share (Keras' `keras/src/layers/rnn/conv_lstm.py`): `ConvLSTMCell`, an LSTM step
whose input and recurrent transformations are convolutions, and `ConvLSTM`, the RNN that runs it.

Keras does not export the cell, and a ConvLSTM's config carries the cell's arguments rather than the
cell, so neither class is registered. The four gates are one convolution: the kernels are stored in
torch's layout ``(4 * filters, in, *kernel_size)`` (Keras' ``(*kernel_size, in, 4 * filters)`` through
get/set_weights), gate blocks i, f, c, o. Keras draws four dropout masks per sequence, one per gate; the
four masked copies then sit side by side on the channel axis and one grouped convolution (groups=4)
applies each gate's kernel to its own copy. The input convolution runs once for every timestep (time
folded into the batch); only the recurrent convolution (stride 1, TF 'same', no dilation) runs per step.
"""

from __future__ import annotations

import torch

from ... import activations, regularizers
from ...ops.convolution import conv
from ...ops.layout import from_channels_first, lift_1d, to_channels_first
from ...ops.padding import window_paddings
from ..base import FLOATING, InputSpec
from ..convolutional.base_conv import _channels_last_memory
from ..convolutional.base_window_conv import BaseWindowConv
from ._cell_layer import delegate_to_cell
from .dropout_rnn_cell import DropoutRNNCell
from .lstm_cell import LSTMCell
from .rnn import RNN

_CELL_ARGS = ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "activation",
              "recurrent_activation", "use_bias", "kernel_initializer", "recurrent_initializer", "bias_initializer",
              "unit_forget_bias", "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
              "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout")


class ConvLSTMCell(DropoutRNNCell, BaseWindowConv, registered=False):
    """Keras' `ConvLSTMCell(rank, filters, kernel_size, ...)`: one step on a (batch, *spatial, channels)
    (or channels_first) image; states [h, c] of the output's shape. The window arguments, their checks and
    the output arithmetic are every convolution's (BaseWindowConv). `owner` is the class name of the
    ConvLSTM layer that builds it: the arguments are that layer's, so its errors name it."""

    gates = 4

    def __init__(
        self,
        rank,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
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
        owner="ConvLSTMCell",
        **kwargs,
    ):
        self.__dict__["_owner"] = owner
        super().__init__(**kwargs)
        self.rank = rank
        if isinstance(filters, bool) or not isinstance(filters, int) or filters <= 0:
            raise self._arg_error("filters", "must be a positive integer", filters)
        self.filters = filters
        self._set_window_args(kernel_size, strides, padding, data_format, dilation_rate)
        self._reject_strided_dilation()
        # The dropout rates and the seed, as every recurrent cell takes them (`units` is the per-gate width).
        self._init_cell(filters, dropout, recurrent_dropout, seed)
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
        self.recurrent_activation = self._resolve(activations.get, "recurrent_activation", recurrent_activation)
        self.state_size = -1  # as Keras: the states' shape is known once built (`get_initial_state`)
        self._op_unit = lift_1d((1,) * rank)  # the recurrent convolution's strides and dilation

    # ------------------------------------------------------------------ errors name the owning layer
    def _arg_error(self, arg, expected, got, exc=ValueError):
        error = super()._arg_error(arg, expected, got, exc)
        return exc(str(error).replace(type(self).__name__, self._owner, 1))

    def _resolve(self, getter, arg, identifier):
        try:
            return super()._resolve(getter, arg, identifier)
        except (ValueError, TypeError) as err:
            raise type(err)(str(err).replace(type(self).__name__, self._owner, 1)) from None

    def _mask_count(self) -> int:
        return self.gates  # Keras' `dropout_mask_count = 4`: one input and one recurrent mask per gate

    # ------------------------------------------------------------------ shapes and build
    def compute_output_shape(self, inputs_shape, states_shape=None):
        """(the output's shape, [h's, c's]) for one step of `inputs_shape`."""
        inputs_shape = tuple(inputs_shape)
        shape = self._output_shape(inputs_shape, self.filters, self._output_spatial(inputs_shape))
        return shape, [shape, shape]

    def build(self, input_shape, states_shape=None):
        """`input_shape`: one step's, checked by the ConvLSTM layer (`check_step_shape`)."""
        input_shape = tuple(input_shape)
        spatial, channels = self._spatial_shape(input_shape), input_shape[self._channel_axis]
        out_spatial = tuple(self._output_spatial(input_shape))
        self.spatial_dims, self.input_dim = spatial, channels
        self.state_shape = self._output_shape(input_shape, self.filters, out_spatial)[1:]
        # Per-axis (lo, hi) paddings, fixed by the build shape (the layer's input spec keeps it); the
        # recurrent convolution is 'same' with stride 1 and no dilation, as Keras' `recurrent_conv`.
        lift = ((0, 0),) if self.rank == 1 else ()
        self._input_pads = lift + self._paddings(spatial)
        self._recurrent_pads = lift + window_paddings("same", out_spatial, self.kernel_size, (1,) * self.rank)

        # torch layout (4F, in, *k) -> Keras layout (*k, in, 4F)
        to_keras = tuple(range(2, self.rank + 2)) + (1, 0)
        self.add_weight("kernel", self.kernel_size + (channels, 4 * self.filters), self.kernel_initializer,
                        regularizer=self.kernel_regularizer, constraint=self.kernel_constraint, to_keras=to_keras)
        self.add_weight("recurrent_kernel", self.kernel_size + (self.filters, 4 * self.filters),
                        self.recurrent_initializer, regularizer=self.recurrent_regularizer,
                        constraint=self.recurrent_constraint, to_keras=to_keras)
        if self.data_format == "channels_last":  # as BaseConv: no per-call kernel copy for channels-last inputs
            self.kernel.data = _channels_last_memory(self.kernel.data)
            self.recurrent_kernel.data = _channels_last_memory(self.recurrent_kernel.data)
        if self.use_bias:
            initializer = self._forget_bias_initializer if self.unit_forget_bias else self.bias_initializer
            self.add_weight("bias", (4 * self.filters,), initializer, regularizer=self.bias_regularizer,
                            constraint=self.bias_constraint)
        else:
            self.bias = None

    # Keras' unit_forget_bias, as LSTMCell's (`units` is `filters` here).
    _forget_bias_initializer = LSTMCell._forget_bias_initializer

    def check_step_shape(self, layer, input_shape) -> None:
        """What Keras refuses to build on, with errors naming `layer` (the ConvLSTM that owns the cell)."""
        where = f"{type(layer).__name__} ({layer.name!r})"
        spatial, channels = self._spatial_shape(input_shape), input_shape[self._channel_axis]
        if None in spatial:
            raise ValueError(f"{where}: ConvLSTM layers only support static spatial input shapes; received "
                             f"step shape {input_shape}")
        if channels is None or channels == 0:
            raise ValueError(f"{where}: the channel axis of the inputs must be known and non-zero; received "
                             f"step shape {input_shape}")
        if any(n <= 0 for n in self._output_spatial(input_shape)):
            raise ValueError(f"{where}: input of spatial shape {spatial} is too small for `kernel_size`="
                             f"{self.kernel_size} with `dilation_rate`={self.dilation_rate} and "
                             f"padding={self.padding!r}: the output size would be zero or negative")

    def get_initial_state(self, batch_size: int, like: torch.Tensor | None = None) -> list[torch.Tensor]:
        dtype = like.dtype if like is not None else self.compute_dtype
        device = like.device if like is not None else None
        return [torch.zeros((batch_size, *self.state_shape), dtype=dtype, device=device) for _ in range(2)]

    # ------------------------------------------------------------------ the step contract
    def _op_kernel(self, weight: torch.Tensor) -> torch.Tensor:
        kernel = self.read_weight(weight)
        return kernel.unsqueeze(2) if self.rank == 1 else kernel  # see ops/layout.py

    def _convolve(self, x, weight, bias, strides, pads, dilation, groups):
        y = conv(to_channels_first(x, self.data_format), self._op_kernel(weight), bias, strides, pads, dilation,
                 groups)
        return from_channels_first(y, self.data_format, self.rank)

    def project_inputs(self, inputs: torch.Tensor, input_mask: torch.Tensor | None) -> torch.Tensor:
        """The input convolution of a (batch, time, ...) sequence, bias included, every timestep at once:
        (batch, time, *output spatial, 4 * filters) (channels_first: channels after time). `input_mask`:
        the four per-gate masks of one step, the same at every timestep."""
        batch, steps = inputs.shape[0], inputs.shape[1]
        groups = 1
        if input_mask is not None:
            channel_axis = -1 if self.data_format == "channels_last" else 2
            inputs = torch.cat([inputs * mask.unsqueeze(1) for mask in input_mask], dim=channel_axis)
            groups = self.gates
        projected = self._convolve(inputs.flatten(0, 1), self.kernel, self.read_weight(self.bias), self._op_strides,
                                   self._input_pads, self._op_dilation, groups)
        return projected.unflatten(0, (batch, steps))

    def recurrent_step(self, projected_input, states, recurrent_mask=None):
        h_tm1, c_tm1 = states[0], states[1]
        groups = 1
        if recurrent_mask is not None:
            h_tm1 = torch.cat([h_tm1 * mask for mask in recurrent_mask], dim=self._channel_axis)
            groups = self.gates
        z = projected_input + self._convolve(h_tm1, self.recurrent_kernel, None, self._op_unit, self._recurrent_pads,
                                             self._op_unit, groups)
        z_i, z_f, z_c, z_o = z.split(self.filters, dim=self._channel_axis)
        i = self.recurrent_activation(z_i)
        f = self.recurrent_activation(z_f)
        c = f * c_tm1 + i * self.activation(z_c)
        o = self.recurrent_activation(z_o)
        h = o * self.activation(c)
        return h, [h, c]

    def forward(self, inputs, states, training=None):
        """One timestep, as Keras' `cell(inputs, [h, c])`: (h, [h, c])."""
        h_tm1, c_tm1 = states
        input_mask, recurrent_mask = self.dropout_masks(inputs, h_tm1, self.resolve_training(training))
        projected = self.project_inputs(inputs.unsqueeze(1), input_mask)[:, 0]
        return self.recurrent_step(projected, [h_tm1, c_tm1], recurrent_mask)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            **self._identifier_config("activation"),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias,
            **self._identifier_config("kernel_initializer", "recurrent_initializer", "bias_initializer"),
            "unit_forget_bias": self.unit_forget_bias,
            **self._identifier_config("kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
                                      "kernel_constraint", "recurrent_constraint", "bias_constraint"),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }


class ConvLSTM(RNN, registered=False):
    """Keras' `ConvLSTM` base: a ConvLSTMCell over the time axis of (batch, time, *spatial, channels)
    sequences (channels_first: (batch, time, channels, *spatial)); weights are the cell's
    (`conv_lstm_cell/kernel`, `recurrent_kernel`, `bias`), states [h, c]. Subclasses set `rank`.

    Masks, initial states, go_backwards, stateful and unroll behave as in every RNN. Built on a
    sequence, the layer accepts only that spatial shape and channel count (Keras fixes the cell's
    input spec), any batch size and length."""

    rank: int  # set by subclasses
    input_dtypes = FLOATING  # TensorFlow's convolution refuses integer images

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
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
        **kwargs,
    ):
        cell = ConvLSTMCell(
            self.rank, filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
            dilation_rate=dilation_rate, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint, dropout=dropout,
            recurrent_dropout=recurrent_dropout, seed=seed, name="conv_lstm_cell", dtype=kwargs.get("dtype"),
            trainable=kwargs.get("trainable", True), owner=type(self).__name__,
        )
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, activity_regularizer=activity_regularizer,
                         **kwargs)
        self.input_spec = InputSpec(ndim=self.rank + 3)

    def build(self, sequences_shape, initial_state_shape=None):
        sequences_shape = tuple(sequences_shape)
        self.input_spec.check(self, 0, sequences_shape)  # the rank, before the cell reads the step shape
        self.cell.check_step_shape(self, (sequences_shape[0], *sequences_shape[2:]))
        super().build(sequences_shape, initial_state_shape)
        # Keras fixes the cell's step shape once built: the spatial axes and the channels.
        self.input_spec = InputSpec(ndim=self.rank + 3,
                                    axes={axis: sequences_shape[axis] for axis in range(2, self.rank + 3)})

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        batch, steps = sequences_shape[0], sequences_shape[1]
        state_shape = self.cell.compute_output_shape((batch, *sequences_shape[2:]))[0][1:]
        output = (batch, steps, *state_shape) if self.return_sequences else (batch, *state_shape)
        if self.return_state:
            return output, (batch, *state_shape), (batch, *state_shape)
        return output

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        return [output_mask, None, None] if self.return_state else output_mask

    def get_config(self):
        config = self._rnn_config()
        cell_config = self.cell.get_config()
        for key in ("name", "trainable", "dtype"):
            cell_config.pop(key)
        for key, value in cell_config.items():
            config[key] = value
            if key == "bias_regularizer":  # Keras' place for it, unless the base config already holds it
                config.setdefault("activity_regularizer", regularizers.serialize(self.activity_regularizer))
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)


delegate_to_cell(ConvLSTM, _CELL_ARGS)
