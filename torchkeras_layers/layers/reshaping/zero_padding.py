"""What ZeroPadding1D/2D/3D share: one `F.pad` of the spatial axes, in either data format."""

from __future__ import annotations

import torch.nn.functional as F

from ...ops.padding import torch_pad_arg
from ..base import Layer


def spatial_axes(data_format: str, rank: int) -> range:
    """The spatial axes of a (batch, ..., channels) or (batch, channels, ...) tensor of spatial `rank`."""
    return range(1, rank + 1) if data_format == "channels_last" else range(2, rank + 2)


class BaseZeroPadding(Layer, registered=False):
    """Subclasses set `data_format`, `padding` (Keras' config form) and `axis_pads` (per spatial axis)."""

    data_format: str
    axis_pads: tuple

    def forward(self, inputs):
        # F.pad's flat argument runs from the last axis backwards: channels_last adds (0, 0) for channels.
        pads = self.axis_pads + ((0, 0),) if self.data_format == "channels_last" else self.axis_pads
        return F.pad(inputs, torch_pad_arg(pads))

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        for axis, (lo, hi) in zip(spatial_axes(self.data_format, len(self.axis_pads)), self.axis_pads):
            if shape[axis] is not None:
                shape[axis] += lo + hi
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}
