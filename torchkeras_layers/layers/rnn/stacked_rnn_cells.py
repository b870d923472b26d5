"""`StackedRNNCells`: cells run one after another at each timestep (what `RNN([cell, cell])` wraps)."""

from __future__ import annotations

import torch

from ..base import FLOATING, Layer, forward_arguments
from ._nested import deserialize_nested, serialize_nested, with_dtype


def cell_initial_state(cell: Layer, batch_size: int, like: torch.Tensor | None, dtype: torch.dtype) -> list:
    """The cell's `get_initial_state`, or zeros of its `state_size` for a cell without one (a user's), as a
    list of states, in the dtype and on the device of `like` (only those are read), else in `dtype`."""
    if hasattr(cell, "get_initial_state"):
        states = cell.get_initial_state(batch_size, like)
    else:
        sizes = cell.state_size if isinstance(cell.state_size, (list, tuple)) else [cell.state_size]
        states = [torch.zeros(batch_size, size, dtype=like.dtype if like is not None else dtype,
                              device=like.device if like is not None else None) for size in sizes]
    return list(states) if isinstance(states, (list, tuple)) else [states]


def cell_dtypes(cell: Layer) -> list:
    """The dtypes the cell computes in, each cell's for a stack (`_input_dtype()`: None computes in its inputs')."""
    return [c._input_dtype() for c in (cell.cells if isinstance(cell, StackedRNNCells) else [cell])]


class StackedRNNCells(Layer):
    """Keras `StackedRNNCells(cells)`: states are one entry per cell (a cell's list of states, or its
    single state); the output is the last cell's."""

    input_dtypes = FLOATING  # as its cells
    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(cells, (list, tuple)) or not cells:
            raise self._arg_error("cells", "must be a non-empty list of RNN cells", cells, TypeError)
        # Serialised cells are read as Keras' from_config reads them (and as RNN takes them).
        dtype = kwargs.get("dtype")
        cells = [deserialize_nested(self, "cells", with_dtype(cell, dtype)) if isinstance(cell, dict) else cell
                 for cell in cells]
        for cell in cells:
            if not isinstance(cell, Layer) or not hasattr(cell, "state_size"):
                raise self._arg_error("cells", "must hold RNN cells (layers with a `state_size`)", cell, TypeError)
        from torch import nn

        self.cells = nn.ModuleList(cells)
        # Keras passes `training` to a cell only when its call takes that argument.
        self._takes_training = ["training" in forward_arguments(cell) for cell in cells]

    @property
    def state_size(self) -> list:
        return [cell.state_size for cell in self.cells]

    @property
    def output_size(self) -> int:
        last = self.cells[-1]
        if getattr(last, "output_size", None) is not None:
            return last.output_size
        size = last.state_size
        return size[0] if isinstance(size, (list, tuple)) else size

    def build(self, input_shape):
        for cell in self.cells:
            if not cell.built:
                cell.build(input_shape)
                cell.built = True
            size = getattr(cell, "output_size", None)
            if size is None:
                size = cell.state_size[0] if isinstance(cell.state_size, (list, tuple)) else cell.state_size
            input_shape = tuple(input_shape[:-1]) + (size,)

    def get_initial_state(self, batch_size, like=None):
        states = []
        for cell in self.cells:  # each cell's states in its own compute dtype (see `stepper`)
            own = like.new_empty(0, dtype=cell._input_dtype() or like.dtype) if like is not None else None
            initial = cell_initial_state(cell, batch_size, own, cell.compute_dtype)
            states.append(initial if isinstance(cell.state_size, (list, tuple)) else initial[0])
        return states

    def stepper(self, sequences, states, training):
        """A function t -> (output, new_states) for one sequence: each cell's dropout masks drawn once.
        None when a cell is not one of ours (a user's cell has no step contract): the RNN then calls
        `forward` at each timestep."""
        if not all(hasattr(cell, "recurrent_step") for cell in self.cells):
            return None

        batch = sequences.shape[0]
        plans = []
        width = sequences.shape[-1]
        for cell, state in zip(self.cells, states):
            # A cell computes in its own dtype (a cell instance may have a policy of its own): Keras casts the
            # arguments of its call.
            dtype = cell._input_dtype() or sequences.dtype  # its states are already in it (`get_initial_state`)
            first = state if isinstance(state, torch.Tensor) else state[0]
            like = sequences.new_zeros(batch, width, dtype=dtype)
            input_mask, recurrent_mask = cell.dropout_masks(like, first, training)
            plans.append((cell, dtype, input_mask, recurrent_mask))
            width = cell.output_size

        def step(t, states):
            x = sequences[:, t]
            new_states = []
            for (cell, dtype, input_mask, recurrent_mask), state in zip(plans, states):
                single = isinstance(state, torch.Tensor)
                state = [state] if single else state
                if x.dtype != dtype:
                    x = x.to(dtype)
                x, new = cell.recurrent_step(cell.project_inputs(x, input_mask), state, recurrent_mask)
                new_states.append(new[0] if single else new)
            return x, new_states

        return step

    def forward(self, inputs, states, training=None):
        # Keras' structure: a cell given a single state tensor gives one back; one cell, its states alone.
        new_states = []
        for cell, takes, state in zip(self.cells, self._takes_training, states):
            single = isinstance(state, torch.Tensor)
            inputs, new = cell(inputs, [state] if single else list(state), **({"training": training} if takes else {}))
            new_states.append(new[0] if single and len(new) == 1 else new)
        return inputs, new_states[0] if len(new_states) == 1 else new_states

    def get_config(self):
        return {**super().get_config(), "cells": [serialize_nested(cell) for cell in self.cells]}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        return cls(config.pop("cells"), **config)


__all__ = ["StackedRNNCells"]
