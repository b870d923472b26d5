"""Image geometry shared by CenterCrop and Resizing: Keras' aspect-ratio crop/pad boxes and TF's resize.

Images are rank 3 (one image) or rank 4 (a batch), channels_last or channels_first. The crop and pad
boxes follow `keras.src.backend.tensorflow.image.resize` (the reference backend) to the integer.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

# tf.image.resize methods torch reproduces exactly, as F.interpolate modes: TF's "bilinear" (half-pixel
# centres, no antialias) is torch's bilinear with align_corners=False, TF's half-pixel "nearest"
# (floor((i + 0.5) * scale)) is torch's "nearest-exact".
TORCH_MODES = {"bilinear": "bilinear", "nearest": "nearest-exact"}
# Accepted by Keras, without an equal torch kernel: tf.image.resize's "bicubic" is Keys' cubic with
# a=-0.5 (torch: a=-0.75), "area" weighs fractional pixel coverage (torch's adaptive pooling does not),
# and torch has no Lanczos kernel.
KERAS_ONLY_INTERPOLATIONS = ("lanczos3", "lanczos5", "bicubic", "area")


def spatial_axes(rank: int, data_format: str) -> tuple[int, int]:
    """(height axis, width axis) of a rank-3 or rank-4 image tensor."""
    return (rank - 2, rank - 1) if data_format == "channels_first" else (rank - 3, rank - 2)


def crop_box(height: int, width: int, target_height: int, target_width: int) -> tuple[int, int, int, int]:
    """Keras' centred crop to the target aspect ratio: (top, left, crop height, crop width)."""
    crop_height = max(min(height, int(float(width * target_height) / target_width)), 1)
    crop_width = max(min(width, int(float(height * target_width) / target_height)), 1)
    return int(float(height - crop_height) / 2), int(float(width - crop_width) / 2), crop_height, crop_width


def pad_amounts(height: int, width: int, target_height: int, target_width: int) -> tuple[int, int]:
    """Keras' padding to the target aspect ratio: rows added on *each* side of the height, columns on each
    side of the width (TF pads the rounded-down half on both sides, so an odd total loses one)."""
    pad_height = max(height, int(float(width * target_height) / target_width))
    pad_width = max(width, int(float(height * target_width) / target_height))
    return int(float(pad_height - height) / 2), int(float(pad_width - width) / 2)


def crop(images: torch.Tensor, data_format: str, top: int, left: int, height: int, width: int) -> torch.Tensor:
    """A view of the box (no copy)."""
    h_axis, w_axis = spatial_axes(images.dim(), data_format)
    return images.narrow(h_axis, top, height).narrow(w_axis, left, width)


def resize(images: torch.Tensor, size: tuple[int, int], interpolation: str, data_format: str,
           pad: tuple[int, int] = (0, 0), fill_value: float = 0.0) -> torch.Tensor:
    """`tf.image.resize(images, size, method=interpolation)` after an optional constant pad of
    (rows, columns) on each side, in `images`' layout. Works on an NCHW view: for channels_last
    input that is a channels_last-strided view, so the kernels read it without a copy."""
    batched = images.dim() == 4
    x = images if batched else images.unsqueeze(0)
    if data_format == "channels_last":
        x = x.permute(0, 3, 1, 2)
    rows, columns = pad
    if rows or columns:
        x = F.pad(x, (columns, columns, rows, rows), value=float(fill_value))
    mode = TORCH_MODES[interpolation]
    if mode == "bilinear":
        y = F.interpolate(x, size=size, mode=mode, align_corners=False, antialias=False)
    else:
        y = F.interpolate(x, size=size, mode=mode)
    if data_format == "channels_last":
        y = y.permute(0, 2, 3, 1)
    return y if batched else y.squeeze(0)


def saturate_cast(values: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """Keras' `_saturate_cast` for integer images: round, clip to the dtype's range, cast."""
    info = torch.iinfo(dtype)
    return torch.round(values).clamp(info.min, info.max).to(dtype)
