"""Axis arguments shared by the normalization layers: an int or a list of ints, checked against the rank."""

from __future__ import annotations

import numbers


def is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def standardize_axis(layer, axis):
    """Keras' `axis`: an int stays an int, a list/tuple of ints becomes a list; anything else: TypeError."""
    if isinstance(axis, (list, tuple)) and all(is_int(a) for a in axis):
        return [int(a) for a in axis]
    if is_int(axis):
        return int(axis)
    raise layer._arg_error("axis", "must be an int or a list/tuple of ints", axis, TypeError)


def check_axes_in_rank(layer, axes, shape) -> list[int]:
    """The non-negative form of `axes` for an input of `shape`; ValueError naming the layer if out of range."""
    rank = len(shape)
    for axis in axes:
        if not -rank <= axis < rank:
            raise ValueError(f"{layer.__class__.__name__} ({layer.name!r}): argument `axis` {axis} is out of bounds "
                             f"for input shape {tuple(shape)}; received axis={layer.axis}")
    return [a % rank for a in axes]
