"""`StackedRNNCells`: cells run one after another at each timestep (what `RNN([cell, cell])` wraps)."""

from __future__ import annotations

import torch

from ..base import FLOATING, Layer
from ._nested import deserialize_nested, serialize_nested, with_dtype


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
        for cell in self.cells:
            initial = cell.get_initial_state(batch_size, like)
            states.append(initial if isinstance(cell.state_size, (list, tuple)) else initial[0])
        return states

    def stepper(self, sequences, states, training):
        """A function t -> (output, new_states) for one sequence: each cell's dropout masks drawn once."""

        batch = sequences.shape[0]
        plans = []
        width = sequences.shape[-1]
        for cell, state in zip(self.cells, states):
            first = state if isinstance(state, torch.Tensor) else state[0]
            like = sequences.new_zeros(batch, width)
            input_mask, recurrent_mask = cell.dropout_masks(like, first, training)
            plans.append((cell, input_mask, recurrent_mask))
            width = cell.output_size

        def step(t, states):
            x = sequences[:, t]
            new_states = []
            for (cell, input_mask, recurrent_mask), state in zip(plans, states):
                single = isinstance(state, torch.Tensor)
                x, new = cell.recurrent_step(cell.project_inputs(x, input_mask), [state] if single else state,
                                             recurrent_mask)
                new_states.append(new[0] if single else new)
            return x, new_states

        return step

    def forward(self, inputs, states, training=None):
        # Keras' structure: a cell given a single state tensor gives one back; one cell, its states alone.
        new_states = []
        for cell, state in zip(self.cells, states):
            single = isinstance(state, torch.Tensor)
            inputs, new = cell(inputs, [state] if single else list(state), training=training)
            new_states.append(new[0] if single and len(new) == 1 else new)
        return inputs, new_states[0] if len(new_states) == 1 else new_states

    def get_config(self):
        return {**super().get_config(), "cells": [serialize_nested(cell) for cell in self.cells]}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        return cls(config.pop("cells"), **config)


__all__ = ["StackedRNNCells"]
