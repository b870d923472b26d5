"""`ActivityRegularization`: the identity, adding an L1/L2 penalty on its input to `losses`."""

from __future__ import annotations

from ...regularizers import L1L2
from ..base import Layer


class ActivityRegularization(Layer, built_at_init=True):
    """Keras `ActivityRegularization(l1=0.0, l2=0.0)`: ``l1 * sum|x| + l2 * sum x^2``, divided by the
    batch size (Keras 3), recorded as the activity loss of each forward."""

    supports_masking = True

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        if "activity_regularizer" in kwargs:
            raise TypeError("ActivityRegularization: argument `activity_regularizer` is set by `l1` and `l2`; "
                            f"received activity_regularizer={kwargs['activity_regularizer']!r}")
        try:
            regularizer = L1L2(l1=l1, l2=l2)
        except ValueError as err:
            raise ValueError(f"ActivityRegularization: {err}") from None
        super().__init__(activity_regularizer=regularizer, **kwargs)
        self.l1 = l1
        self.l2 = l2

    def forward(self, inputs):
        return self.add_activity_loss(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.pop("activity_regularizer", None)
        return {**config, "l1": self.l1, "l2": self.l2}

__all__ = ["ActivityRegularization"]
