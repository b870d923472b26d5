"""`BilinearPooling`: bilinear (second-order) pooling of one or two feature maps (not in Keras).

Definition. With feature maps ``a`` (C1 channels) and ``b`` (C2 channels) over the same N spatial
locations l (b = a when one map is given):

    z = (1/N) * sum_l a_l b_l^T                      (C1 x C2, flattened row-major: index i*C2 + j)
    y = sign(z) * (sqrt(|z| + epsilon) - sqrt(epsilon))    if signed_sqrt
    y = y / max(||y||_2, epsilon)                     if l2_normalize

Source: Lin, RoyChowdhury & Maji, "Bilinear CNN Models for Fine-grained Visual Recognition", ICCV 2015,
§3 (bilinear feature = outer product pooled over locations, then signed square root and L2
normalisation). The paper sums over locations; we average (the issue's definition), which only scales
z by 1/N and cancels under L2 normalisation. `epsilon` keeps the square root's and the norm's
gradients finite at 0 (the paper's ``sqrt(|z|)`` has an infinite derivative there); the signed root
stays within ``sqrt(epsilon)`` (1e-6 by default) of the paper's and is exactly 0 at 0.
"""

from __future__ import annotations

import math

import torch

from ...ops.pooling import bilinear_normalize
from ..arguments import standardize_data_format
from ..base import Layer


class BilinearPooling(Layer, torch_only=True):
    """`BilinearPooling(signed_sqrt=True, l2_normalize=True, epsilon=1e-12, data_format=None)`.

    Call with one tensor ``(batch, *spatial, C)`` or a list of two ``[(batch, *spatial, C1),
    (batch, *spatial, C2)]`` with the same batch and spatial sizes (channels first with
    ``data_format="channels_first"``); the output is ``(batch, C1 * C2)``.
    """

    def __init__(self, signed_sqrt=True, l2_normalize=True, epsilon=1e-12, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float)) or not math.isfinite(epsilon) or epsilon <= 0:
            raise self._arg_error("epsilon", "must be a positive finite number", epsilon)
        self.signed_sqrt = bool(signed_sqrt)
        self.l2_normalize = bool(l2_normalize)
        self.epsilon = float(epsilon)
        self.data_format = standardize_data_format(self, data_format)

    def _pair(self, inputs) -> tuple[torch.Tensor, torch.Tensor]:
        if isinstance(inputs, (list, tuple)):
            if len(inputs) != 2:
                raise ValueError(f"{type(self).__name__} ({self.name!r}): argument `inputs` must be one tensor or a list of 2; received {len(inputs)} tensors")
            a, b = inputs
        else:
            a = b = inputs
        if a.dim() < 3 or a.dim() != b.dim():
            raise ValueError(
                f"{type(self).__name__} ({self.name!r}): argument `inputs` must have rank >= 3 (batch, spatial..., channels), "
                f"the same for both maps; received shapes {tuple(a.shape)} and {tuple(b.shape)}"
            )
        spatial = slice(1, -1) if self.data_format == "channels_last" else slice(2, None)
        if a.shape[0] != b.shape[0] or a.shape[spatial] != b.shape[spatial]:
            raise ValueError(
                f"{type(self).__name__} ({self.name!r}): argument `inputs`: both maps need the same batch and spatial sizes; "
                f"received shapes {tuple(a.shape)} and {tuple(b.shape)}"
            )
        return a, b

    def forward(self, inputs):
        a, b = self._pair(inputs)
        batch = a.shape[0]
        if self.data_format == "channels_last":  # (B, N, C): z = a^T b, transposes are free views
            a, b = a.flatten(1, -2), b.flatten(1, -2)
            locations = a.shape[1]
            z = torch.bmm(a.transpose(1, 2), b)
        else:  # (B, C, N): z = a b^T
            a, b = a.flatten(2), b.flatten(2)
            locations = a.shape[2]
            z = torch.bmm(a, b.transpose(1, 2))
        return bilinear_normalize((z / locations).reshape(batch, -1), self.signed_sqrt, self.l2_normalize, self.epsilon)

    def compute_output_shape(self, input_shape):
        shapes = input_shape if isinstance(input_shape, list) else [input_shape, input_shape]
        axis = -1 if self.data_format == "channels_last" else 1
        c1, c2 = shapes[0][axis], shapes[1][axis]
        return (shapes[0][0], None if c1 is None or c2 is None else c1 * c2)

    def get_config(self):
        return {**super().get_config(), "signed_sqrt": self.signed_sqrt, "l2_normalize": self.l2_normalize,
                "epsilon": self.epsilon, "data_format": self.data_format}

__all__ = ["BilinearPooling"]
