"""`PReLU`: ``x`` for ``x >= 0``, ``alpha * x`` below, with a learned `alpha` per (unshared) position."""

from __future__ import annotations

import torch.nn.functional as F

from ..base import FLOATING, InputSpec, Layer


class PReLU(Layer):
    """Keras `PReLU(alpha_initializer="Zeros", alpha_regularizer=None, alpha_constraint=None, shared_axes=None)`.

    `alpha` has the input's non-batch shape with size 1 on each of `shared_axes` (1-indexed input
    axes, the batch axis being 0). Computed as Keras does, ``relu(x) - alpha * relu(-x)``.
    """

    supports_masking = True
    input_dtypes = FLOATING  # Keras multiplies the input by the float alpha without promotion

    def __init__(self, alpha_initializer="Zeros", alpha_regularizer=None, alpha_constraint=None, shared_axes=None,
                 **kwargs):
        super().__init__(**kwargs)
        self._set_identifiers(alpha_initializer=alpha_initializer, alpha_regularizer=alpha_regularizer,
                              alpha_constraint=alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        else:
            axes = list(shared_axes) if isinstance(shared_axes, (list, tuple)) else [shared_axes]
            if any(isinstance(a, bool) or not isinstance(a, int) for a in axes):
                raise self._arg_error("shared_axes", "must be None, an int or a list of ints", shared_axes, TypeError)
            self.shared_axes = axes

    def build(self, input_shape):
        rank = len(input_shape)
        shared = self.shared_axes or []
        if any(not 1 <= a < rank for a in shared):
            raise self._arg_error("shared_axes", f"must name non-batch input axes (1..{rank - 1}) of the input "
                                                 f"shape {tuple(input_shape)}", self.shared_axes)
        param_shape = [1 if axis in shared else input_shape[axis] for axis in range(1, rank)]
        if any(d is None for d in param_shape):
            raise ValueError(f"PReLU ({self.name!r}): every unshared non-batch axis must be known to build; "
                             f"got input shape {tuple(input_shape)}")
        self.add_weight("alpha", param_shape, self.alpha_initializer, regularizer=self.alpha_regularizer,
                        constraint=self.alpha_constraint)
        self.input_spec = InputSpec(ndim=rank, axes={a: input_shape[a] for a in range(1, rank) if a not in shared})

    def forward(self, inputs):
        return F.relu(inputs) - self.read_weight(self.alpha) * F.relu(-inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(),
                **self._identifier_config("alpha_initializer", "alpha_regularizer", "alpha_constraint"),
                "shared_axes": self.shared_axes}

__all__ = ["PReLU"]
