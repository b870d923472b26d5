"""`ReLU`: Keras' rectifier with `max_value`, `negative_slope` and `threshold`."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ...ops import inductor_cpu
from ..base import NUMERIC, Layer


def _non_negative(layer: Layer, arg: str, value, allow_none: bool = False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise layer._arg_error(arg, "must be a non-negative float" + (" or None" if allow_none else ""), value)
    return value


class ReLU(Layer, built_at_init=True):
    """Keras `ReLU(max_value=None, negative_slope=0.0, threshold=0.0)`:
    ``f(x) = min(x, max_value)`` for ``x > threshold``, ``negative_slope * (x - threshold)`` below.
    Written as Keras' `activations.relu` composes it, so the gradients at the kinks agree too."""

    supports_masking = True
    input_dtypes = NUMERIC  # Keras' relu has no bool variant

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        self.max_value = _non_negative(self, "max_value", max_value, allow_none=True)
        self.negative_slope = _non_negative(self, "negative_slope", negative_slope)
        self.threshold = _non_negative(self, "threshold", threshold)

    def forward(self, inputs):
        slope, max_value, threshold = self.negative_slope, self.max_value, self.threshold
        if slope != 0 and not inputs.is_floating_point():
            if max_value is not None or threshold != 0:  # Keras cannot cast the slope to the integer dtype
                raise self._arg_error("inputs", "must be floating when negative_slope is combined with max_value "
                                      "or threshold", inputs.dtype, TypeError)
            inputs = inputs.to(torch.float32)  # Keras' leaky_relu promotes integers to float32
        if slope != 0 and max_value is None and threshold == 0:
            return inductor_cpu.leaky_relu(inputs, slope)
        if threshold != 0:
            outputs = torch.where(inputs > threshold, inputs, torch.zeros_like(inputs))
        elif max_value == 6:
            outputs, max_value = inductor_cpu.relu6(inputs), None  # tf.nn.relu6: zero gradient at 6, like F.relu6
        else:
            outputs = inductor_cpu.relu(inputs)
        if max_value is not None:
            outputs = torch.clamp(outputs, 0.0, max_value)
        if slope != 0:
            outputs = outputs - slope * F.relu(threshold - inputs)
        return outputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "max_value": self.max_value, "negative_slope": self.negative_slope,
                "threshold": self.threshold}

__all__ = ["ReLU"]
