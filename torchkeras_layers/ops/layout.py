"""Free (view-only) moves between Keras' data layouts and the (N, C, *spatial) layout torch kernels take.

A contiguous channels-last tensor ``(N, *spatial, C)`` moved to ``(N, C, *spatial)`` is a view with
torch's ``channels_last`` memory format; convolution and pooling kernels accept it as is and return
``channels_last`` memory, so moving the result back is free as well. 1-D inputs are lifted to 2-D
(a unit height axis) because torch's 1-D kernels would otherwise copy to a contiguous ``(N, C, L)``.
"""

from __future__ import annotations

import torch

__all__ = ["to_channels_first", "from_channels_first", "lift_1d"]


def lift_1d(values: tuple) -> tuple:
    """Per-axis arguments of a 1-D op, lifted to the 2-D op that runs it (unit first axis)."""
    return (1,) + tuple(values) if len(values) == 1 else tuple(values)


def to_channels_first(x: torch.Tensor, data_format: str) -> torch.Tensor:
    """``(N, *spatial, C)`` or ``(N, C, *spatial)`` -> a ``(N, C, *spatial)`` view, 1-D lifted to 2-D."""
    if data_format == "channels_last":
        if x.dim() == 3:
            x = x.unsqueeze(1)  # (N, 1, L, C): a unit height axis
        return x.movedim(-1, 1)
    return x.unsqueeze(2) if x.dim() == 3 else x


def from_channels_first(y: torch.Tensor, data_format: str, rank: int) -> torch.Tensor:
    """Inverse of :func:`to_channels_first` for an op of spatial rank `rank`."""
    if data_format == "channels_last":
        y = y.movedim(1, -1)
        return y.squeeze(1) if rank == 1 else y
    return y.squeeze(2) if rank == 1 else y
