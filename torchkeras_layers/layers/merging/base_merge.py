"""Shared mechanics of the merge layers: list validation, Keras' rank broadcasting, masks."""

from __future__ import annotations

import torch

from ..base import Layer


class Merge(Layer, registered=False):
    """Base of the element-wise merges (Add, Subtract, Multiply, Average, Maximum, Minimum).

    Keras' rank-broadcasting rule: lower-rank inputs get size-1 axes inserted at axis 1, right after
    the batch axis (so (B, 3) + (B, 5, 3) is a[:, None] + b), then ordinary broadcasting. Batch sizes must
    be equal. Plain torch broadcasting would align (B, 3) with (5, 3) and silently mix samples when B == 5.
    Masks (one per input, shape = input shape without the last axis) follow Keras: the output mask is the
    OR of the input masks when every input has one; subclasses decide how masks affect values.
    """

    supports_masking = True
    min_inputs = 1
    max_inputs: int | None = None

    def build(self, input_shape):
        self._validate_shapes(input_shape)

    def _validate_shapes(self, shapes) -> tuple:
        """Keras' checks (list of inputs, count, batch sizes, element-wise compatibility); the output shape."""
        cls = type(self).__name__
        if not isinstance(shapes, (list, tuple)) or not shapes or not isinstance(shapes[0], (list, tuple)):
            raise ValueError(f"{cls}: a merge layer should be called on a list of inputs; received input_shape={shapes}")
        if len(shapes) < self.min_inputs or (self.max_inputs is not None and len(shapes) > self.max_inputs):
            expected = f"exactly {self.max_inputs}" if self.max_inputs == self.min_inputs else f"at least {self.min_inputs}"
            raise ValueError(f"{cls}: should be called on {expected} inputs; received {len(shapes)} (shapes {list(shapes)})")
        if any(len(s) == 0 for s in shapes):
            raise ValueError(f"{cls}: every input needs a batch axis (rank >= 1); received shapes {list(shapes)}")
        # Compared pairwise, not through a set: under torch.export the batch size is a SymInt (unhashable).
        batch_sizes = [s[0] for s in shapes if s and s[0] is not None]
        if any(b != batch_sizes[0] for b in batch_sizes[1:]):
            raise ValueError(f"{cls}: cannot merge tensors with different batch sizes; received shapes {list(shapes)}")
        out = tuple(shapes[0][1:])
        for shape in shapes[1:]:
            out = _broadcast_shapes(cls, out, tuple(shape[1:]))
        return (shapes[0][0],) + out

    def forward(self, inputs, mask=None):
        tensors, masks = self._check_call(inputs, mask)
        rank = max(t.dim() for t in tensors)
        if any(t.dim() != rank for t in tensors):
            # Keras loses the masks of reshaped inputs (expand_dims drops `_keras_mask`); so do we.
            masks = [m if t.dim() == rank else None for t, m in zip(tensors, masks)]
            tensors = [t.reshape(t.shape[:1] + (1,) * (rank - t.dim()) + t.shape[1:]) for t in tensors]
        return self._merge(tensors, masks)

    def _check_call(self, inputs, mask):
        cls = type(self).__name__
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"{cls}: a merge layer should be called on a list of inputs; received a {type(inputs).__name__}")
        self._validate_shapes([tuple(t.shape) for t in inputs])
        return list(inputs), self._check_masks(inputs, mask)

    def _check_masks(self, inputs, mask) -> list:
        """`mask` as a list with one mask (or None) per input; None -> all None."""
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"{type(self).__name__}: argument `inputs` must be a list of tensors; received a "
                             f"{type(inputs).__name__}")
        if mask is None:
            return [None] * len(inputs)
        if not isinstance(mask, (list, tuple)) or len(mask) != len(inputs):
            raise ValueError(f"{type(self).__name__}: argument `mask` must be a list with one mask (or None) "
                             f"per input; received {mask!r}")
        for x, m in zip(inputs, mask):
            if m is not None and not _mask_fits(m, x):
                raise ValueError(f"{type(self).__name__}: argument `mask`: each mask must broadcast over its input "
                                 f"(the input's shape without the last axis, or the full shape); received a mask of "
                                 f"shape {tuple(m.shape)} for an input of shape {tuple(x.shape)}")
        return list(mask)

    def _merge(self, tensors: list[torch.Tensor], masks: list) -> torch.Tensor:
        raise NotImplementedError

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        mask = self._check_masks(inputs, mask)
        if any(m is None for m in mask):
            return None
        out = mask[0]
        for m in mask[1:]:
            out = torch.logical_or(out, m)
        return out

    def compute_output_shape(self, input_shape):
        return self._validate_shapes(input_shape)


def _broadcast_shapes(cls: str, a: tuple, b: tuple) -> tuple:
    """Keras' `_compute_elemwise_op_output_shape` on non-batch shapes (None = unknown)."""
    if len(a) < len(b):
        a, b = b, a
    if not b:
        return a
    out = list(a[: len(a) - len(b)])
    for i, j in zip(a[len(a) - len(b):], b):
        if i is None or j is None:
            out.append(None)
        elif i == 1 or j == 1 or i == j:
            out.append(j if i == 1 else i)
        else:
            raise ValueError(f"{cls}: inputs have incompatible shapes; received shapes {a} and {b} (batch axis excluded)")
    return tuple(out)


def _mask_fits(mask: torch.Tensor, x: torch.Tensor) -> bool:
    """Keras' use of a mask: expand_dims(mask, -1) (when it lacks the last axis) broadcast to the input."""
    shape = tuple(mask.shape) + ((1,) if mask.dim() < x.dim() else ())
    return len(shape) <= x.dim() and all(m in (1, n) for m, n in zip(reversed(shape), reversed(tuple(x.shape))))


def expand_mask(mask: torch.Tensor | None, like: torch.Tensor) -> torch.Tensor | None:
    """A (B, ...) mask broadcast over the last axis of `like` (Keras: expand_dims(mask, -1))."""
    return None if mask is None else mask.to(torch.bool).unsqueeze(-1).expand(like.shape)


def merge_with_mask_fallback(op, tensors, masks):
    """Keras' `_apply_merge_op_and_or_mask` (Maximum/Minimum): a masked operand is ignored; where all
    inputs are masked the first input's value is kept."""
    output, output_mask = None, None
    for x, m in zip(tensors, masks):
        m = expand_mask(m, x)
        if output is None:
            output, output_mask = x, m
            continue
        if m is not None:
            x = torch.where(m, x, output)
        if output_mask is not None:
            output = torch.where(output_mask, output, x)
        output_mask = torch.logical_or(output_mask, m) if (m is not None and output_mask is not None) else None
        output = op(output, x)
    return output
