"""`RNN`: runs a cell over the time axis, with Keras' masking, go_backwards, stateful and initial states."""

from __future__ import annotations

import torch
from torch.utils import _pytree as pytree

from ..base import InputSpec, Layer, forward_arguments
from ._nested import deserialize_nested, serialize_nested, with_dtype
from .stacked_rnn_cells import StackedRNNCells, cell_dtypes, cell_initial_state


class RNN(Layer):
    """Keras `RNN(cell, return_sequences, return_state, go_backwards, stateful, unroll, zero_output_for_mask)`.

    Masked timesteps (mask False) keep the states of the previous step and output the previous
    output (zeros before the first valid step, or always zeros with `zero_output_for_mask`), as
    Keras' backends do. `go_backwards` reads the sequence from its end and returns the outputs in that
    (reversed) order. `unroll` is accepted; the Python time loop computes the same numbers either way.
    With `stateful=True` the last states are kept (not as weights, as in Keras) and start the next call;
    `reset_state()` zeroes them.
    """

    supports_masking = True

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, zero_output_for_mask=False, **kwargs):
        super().__init__(**kwargs)
        # A serialised cell (or list of them) is read as Keras' from_config reads it.
        dtype = kwargs.get("dtype")
        if isinstance(cell, (list, tuple)):
            cells = [deserialize_nested(self, "cell", with_dtype(c, dtype)) for c in cell]
            cell = StackedRNNCells(cells, **({"dtype": dtype} if dtype is not None else {}))
        elif isinstance(cell, dict):
            cell = deserialize_nested(self, "cell", with_dtype(cell, dtype))
        if not isinstance(cell, Layer):
            raise self._arg_error("cell", "must be an RNN cell layer or a list of them", cell, TypeError)
        state_size = getattr(cell, "state_size", None)
        if not isinstance(state_size, (int, list, tuple)):
            raise self._arg_error("cell", "must have a `state_size` (an int or a list of ints)", cell)
        self.cell = cell
        # Keras passes `training` to a cell only when its call takes that argument (`_call_has_training_arg`).
        self._cell_takes_training = "training" in forward_arguments(cell)
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.input_spec = InputSpec(min_ndim=3)
        self._state_count = 0  # stateful states kept as buffers `rnn_state_<i>`

    @property
    def state_size(self) -> list:
        size = self.cell.state_size
        return [size] if isinstance(size, int) else list(size)

    # ------------------------------------------------------------------ build and states
    def build(self, sequences_shape, initial_state_shape=None):
        rank = self.input_spec
        self.input_spec = InputSpec(ndim=rank.ndim, min_ndim=rank.min_ndim, axes={-1: sequences_shape[-1]})
        if not self.cell.built:
            self.cell.build((sequences_shape[0],) + tuple(sequences_shape[2:]))
            self.cell.built = True
        if self.stateful:
            batch = sequences_shape[0]
            if batch is None:
                raise ValueError(f"{type(self).__name__} ({self.name!r}): with `stateful=True` the batch size "
                                 f"must be static; received input shape {sequences_shape}")
            flat = pytree.tree_leaves(self.get_initial_state(batch))
            for i, value in enumerate(flat):
                self.register_buffer(f"rnn_state_{i}", value, persistent=False)
            self._state_count = len(flat)

    def get_initial_state(self, batch_size, like: torch.Tensor | None = None):
        return cell_initial_state(self.cell, batch_size, like, self.compute_dtype)

    @property
    def states(self) -> list[torch.Tensor] | None:
        """The kept states of a stateful layer (None before it is built or when not stateful)."""
        if not self._state_count:
            return None
        return [getattr(self, f"rnn_state_{i}") for i in range(self._state_count)]

    def reset_state(self) -> None:
        """Zero the kept states of a stateful layer (Keras `reset_state()`)."""
        with torch.no_grad():
            for state in self.states or ():
                state.zero_()

    def reset_states(self) -> None:
        self.reset_state()

    def _initial_states(self, sequences: torch.Tensor, initial_state):
        batch = sequences.shape[0]
        template = self.get_initial_state(batch, sequences)
        if initial_state is None:
            if not self.stateful:
                return template
            kept = self.states
            if kept[0].shape[0] != batch:
                raise ValueError(f"{type(self).__name__} ({self.name!r}): a stateful RNN needs the batch size of "
                                 f"its kept states ({kept[0].shape[0]}); received input shape "
                                 f"{tuple(sequences.shape)}")
            flat = list(kept)
        else:
            single = isinstance(initial_state, torch.Tensor)
            flat = [initial_state] if single else list(pytree.tree_leaves(initial_state))
        expected, spec = pytree.tree_flatten(template)
        if len(flat) != len(expected) or any(not isinstance(s, torch.Tensor) for s in flat):
            raise self._arg_error("initial_state", f"must be {len(expected)} tensor(s) of shapes "
                                  f"{[tuple(e.shape) for e in expected]}",
                                  [tuple(s.shape) if isinstance(s, torch.Tensor) else s for s in flat])
        for given, want in zip(flat, expected):
            if tuple(given.shape) != tuple(want.shape):
                raise self._arg_error("initial_state", f"must have shapes {[tuple(e.shape) for e in expected]}",
                                      [tuple(s.shape) for s in flat])
        # each state in its template's dtype: the loop's, or a stacked cell's own
        flat = [s.to(want.dtype) if s.is_floating_point() and s.dtype != want.dtype else s
                for s, want in zip(flat, expected)]
        return pytree.tree_unflatten(flat, spec)

    def _check_mask(self, sequences: torch.Tensor, mask):
        if mask is None:
            return None
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if not isinstance(mask, torch.Tensor) or tuple(mask.shape) != tuple(sequences.shape[:2]):
            raise self._arg_error("mask", f"must be a (batch, timesteps) tensor {tuple(sequences.shape[:2])}",
                                  tuple(mask.shape) if isinstance(mask, torch.Tensor) else mask)
        return mask if mask.dtype == torch.bool else mask != 0

    # ------------------------------------------------------------------ the loop
    def _stepper(self, sequences, states, training):
        stepper = self.cell.stepper(sequences, states, training) if hasattr(self.cell, "stepper") else None
        if stepper is not None:
            return stepper
        kwargs = {"training": training} if self._cell_takes_training else {}

        def step(t, states):  # a user's cell: called per timestep, as Keras does
            output, new_states = self.cell(sequences[:, t], states, **kwargs)
            return output, [new_states] if isinstance(new_states, torch.Tensor) else list(new_states)

        return step

    def inner_loop(self, sequences, states, mask, training):
        """(last_output, outputs or None, final states) of the Python time loop."""
        if self.go_backwards:
            sequences = sequences.flip(1)
            mask = mask.flip(1) if mask is not None else None
        step = self._stepper(sequences, states, training)
        outputs, output, previous = [], None, None
        for t in range(sequences.shape[1]):
            output, new_states = step(t, states)
            if mask is not None:
                keep = mask[:, t]
                if previous is None or self.zero_output_for_mask:
                    previous = torch.zeros_like(output)
                output = torch.where(_per_sample(keep, output), output, previous)
                new_states = pytree.tree_map(lambda new, old, keep=keep: torch.where(_per_sample(keep, new), new, old),
                                             new_states, states)
                previous = output
            states = new_states
            if self.return_sequences:
                outputs.append(output)
        return output, (torch.stack(outputs, dim=1) if self.return_sequences else None), states

    def forward(self, sequences, initial_state=None, mask=None, training=None):
        if sequences.shape[1] == 0:
            raise self._arg_error("sequences", "must have at least one timestep", tuple(sequences.shape))
        if not sequences.is_floating_point():  # integer sequences compute in the layer's dtype, as in Keras
            sequences = sequences.to(self.compute_dtype)
        training = self.resolve_training(training)
        mask = self._check_mask(sequences, mask)
        # Keras runs the loop in the cell's dtype (a cell instance may have a policy of its own, and so may each
        # cell of a stack: the stack's stepper casts for them) and casts the outputs and states to the layer's.
        layer_dtype, loop_dtype = sequences.dtype, self.cell._input_dtype()
        if loop_dtype is not None and sequences.is_floating_point() and loop_dtype != layer_dtype:
            sequences = sequences.to(loop_dtype)
        states = self._initial_states(sequences, initial_state)
        last_output, outputs, states = self.inner_loop(sequences, states, mask, training)
        if any(dtype is not None and dtype != layer_dtype for dtype in cell_dtypes(self.cell)):
            last_output, outputs, states = pytree.tree_map(
                lambda t: t.to(layer_dtype) if t is not None and t.is_floating_point() else t,
                (last_output, outputs, states))
        if self.stateful:
            with torch.no_grad():
                for kept, state in zip(self.states, pytree.tree_leaves(states)):
                    kept.copy_(state.detach())
        output = self.add_activity_loss(outputs if self.return_sequences else last_output)
        if self.return_state:
            return (output, *states)
        return output

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(self.state_size)
        return output_mask

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        batch, length = sequences_shape[0], sequences_shape[1]
        output_size = getattr(self.cell, "output_size", None) or self.state_size[0]
        output = (batch, length, output_size) if self.return_sequences else (batch, output_size)
        if self.return_state:  # one shape per state, a list of them per stacked cell with several
            return (output, *[[(batch, s) for s in size] if isinstance(size, (list, tuple)) else (batch, size)
                              for size in self.state_size])
        return output

    def _rnn_config(self) -> dict:
        return {**super().get_config(), "return_sequences": self.return_sequences, "return_state": self.return_state,
                "go_backwards": self.go_backwards, "stateful": self.stateful, "unroll": self.unroll,
                "zero_output_for_mask": self.zero_output_for_mask}

    def get_config(self):
        return {**self._rnn_config(), "cell": serialize_nested(self.cell)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        holder = cls.__new__(cls)  # names the class in a bad entry's error
        return cls(deserialize_nested(holder, "cell", config.pop("cell")), **config)


def _per_sample(keep: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """A (batch,) timestep mask shaped to broadcast over `like` (batch, ...): ConvLSTM steps are images."""
    return keep.view(keep.shape[0], *([1] * (like.dim() - 1)))


__all__ = ["RNN"]
