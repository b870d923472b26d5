"""What LSTM, GRU and SimpleRNN share: cell arguments exposed on the layer, and the choice between
torch's fused recurrent kernel and the Python time loop.

The fused kernel (`torch.lstm` / `torch.gru`, what nn.LSTM / nn.GRU run) computes Keras' numbers when
the activations are Keras' defaults (tanh, sigmoid), no recurrent dropout is drawn, input dropout is
one mask per sequence (implementation 2), and the mask (if any) is right-padded: each row's valid steps,
then only padding. A right-padded batch runs as a packed sequence (each row's valid steps only, longest
row first, the rows' valid parts reversed for go_backwards, all in one gather), and Keras' masked
outputs are rebuilt from it: final states at each row's last valid step, a masked step's output the last
valid output (zeros with zero_output_for_mask, and always zeros before the first valid step, i.e. for
go_backwards), fully masked rows keep their initial states. Telling a right-padded mask from another
costs one host sync (the lengths), so under torch.compile / torch.export a masked call keeps the loop.
A packed call that records gradients on the CPU runs `ops.recurrent`'s packed GRU/LSTM instead of
torch's kernel (same numbers; its backward is torch's slow part there).
Any other mask, and everything else, runs the loop. `path` ("auto", "fused", "loop") forces a choice
for tests and benchmarks; `last_path` says which ran (eager calls only).
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


def right_padded_lengths(mask: torch.Tensor) -> torch.Tensor | None:
    """Each row's number of valid steps, on the CPU, when every row is valid steps then only padding
    (a row of either alone counts); None for any other mask. One host sync."""
    valid_after_padding = (mask[:, 1:] & ~mask[:, :-1]).any()
    summary = torch.cat([mask.sum(1), valid_after_padding.view(1).long()]).cpu()
    return None if summary[-1] else summary[:-1]


class FusedRNN(RNN, registered=False):
    """An RNN whose cell has a torch fused kernel; subclasses implement `fused_supported` and
    `fused_loop(sequences, states, batch_sizes=None)` (with `batch_sizes`, `sequences` is packed data)."""

    path = "auto"
    last_path: str | None = None

    def fused_supported(self) -> bool:
        cell = self.cell
        return cell.activation is torch.tanh and cell.recurrent_activation is torch.sigmoid

    def fused_loop(self, sequences, states, batch_sizes=None):
        raise NotImplementedError

    def _fused_route(self, mask, training) -> tuple[str | None, torch.Tensor | None]:
        """(why the fused kernel cannot compute Keras' numbers for this call, or None; the rows' valid
        lengths where a right-padded mask runs packed, else None)."""
        cell = self.cell
        if not self.fused_supported():
            return "non-default activations or GRU reset_after=False", None
        if training and 0.0 < cell.recurrent_dropout < 1.0:
            return "recurrent dropout in training", None
        if training and 0.0 < cell.dropout < 1.0 and cell.implementation == 1:
            return "per-gate input dropout (implementation 1)", None
        if torch.is_autocast_enabled(cell.kernel.device.type):
            return "torch.autocast (the fused CPU kernel takes no mixed dtypes)", None
        if mask is None:
            return None, None
        if torch.compiler.is_compiling():
            return "a mask under torch.compile (the packed route reads the lengths on the host)", None
        lengths = right_padded_lengths(mask)
        if lengths is None:
            return "a mask that is not right-padded", None
        if not lengths.any():
            return "a mask with every row fully masked", None
        if bool((lengths == mask.shape[1]).all()):
            return None, None  # nothing masked: the plain kernel
        return None, lengths

    def inner_loop(self, sequences, states, mask, training):
        if self.path not in PATHS:
            raise self._arg_error("path", f"must be one of {PATHS}", self.path)
        reason, lengths = self._fused_route(mask, training) if self.path != "loop" else ("path='loop'", None)
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
        if lengths is not None:
            return self._packed_inner_loop(sequences, states, mask, lengths)
        if self.go_backwards:
            sequences = sequences.flip(1)
        outputs, states = self.fused_loop(sequences, states)
        return outputs[:, -1], (outputs if self.return_sequences else None), states

    def _packed_inner_loop(self, sequences, states, mask, lengths):
        """The loop's (last output, outputs, states) for a right-padded mask, from one packed kernel call."""
        batch, steps = sequences.shape[:2]
        device = sequences.device
        sorted_lengths, order = lengths.sort(descending=True)
        running = order[sorted_lengths > 0]  # rows with a valid step, longest first: the packed batch
        run_lengths = sorted_lengths[: len(running)]
        valid = torch.arange(int(run_lengths[0])).unsqueeze(1) < run_lengths  # (step, running row)
        batch_sizes = valid.sum(1)
        time, slot = valid.nonzero(as_tuple=True)  # packed order: time-major, longest row first
        length = run_lengths[slot]
        if self.go_backwards:
            # Keras flips the sequence and the mask: the padding comes first, then the valid part reversed.
            source, target = length - 1 - time, steps - length + time
        else:
            source = target = time
        row, source, target = torch.stack([running[slot], source, target]).to(device)
        running = running.to(device)
        packed_outputs, final = self.fused_loop(sequences[row, source], [s[running] for s in states], batch_sizes)
        states = [s.index_copy(0, running, f) for s, f in zip(states, final)]  # empty rows keep their initial state
        last_valid = final[0].new_zeros(batch, final[0].shape[-1]).index_copy(0, running, final[0])
        last_output = last_valid
        if self.zero_output_for_mask and not self.go_backwards:
            last_output = torch.where((lengths == steps).to(device).unsqueeze(-1), last_valid, 0.0)
        outputs = None
        if self.return_sequences:
            outputs = packed_outputs.new_zeros(batch, steps, packed_outputs.shape[-1])
            outputs = outputs.index_put((row, target), packed_outputs)
            if not self.zero_output_for_mask and not self.go_backwards:
                outputs = torch.where(mask.unsqueeze(-1), outputs, last_valid.unsqueeze(1))
        return last_output, outputs, states


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
