"""Projective image transforms as TensorFlow's `ImageProjectiveTransformV3` computes them (Keras'
`ops.image.affine_transform` on its TensorFlow backend), and the transform matrices of Keras' random
rotation, zoom and translation layers.

A transform is 8 numbers per image, ``[a0, a1, a2, b0, b1, b2, c0, c1]``: the output pixel (x, y) reads
the input at ((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k), k = c0 x + c1 y + 1, in pixel-index
coordinates. TF evaluates coordinates and the bilinear blend in float32 whatever the image dtype, maps
out-of-range coordinates per fill mode (below), then reads pixels outside the image as `fill_value`.
`F.grid_sample` has neither the "wrap" mode, a fill value, nor TF's "reflect" rule, so this is an explicit
gather: one `torch.gather` per tap on a (batch, pixels, channels) view.
"""

from __future__ import annotations

import math

import torch

__all__ = ["FILL_MODES", "INTERPOLATIONS", "affine_transform", "rotation_transform", "translation_transform",
           "zoom_transform"]

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("nearest", "bilinear")


def _map_coordinate(coord: torch.Tensor, size: int, fill_mode: str) -> torch.Tensor:
    """TF's `MapCoordinate<fill_mode>` on one axis of `size` pixels (float32 coordinates)."""
    if fill_mode == "constant":
        return coord  # out-of-range reads become fill_value
    if fill_mode == "nearest" or size <= 1:
        return coord.clamp(0, size - 1)
    if fill_mode == "reflect":  # (d c b a | a b c d | d c b a)
        period = 2 * size
        below = coord + period * torch.trunc(-coord / period)
        below = torch.where(below < -size, below + period, -below - 1)
        above = coord - period * torch.trunc(coord / period)
        above = torch.where(above >= size, period - above - 1, above)
    else:  # "wrap", (a b c d | a b c d | a b c d); TF divides by size - 1, not size
        below = coord + size * (torch.trunc(-coord / (size - 1)) + 1)
        above = coord - size * torch.trunc(coord / (size - 1))
    mapped = torch.where(coord < 0, below, torch.where(coord > size - 1, above, coord))
    return mapped.clamp(0, size - 1)  # a coordinate of e.g. size - 0.5 would round out of the image


def affine_transform(images: torch.Tensor, transform: torch.Tensor, interpolation: str = "bilinear",
                     fill_mode: str = "constant", fill_value: float = 0.0,
                     data_format: str = "channels_last") -> torch.Tensor:
    """`keras.ops.image.affine_transform` (TF backend) of a batch `images` (rank 4) with one transform per
    image, `transform` of shape (batch, 8). The output has the input's shape and dtype."""
    channels_last = data_format == "channels_last"
    batch = images.shape[0]
    height, width = (images.shape[1], images.shape[2]) if channels_last else (images.shape[2], images.shape[3])
    t = transform.to(device=images.device, dtype=torch.float32).reshape(batch, 8, 1)
    ys, xs = torch.meshgrid(torch.arange(height, device=images.device, dtype=torch.float32),
                            torch.arange(width, device=images.device, dtype=torch.float32), indexing="ij")
    xs, ys = xs.reshape(1, -1), ys.reshape(1, -1)
    projection = t[:, 6] * xs + t[:, 7] * ys + 1.0
    x = _map_coordinate((t[:, 0] * xs + t[:, 1] * ys + t[:, 2]) / projection, width, fill_mode)
    y = _map_coordinate((t[:, 3] * xs + t[:, 4] * ys + t[:, 5]) / projection, height, fill_mode)
    degenerate = projection == 0  # TF fills the whole pixel

    pixels = images.reshape(batch, height * width, -1) if channels_last else images.reshape(batch, -1, height * width)
    fill = torch.tensor(fill_value, dtype=torch.float32, device=images.device)

    def read(row: torch.Tensor, column: torch.Tensor) -> torch.Tensor:
        """Pixels at integer (row, column), (batch, outputs), as float32 in the (batch, pixels, channels) or
        (batch, channels, pixels) layout; fill_value outside the image."""
        inside = (row >= 0) & (row < height) & (column >= 0) & (column < width) & ~degenerate
        flat = (row.clamp(0, height - 1) * width + column.clamp(0, width - 1)).long()
        if channels_last:
            values = pixels.gather(1, flat.unsqueeze(-1).expand(-1, -1, pixels.shape[2]))
            inside = inside.unsqueeze(-1)
        else:
            values = pixels.gather(2, flat.unsqueeze(1).expand(-1, pixels.shape[1], -1))
            inside = inside.unsqueeze(1)
        return torch.where(inside, values.float(), fill)

    def weight(w: torch.Tensor) -> torch.Tensor:
        return w.unsqueeze(-1) if channels_last else w.unsqueeze(1)

    if interpolation == "nearest":
        # std::round: halves away from zero (torch.round rounds them to even)
        outputs = read(torch.sign(y) * torch.floor(y.abs() + 0.5), torch.sign(x) * torch.floor(x.abs() + 0.5))
    else:
        y0, x0 = torch.floor(y), torch.floor(x)
        y1, x1 = y0 + 1, x0 + 1
        top = weight(x1 - x) * read(y0, x0) + weight(x - x0) * read(y0, x1)
        bottom = weight(x1 - x) * read(y1, x0) + weight(x - x0) * read(y1, x1)
        outputs = weight(y1 - y) * top + weight(y - y0) * bottom
    if channels_last:
        outputs = outputs.reshape(batch, height, width, -1)
    else:
        outputs = outputs.reshape(batch, -1, height, width)
    return outputs.to(images.dtype)


def rotation_transform(angle: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Keras' `_compute_affine_matrix` for a rotation by `angle` degrees (batch,) about the image centre,
    without translation, scaling or shear: (batch, 8) float32."""
    theta = angle.float() * (math.pi / 180.0)
    cx, cy = 0.5 * (width - 1), 0.5 * (height - 1)
    cos, sin = torch.cos(theta), torch.sin(theta)
    zeros = torch.zeros_like(theta)
    a0, a1, b0, b1 = cos, -sin, sin, cos
    return torch.stack([a0, a1, cx - cx * a0 - cy * a1, b0, b1, cy - cx * b0 - cy * b1, zeros, zeros], dim=1)


def zoom_transform(height_zoom: torch.Tensor, width_zoom: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Keras' `RandomZoom._get_zoom_matrix`: scale by the zooms (batch, 1) about the image centre."""
    zx, zy = width_zoom.float().reshape(-1), height_zoom.float().reshape(-1)
    zeros = torch.zeros_like(zx)
    x_offset = (width - 1.0) / 2.0 * (1.0 - zx)
    y_offset = (height - 1.0) / 2.0 * (1.0 - zy)
    return torch.stack([zx, zeros, x_offset, zeros, zy, y_offset, zeros, zeros], dim=1)


def translation_transform(translations: torch.Tensor) -> torch.Tensor:
    """Keras' `RandomTranslation._get_translation_matrix`: shift by (dx, dy) pixels, `translations` (batch, 2)."""
    dx, dy = translations.float().unbind(1)
    ones, zeros = torch.ones_like(dx), torch.zeros_like(dx)
    return torch.stack([ones, zeros, -dx, zeros, ones, -dy, zeros, zeros], dim=1)
