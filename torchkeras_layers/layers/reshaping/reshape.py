"""`Reshape`: reshape the non-batch axes to `target_shape` (one -1 allowed)."""

from __future__ import annotations

import math

from ..base import Layer


class Reshape(Layer, built_at_init=True):
    """Keras `Reshape(target_shape)`: the batch axis is kept; `target_shape` may contain one -1.
    A size mismatch is a ValueError naming the layer (torch's reshape error would not)."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(target_shape, (tuple, list)) or any(
            isinstance(d, bool) or not isinstance(d, int) or (d < 0 and d != -1) for d in target_shape
        ):
            raise self._arg_error("target_shape", "must be a tuple of non-negative ints with at most one -1", target_shape)
        if list(target_shape).count(-1) > 1:
            raise self._arg_error("target_shape", "can contain at most one -1", target_shape)
        self.target_shape = tuple(target_shape)

    def _resolved(self, rest: tuple) -> tuple:
        if any(d is None for d in rest):
            return tuple(None if d == -1 else d for d in self.target_shape)
        size = math.prod(rest)
        known = math.prod([d for d in self.target_shape if d != -1])  # a list: dynamo cannot pass a generator to math.prod
        if -1 not in self.target_shape:
            if size != known:
                raise ValueError(f"Reshape ({self.name!r}): the total size must be unchanged; input shape {rest} "
                                 f"(size {size}) cannot be reshaped to target_shape={self.target_shape}")
            return self.target_shape
        if size % known:
            raise ValueError(f"Reshape ({self.name!r}): input shape {rest} (size {size}) is not divisible by the "
                             f"known dimensions of target_shape={self.target_shape}")
        return tuple(size // known if d == -1 else d for d in self.target_shape)

    def forward(self, inputs):
        return inputs.reshape((inputs.shape[0],) + self._resolved(tuple(inputs.shape[1:])))

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + self._resolved(tuple(input_shape[1:]))

    def get_config(self):
        return {**super().get_config(), "target_shape": self.target_shape}

__all__ = ["Reshape"]
