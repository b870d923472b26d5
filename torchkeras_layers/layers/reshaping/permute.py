"""`Permute`: reorder the non-batch axes by a 1-indexed permutation."""

from __future__ import annotations

from ..base import InputSpec, Layer


class Permute(Layer):
    """Keras `Permute(dims)`: `dims` is a 1-indexed permutation of the non-batch axes; the batch
    axis never moves. Returns a view (`torch.permute`), no copy."""

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(dims, (tuple, list)) or any(isinstance(d, bool) or not isinstance(d, int) for d in dims):
            raise self._arg_error("dims", "must be a tuple of ints", dims)
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise self._arg_error("dims", f"must be a permutation of the integers 1..{len(dims)} (1-indexed)", dims)
        self.dims = tuple(dims)
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)

    def forward(self, inputs):
        return inputs.permute(0, *self.dims)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        return {**super().get_config(), "dims": self.dims}

__all__ = ["Permute"]
