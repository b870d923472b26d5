"""`Dropout`: inverted dropout, active only in training, with Keras' `noise_shape`."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ...ops import inductor_cpu
from ..base import Layer


class Dropout(Layer, built_at_init=True):
    """Keras `Dropout(rate, noise_shape=None, seed=None)`.

    Kept values are scaled by 1/(1-rate); identity unless training. `noise_shape` entries are None (take
    the input's size), 1 (broadcast the mask) or the input's size. With a `seed`, the layer owns a
    `torch.Generator`: two layers with the same seed draw the same masks and successive calls draw new
    ones (the streams cannot equal TensorFlow's stateless ones). Under `torch.compile` the seeded
    generator is not used (compiled code draws from the global RNG); compiled CPU training draws the
    mask as a float (`ops.inductor_cpu.dropout`: inductor would save a bool mask, slow to write).
    """

    supports_masking = True

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            raise self._arg_error("rate", "must be a float between 0 and 1", rate)
        if noise_shape is not None:
            if not isinstance(noise_shape, (tuple, list)) or any(
                d is not None and (isinstance(d, bool) or not isinstance(d, int) or d < 1) for d in noise_shape
            ):
                raise self._arg_error("noise_shape", "must be None or a tuple of positive ints / None", noise_shape)
            noise_shape = tuple(noise_shape)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise self._arg_error("seed", "must be None or an int", seed)
        self.rate = float(rate)
        self.noise_shape = noise_shape
        self.seed = seed
        self._generator: torch.Generator | None = None

    def _noise_shape(self, inputs) -> tuple:
        if self.noise_shape is None:
            return tuple(inputs.shape)
        if len(self.noise_shape) != inputs.dim():
            raise ValueError(
                f"Dropout ({self.name!r}): argument `noise_shape` must have one entry per input axis "
                f"({inputs.dim()}); received noise_shape={self.noise_shape} for input shape {tuple(inputs.shape)}"
            )
        shape = []
        for axis, (n, d) in enumerate(zip(self.noise_shape, inputs.shape)):
            if n is not None and n != 1 and n != d:
                raise ValueError(
                    f"Dropout ({self.name!r}): argument `noise_shape` entry {axis} must be None, 1 or {d}; "
                    f"received noise_shape={self.noise_shape} for input shape {tuple(inputs.shape)}"
                )
            shape.append(d if n is None else n)
        return tuple(shape)

    def forward(self, inputs, training=None):
        if not self.resolve_training(training) or self.rate == 0.0:
            return inputs
        if self.rate == 1.0:
            return inputs * 0.0  # zeros that still carry a (zero) gradient, as in Keras
        seeded = self.seed is not None and not torch.compiler.is_compiling()
        if inductor_cpu.traced_for_cpu_training(inputs):  # a float mask, not bools: see there
            return inductor_cpu.dropout(inputs, self.rate, self._noise_shape(inputs))
        if self.noise_shape is None and not seeded:
            return F.dropout(inputs, self.rate, training=True)
        keep = torch.empty(self._noise_shape(inputs), dtype=inputs.dtype, device=inputs.device)
        keep.bernoulli_(1.0 - self.rate, generator=self._seeded_generator(inputs.device) if seeded else None)
        return inputs * keep / (1.0 - self.rate)

    def _seeded_generator(self, device) -> torch.Generator:
        if self._generator is None or self._generator.device != device:
            self._generator = torch.Generator(device=device)
            self._generator.manual_seed(self.seed)
        return self._generator

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed, "noise_shape": self.noise_shape}

__all__ = ["Dropout"]
