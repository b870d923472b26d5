"""Image geometry shared by CenterCrop and Resizing: Keras' aspect-ratio crop/pad boxes and TF's resize.

Images are rank 3 (one image) or rank 4 (a batch), channels_last or channels_first. The crop and pad
boxes follow `keras.src.backend.tensorflow.image.resize` (the reference backend) to the integer.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ...ops.resize import apply_axis_matrix, resize_matrix

# tf.image.resize methods torch reproduces, as F.interpolate modes. Without antialias: TF's "bilinear"
# (half-pixel centres) is torch's bilinear with align_corners=False, TF's half-pixel "nearest"
# (floor((i + 0.5) * scale)) is torch's "nearest-exact". With antialias, TF's scale-and-translate kernels
# (triangle; Keys cubic with a=-0.5) equal torch's antialiased bilinear and bicubic (measured on 9x13 to
# 4x5, 3x3 and 14x20: max |diff| 2.4e-7 and 1.9e-6 in float32); TF ignores antialias for "nearest".
TORCH_MODES = {"bilinear": "bilinear", "nearest": "nearest-exact"}
ANTIALIAS_MODES = {"bilinear": "bilinear", "bicubic": "bicubic", "nearest": "nearest-exact"}
# The others, without an equal torch kernel, are separable TF weight matrices (ops/resize.py): plain
# "bicubic" is Keys' cubic with a=-0.5 (torch's non-antialiased bicubic: a=-0.75; max |diff| 0.23
# measured), "area" weighs fractional pixel coverage (torch's adaptive pooling does not; 0.47), and torch
# has no Lanczos kernel. TF ignores antialias for "area".
KERAS_INTERPOLATIONS = ("bilinear", "nearest", "lanczos3", "lanczos5", "bicubic", "area")


def spatial_axes(rank: int, data_format: str) -> tuple[int, int]:
    """(height axis, width axis) of a rank-3 or rank-4 image tensor."""
    return (rank - 2, rank - 1) if data_format == "channels_first" else (rank - 3, rank - 2)


def check_resizable(layer, images: torch.Tensor, data_format: str) -> None:
    """tf.image.resize rejects an image without rows, columns or channels (an empty batch is fine);
    torch's kernels would fail with raw errors."""
    h_axis, w_axis = spatial_axes(images.dim(), data_format)
    c_axis = h_axis - 1 if data_format == "channels_first" else w_axis + 1
    if 0 in (images.shape[h_axis], images.shape[w_axis], images.shape[c_axis]):
        raise ValueError(f"{layer.__class__.__name__} ({layer.name!r}): cannot resize an image without rows, "
                         f"columns or channels; received input shape {tuple(images.shape)}")


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
           pad: tuple[int, int] = (0, 0), fill_value: float = 0.0, antialias: bool = False) -> torch.Tensor:
    """`tf.image.resize(images, size, method=interpolation, antialias=antialias)` after an optional constant pad of
    (rows, columns) on each side, in `images`' layout. Works on an NCHW view: for channels_last
    input that is a channels_last-strided view, so the kernels read it without a copy."""
    batched = images.dim() == 4
    x = images if batched else images.unsqueeze(0)
    if data_format == "channels_last":
        x = x.permute(0, 3, 1, 2)
    rows, columns = pad
    if rows or columns:
        x = F.pad(x, (columns, columns, rows, rows), value=float(fill_value))
    mode = (ANTIALIAS_MODES if antialias else TORCH_MODES).get(interpolation)
    if mode is None:
        y = x.float() if x.dtype in (torch.float16, torch.bfloat16) else x  # TF resizes those in float32
        for axis, size_out in ((2, size[0]), (3, size[1])):
            y = apply_axis_matrix(y, resize_matrix(interpolation, y.shape[axis], size_out, y.device, antialias), axis)
        y = y.to(x.dtype)
    elif mode == "nearest-exact":
        y = F.interpolate(x, size=size, mode=mode)
    else:
        y = F.interpolate(x, size=size, mode=mode, align_corners=False, antialias=antialias)
    if data_format == "channels_last":
        y = y.permute(0, 2, 3, 1)
    return y if batched else y.squeeze(0)


def saturate_cast(values: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """Keras' `_saturate_cast` for integer images: round, clip to the dtype's range, cast."""
    info = torch.iinfo(dtype)
    return torch.round(values).clamp(info.min, info.max).to(dtype)
