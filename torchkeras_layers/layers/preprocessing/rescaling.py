"""`Rescaling`: `inputs * scale + offset`, with scalar or per-channel (last axis) scale and offset."""

from __future__ import annotations

import numbers

import numpy as np
import torch

from ..base import Layer


class Rescaling(Layer):
    """Keras `Rescaling(scale, offset=0.0)`.

    `scale` and `offset` are numbers or per-channel lists (broadcast against the last axis). Integer
    inputs become the compute dtype. The factors are non-persistent buffers (they come from the config),
    so they follow `.to(device)` / `.double()`.
    """

    supports_masking = True

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale
        self.offset = offset
        self.register_buffer("_scale", self._factor("scale", scale), persistent=False)
        self.register_buffer("_offset", self._factor("offset", offset), persistent=False)

    def _factor(self, arg: str, value) -> torch.Tensor:
        array = np.asarray(value) if isinstance(value, (list, tuple, np.ndarray)) else None
        if array is not None and array.dtype.kind in "iuf" and array.ndim >= 1:
            return torch.as_tensor(array, dtype=self.compute_dtype)
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            return torch.tensor(float(value), dtype=self.compute_dtype)
        raise self._arg_error(arg, "must be a number or a list of numbers (one per channel)", value, TypeError)

    def forward(self, inputs, mask=None):
        x = inputs if inputs.is_floating_point() else inputs.to(self.compute_dtype)
        for arg, factor in (("scale", self._scale), ("offset", self._offset)):
            trailing = tuple(x.shape[x.dim() - factor.dim():]) if x.dim() >= factor.dim() else None
            if factor.dim() and (trailing is None or any(f not in (1, d) for f, d in zip(factor.shape, trailing))):
                raise ValueError(f"{self.__class__.__name__} ({self.name!r}): argument `{arg}` of shape "
                                 f"{tuple(factor.shape)} does not match the trailing axes of the input shape "
                                 f"{tuple(inputs.shape)}")
        return x * self._scale.to(x.dtype) + self._offset.to(x.dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "scale": _plain(self.scale), "offset": _plain(self.offset)}


def _plain(value):
    """What Keras' serialize_keras_object gives for a number or a list of numbers."""
    return np.asarray(value).tolist() if isinstance(value, np.ndarray) else value

__all__ = ["Rescaling"]
