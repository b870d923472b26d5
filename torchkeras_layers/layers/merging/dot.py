from __future__ import annotations

import math

import torch

from ...ops.normalize import l2_normalize
from .base_merge import Merge


class Dot(Merge):
    """Keras `Dot(axes, normalize=False)`: batch-wise dot product of two inputs over `axes`.

    The result's dims are x's remaining dims then y's remaining non-batch dims; two 2-D inputs give
    (B, 1), as in Keras. `normalize=True` L2-normalises both inputs along the dot axes first
    (cosine similarity), with Keras' `x * min(rsqrt(sum x^2), 1e7)`. The output mask is always None.
    """

    min_inputs = max_inputs = 2

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axes, (list, tuple)):
            if len(axes) != 2:
                raise self._arg_error("axes", "must be an int or a pair of ints", axes)
            if any(isinstance(a, bool) or not isinstance(a, int) for a in axes):
                raise self._arg_error("axes", "must contain integers", axes)
        elif isinstance(axes, bool) or not isinstance(axes, int):
            raise self._arg_error("axes", "must be an int or a pair of ints", axes, exc=TypeError)
        self.axes = axes
        self.normalize = bool(normalize)

    def _resolved_axes(self, rank_x: int, rank_y: int) -> tuple[int, int]:
        pair = (self.axes, self.axes) if isinstance(self.axes, int) else tuple(self.axes)
        return pair[0] % rank_x, pair[1] % rank_y

    def _validate_shapes(self, shapes) -> tuple:
        cls = type(self).__name__
        if not isinstance(shapes, (list, tuple)) or len(shapes) != 2 or not isinstance(shapes[0], (list, tuple)):
            raise ValueError(f"{cls}: should be called on a list of 2 inputs; received input_shape={shapes}")
        x, y = (tuple(s) for s in shapes)
        if len(x) < 2 or len(y) < 2:
            raise ValueError(f"{cls}: cannot do batch_dot on inputs with rank < 2; received shapes {x} and {y}")
        if x[0] is not None and y[0] is not None and x[0] != y[0]:
            raise ValueError(f"{cls}: cannot merge tensors with different batch sizes; received shapes {x} and {y}")
        ax, ay = self._resolved_axes(len(x), len(y))
        if ax == 0 or ay == 0:
            raise ValueError(f"{cls}: argument `axes` cannot include the batch axis 0; received axes={self.axes}")
        if x[ax] is not None and y[ay] is not None and x[ax] != y[ay]:
            raise ValueError(f"{cls}: incompatible input shapes: axis values {x[ax]} (at axis {ax}) != {y[ay]} "
                             f"(at axis {ay}); full input shapes: {x}, {y}")
        out = x[:ax] + x[ax + 1:] + y[1:ay] + y[ay + 1:]
        return out if len(out) > 1 else out + (1,)

    def forward(self, inputs, mask=None):
        (x, y), _ = self._check_call(inputs, mask)
        ax, ay = self._resolved_axes(x.dim(), y.dim())
        if self.normalize:
            x, y = l2_normalize(x, ax), l2_normalize(y, ay)
        x = x.movedim(ax, -1)  # (B, *x_rest, K)
        y = y.movedim(ay, 1)  # (B, K, *y_rest)
        x_rest, y_rest = x.shape[1:-1], y.shape[2:]
        out = torch.bmm(x.reshape(x.shape[0], math.prod(x_rest), x.shape[-1]),
                        y.reshape(y.shape[0], y.shape[1], math.prod(y_rest)))
        out = out.reshape(x.shape[:1] + x_rest + y_rest)
        return out if out.dim() > 1 else out.unsqueeze(-1)

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}

__all__ = ["Dot"]
