"""What the recurrent cells share: argument checks, Keras' once-per-sequence dropout masks, the step contract.

A cell computes one timestep: ``forward(inputs, states, training=None) -> (output, new_states)``. The
RNN layer does not call it per step; it asks the cell for its dropout masks once per sequence (Keras
draws them once and reuses them at every step), projects the whole input sequence at once
(`project_inputs`: one matmul instead of one per step) and runs `recurrent_step` in its time loop.
"""

from __future__ import annotations

import torch

from ..base import FLOATING, Layer
from ..regularization.random_state import check_seed, seeded_generator


class DropoutRNNCell(Layer, registered=False):
    """Base of SimpleRNNCell, LSTMCell and GRUCell: units, dropout rates, seed, dropout masks."""

    gates = 1  # blocks of `units` columns in the kernels (LSTM 4, GRU 3)
    input_dtypes = FLOATING  # integer/bool steps would reach the kernel matmul (Keras promotes them there)

    def _init_cell(self, units, dropout, recurrent_dropout, seed, implementation=2):
        if isinstance(units, bool) or not isinstance(units, int) or units <= 0:
            raise self._arg_error("units", "must be a positive integer", units)
        for arg, rate in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
            if isinstance(rate, bool) or not isinstance(rate, (int, float)):
                raise self._arg_error(arg, "must be a float between 0 and 1", rate, TypeError)
        if isinstance(implementation, bool) or not isinstance(implementation, int):
            raise self._arg_error("implementation", "must be an int (1: per-gate masks, else fused gates)",
                                  implementation, TypeError)
        self.units = units
        # Keras clips the rates into [0, 1].
        self.dropout = min(1.0, max(0.0, float(dropout)))
        self.recurrent_dropout = min(1.0, max(0.0, float(recurrent_dropout)))
        self.seed = check_seed(self, seed)
        # Keras switches to per-gate masks (implementation 1) whenever recurrent dropout is used.
        # Keras keeps any other value (legacy 0) and treats it as 2.
        self.implementation = 1 if self.recurrent_dropout != 0.0 else implementation

    @property
    def output_size(self) -> int:
        return self.units

    def _mask_count(self) -> int | None:
        """Per-gate masks in implementation 1 (one mask per gate block), else one mask."""
        return self.gates if self.implementation == 1 and self.gates > 1 else None

    def _draw_mask(self, like: torch.Tensor, rate: float) -> torch.Tensor:
        count = self._mask_count()
        shape = (count, *like.shape) if count is not None else tuple(like.shape)
        keep = torch.empty(shape, dtype=like.dtype, device=like.device)
        # Shape inference runs on meta tensors, which a (CPU) seeded generator cannot fill.
        generator = seeded_generator(self, like.device) if like.device.type != "meta" else None
        keep.bernoulli_(1.0 - rate, generator=generator)
        return keep / (1.0 - rate)

    def dropout_masks(self, step_input: torch.Tensor, state: torch.Tensor, training: bool):
        """(input mask, recurrent mask) for one sequence, None where no dropout applies (Keras applies a
        rate only strictly between 0 and 1, and only in training)."""
        input_mask = self._draw_mask(step_input, self.dropout) if training and 0.0 < self.dropout < 1.0 else None
        recurrent_mask = (self._draw_mask(state, self.recurrent_dropout)
                          if training and 0.0 < self.recurrent_dropout < 1.0 else None)
        return input_mask, recurrent_mask

    def get_initial_state(self, batch_size: int, like: torch.Tensor | None = None) -> list[torch.Tensor]:
        sizes = self.state_size if isinstance(self.state_size, (list, tuple)) else [self.state_size]
        dtype = like.dtype if like is not None else self.compute_dtype
        device = like.device if like is not None else None
        return [torch.zeros(batch_size, size, dtype=dtype, device=device) for size in sizes]

    # ------------------------------------------------------------------ the step contract
    def project_inputs(self, inputs: torch.Tensor, input_mask: torch.Tensor | None) -> torch.Tensor:
        """inputs (..., input_dim) @ kernel (+ input bias), per-gate masks applied: (..., gates * units)."""
        kernel = self.read_weight(self.kernel)
        if input_mask is not None and inputs.dim() == 3:
            input_mask = input_mask.unsqueeze(-2)  # the same mask at every timestep
        if input_mask is None:
            projected = inputs @ kernel
        elif self._mask_count() is not None:
            blocks = kernel.split(self.units, dim=1)
            projected = torch.cat([(inputs * input_mask[g]) @ blocks[g] for g in range(self.gates)], dim=-1)
        else:
            projected = (inputs * input_mask) @ kernel
        input_bias = self._input_bias()
        return projected if input_bias is None else projected + input_bias

    def _input_bias(self) -> torch.Tensor | None:
        return self.read_weight(self.bias) if self.use_bias else None

    def _recurrent_inputs(self, state: torch.Tensor, recurrent_mask: torch.Tensor | None) -> list[torch.Tensor]:
        """The previous state as each gate block sees it (per-gate recurrent dropout in implementation 1)."""
        if recurrent_mask is None:
            return [state] * self.gates
        if recurrent_mask.dim() == 3:
            return [state * recurrent_mask[g] for g in range(self.gates)]
        return [state * recurrent_mask] * self.gates

    def forward(self, inputs, states, training=None):
        """One timestep, as Keras' `cell(inputs, states)`: (output, new_states)."""
        single = isinstance(states, torch.Tensor)
        states = [states] if single else list(states)
        if inputs.dim() != 2:
            raise self._arg_error("inputs", "must be a 2-D tensor (batch, features) for one timestep",
                                  tuple(inputs.shape))
        input_mask, recurrent_mask = self.dropout_masks(inputs, states[0], self.resolve_training(training))
        output, new_states = self.recurrent_step(self.project_inputs(inputs, input_mask), states, recurrent_mask)
        return output, (new_states[0] if single else new_states)

    def _base_cell_config(self) -> dict:
        return {**super().get_config(), "units": self.units}

    def stepper(self, sequences: torch.Tensor, states: list, training: bool):
        """A function t -> (output, new_states) over one (batch, time, features) sequence: dropout masks
        drawn once, the inputs projected for all timesteps at once."""
        input_mask, recurrent_mask = self.dropout_masks(sequences[:, 0], states[0], training)
        projected = self.project_inputs(sequences, input_mask)

        def step(t: int, states: list):
            return self.recurrent_step(projected[:, t], states, recurrent_mask)

        return step
