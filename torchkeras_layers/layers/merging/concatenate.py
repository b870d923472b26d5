from __future__ import annotations

import torch

from .base_merge import Merge


class Concatenate(Merge):
    """Keras `Concatenate(axis=-1)`: ranks must match and every other dim must match (no broadcasting).
    Output mask: unmasked inputs count as all-True, masks are concatenated along `axis` and reduced
    with any() over the last axis, as in Keras."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise self._arg_error("axis", "must be an int", axis, exc=TypeError)
        self.axis = axis

    def _validate_shapes(self, shapes) -> tuple:
        cls = type(self).__name__
        if not isinstance(shapes, (list, tuple)) or not shapes or not isinstance(shapes[0], (list, tuple)):
            raise ValueError(f"{cls}: should be called on a list of at least 1 input; received input_shape={shapes}")
        rank = len(shapes[0])
        if any(len(s) != rank for s in shapes) or not -rank <= self.axis < rank:
            raise ValueError(f"{cls}: requires inputs of equal rank with axis={self.axis} in range; received input_shape={list(shapes)}")
        axis = self.axis % rank
        out = list(shapes[0])
        for shape in shapes[1:]:
            for i, (a, b) in enumerate(zip(out, shape)):
                if i == axis:
                    out[i] = None if a is None or b is None else a + b
                elif a is not None and b is not None and a != b:
                    raise ValueError(
                        f"{cls}: requires inputs with matching shapes except for the concatenation axis "
                        f"{self.axis}; received input_shape={list(shapes)}"
                    )
                elif a is None:
                    out[i] = b
        return tuple(out)

    def forward(self, inputs, mask=None):
        tensors, _ = self._check_call(inputs, mask)
        return torch.cat(tensors, dim=self.axis)

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        mask = self._check_masks(inputs, mask)
        if all(m is None for m in mask):
            return None
        masks = []
        for x, m in zip(inputs, mask):
            if m is None:
                masks.append(torch.ones_like(x, dtype=torch.bool))
            elif m.dim() < x.dim():
                masks.append(m.to(torch.bool).unsqueeze(-1).expand(x.shape))
            else:
                masks.append(m.to(torch.bool))
        return torch.cat(masks, dim=self.axis).any(dim=-1)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}

__all__ = ["Concatenate"]
