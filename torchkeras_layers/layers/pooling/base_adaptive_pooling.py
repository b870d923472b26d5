"""`BaseAdaptivePooling`: pooling to a fixed `output_size` whatever the input size (Keras 3.15)."""

from __future__ import annotations

from ...ops.layout import from_channels_first, lift_1d, to_channels_first
from ..arguments import DATA_FORMATS
from ..base import FLOATING, InputSpec, Layer


class BaseAdaptivePooling(Layer, registered=False):
    """Output cell i of an axis of length L pooled to O cells covers ``[floor(i*L/O), ceil((i+1)*L/O))``
    (Keras' and torch's bins, identical; O > L is allowed and repeats cells)."""

    rank: int
    input_dtypes = FLOATING  # torch's pooling kernels have no integer/bool variants

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(output_size, int) and not isinstance(output_size, bool):
            output_size = (output_size,) * self.rank
        elif isinstance(output_size, (tuple, list)):
            if len(output_size) != self.rank:
                raise self._arg_error("output_size", f"must be an int or a tuple of {self.rank} ints", output_size)
            output_size = tuple(output_size)
        else:
            raise self._arg_error("output_size", f"must be an int or a tuple of {self.rank} ints", output_size, TypeError)
        if any(isinstance(o, bool) or not isinstance(o, int) or o <= 0 for o in output_size):
            raise self._arg_error("output_size", "must contain only positive integers", output_size)
        # Keras does not lower-case this argument (unlike other layers): "CHANNELS_LAST" is rejected.
        data_format = "channels_last" if data_format is None else data_format
        if data_format not in DATA_FORMATS:
            raise self._arg_error("data_format", f"must be one of {DATA_FORMATS}", data_format)
        self.output_size = output_size
        self.data_format = data_format
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self._op_output_size = lift_1d(output_size)

    def _pool(self, x):
        raise NotImplementedError

    def forward(self, inputs):
        spatial = inputs.shape[1:-1] if self.data_format == "channels_last" else inputs.shape[2:]
        if 0 in spatial:
            raise ValueError(f"{self.__class__.__name__} ({self.name!r}): the pooled axes must not be empty; "
                             f"received input shape {tuple(inputs.shape)}")
        if inputs.numel() == 0:  # no channels (or no batch): torch's kernels refuse it
            return inputs.new_empty(self.compute_output_shape(tuple(inputs.shape)))
        y = self._pool(to_channels_first(inputs, self.data_format))
        return from_channels_first(y, self.data_format, self.rank)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.data_format == "channels_last":
            return (input_shape[0], *self.output_size, input_shape[-1])
        return (input_shape[0], input_shape[1], *self.output_size)

    def get_config(self):
        return {**super().get_config(), "output_size": self.output_size, "data_format": self.data_format}
