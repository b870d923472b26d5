"""`RepeatVector`: (B, F) -> (B, n, F)."""

from __future__ import annotations

from ..base import InputSpec, Layer


class RepeatVector(Layer):
    """Keras `RepeatVector(n)`. Returns an expanded view (no copy); call `.contiguous()` yourself
    only if you need to write into the result."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if isinstance(n, bool) or not isinstance(n, int):
            raise self._arg_error("n", "must be a positive int", n, exc=TypeError)
        if n <= 0:
            raise self._arg_error("n", "must be a positive int", n)
        self.n = n
        self.input_spec = InputSpec(ndim=2)

    def forward(self, inputs):
        return inputs.unsqueeze(1).expand(-1, self.n, -1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        return {**super().get_config(), "n": self.n}

__all__ = ["RepeatVector"]
