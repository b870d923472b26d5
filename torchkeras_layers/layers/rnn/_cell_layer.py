"""What LSTM, GRU and SimpleRNN share: cell arguments exposed on the layer, and the choice between
torch's fused recurrent kernel and the Python time loop.

The fused kernel (`torch.lstm` / `torch.gru`, what nn.LSTM / nn.GRU run) computes Keras' numbers when
the activations are Keras' defaults (tanh, sigmoid), no recurrent dropout is drawn, input dropout is
one mask per sequence (implementation 2), and no mask is given. Everything else runs the loop.
`path` ("auto", "fused", "loop") forces a choice for tests and benchmarks; `last_path` says which ran
(eager calls only).
"""

from __future__ import annotations

import torch

from .rnn import RNN

PATHS = ("auto", "fused", "loop")


def delegate_to_cell(cls: type, names: tuple[str, ...]) -> type:
    """Keras' read-only properties `layer.units`, `layer.activation`, ... that read the cell's."""
    for name in names:
        setattr(cls, name, property(lambda self, n=name: getattr(self.cell, n)))
    return cls


class FusedRNN(RNN, registered=False):
    """An RNN whose cell has a torch fused kernel; subclasses implement `fused_supported` and `fused_loop`."""

    path = "auto"
    last_path: str | None = None

    def fused_supported(self) -> bool:
        cell = self.cell
        return cell.activation is torch.tanh and cell.recurrent_activation is torch.sigmoid

    def fused_loop(self, sequences, states):
        raise NotImplementedError

    def _fused_reason(self, mask, training) -> str | None:
        """Why the fused kernel cannot compute Keras' numbers for this call (None: it can)."""
        cell = self.cell
        if not self.fused_supported():
            return "non-default activations or GRU reset_after=False"
        if training and 0.0 < cell.recurrent_dropout < 1.0:
            return "recurrent dropout in training"
        if training and 0.0 < cell.dropout < 1.0 and cell.implementation == 1:
            return "per-gate input dropout (implementation 1)"
        if mask is not None:
            return "a mask"
        if torch.is_autocast_enabled(cell.kernel.device.type):
            return "torch.autocast (the fused CPU kernel takes no mixed dtypes)"
        return None

    def inner_loop(self, sequences, states, mask, training):
        if self.path not in PATHS:
            raise self._arg_error("path", f"must be one of {PATHS}", self.path)
        reason = self._fused_reason(mask, training) if self.path != "loop" else "path='loop'"
        if self.path == "fused" and reason is not None:
            raise ValueError(f"{type(self).__name__} ({self.name!r}): path='fused' was forced but the fused "
                             f"kernel cannot compute this call ({reason})")
        if not torch.compiler.is_compiling():
            self.last_path = "loop" if reason is not None else "fused"
        if reason is not None:
            return super().inner_loop(sequences, states, mask, training)
        input_mask, _ = self.cell.dropout_masks(sequences[:, 0], states[0], training)
        if input_mask is not None:
            sequences = sequences * input_mask.unsqueeze(1)  # one mask for every timestep
        if self.go_backwards:
            sequences = sequences.flip(1)
        outputs, states = self.fused_loop(sequences, states)
        return outputs[:, -1], (outputs if self.return_sequences else None), states


_CONFIG_ORDER = ("name", "trainable", "dtype", "return_sequences", "return_state", "go_backwards", "stateful",
                 "unroll", "zero_output_for_mask", "units", "activation", "recurrent_activation", "use_bias",
                 "kernel_initializer", "recurrent_initializer", "bias_initializer", "unit_forget_bias",
                 "kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "activity_regularizer",
                 "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout",
                 "reset_after", "seed")


def cell_layer_config(layer: RNN) -> dict:
    """Keras' config of LSTM / GRU / SimpleRNN: the RNN flags and the cell's arguments, no `cell` entry."""
    cell_config = layer.cell.get_config()
    for key in ("name", "trainable", "dtype"):
        cell_config.pop(key)
    config = {**layer._rnn_config(), **cell_config, "activity_regularizer": None}
    config.update({k: v for k, v in layer._rnn_config().items() if k == "activity_regularizer"})
    return {k: config[k] for k in _CONFIG_ORDER if k in config}
