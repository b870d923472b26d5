"""Validation of the constructor arguments many layers share (data_format, int tuples, padding),
with errors that name the layer and the argument, as Keras' `argument_validation` does."""

from __future__ import annotations

from .base import Layer

DATA_FORMATS = ("channels_last", "channels_first")


def is_positive_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def positive_int(layer: Layer, arg: str, value) -> int:
    """Keras rejects `<= 0` at construction and anything but an int when it builds; both rejected here."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise layer._arg_error(arg, "must be a strictly positive integer", value, exc=TypeError)
    if value <= 0:
        raise layer._arg_error(arg, "must be a strictly positive integer", value)
    return value


def standardize_data_format(layer: Layer, value) -> str:
    """None -> "channels_last" (Keras' default `image_data_format`); else validated, lower-cased."""
    if value is None:
        return "channels_last"
    if not isinstance(value, str) or value.lower() not in DATA_FORMATS:
        raise layer._arg_error("data_format", f"must be one of {DATA_FORMATS}", value)
    return value.lower()


def standardize_tuple(layer: Layer, value, n: int, name: str, *, allow_zero: bool = False) -> tuple:
    """An int or an n-sequence of ints -> n-tuple of positive (or non-negative) ints."""
    if isinstance(value, int) and not isinstance(value, bool):
        values = (value,) * n
    elif isinstance(value, (list, tuple)) and len(value) == n:
        values = tuple(value)
    else:
        raise layer._arg_error(name, f"must be an int or a tuple of {n} ints", value)
    low = 0 if allow_zero else 1
    if any(isinstance(v, bool) or not isinstance(v, int) or v < low for v in values):
        kind = "non-negative" if allow_zero else "positive"
        raise layer._arg_error(name, f"must contain only {kind} integers", value)
    return values


def standardize_padding(layer: Layer, value, *, allow_causal: bool = False) -> str:
    allowed = ("valid", "same", "causal") if allow_causal else ("valid", "same")
    if not isinstance(value, str) or value.lower() not in allowed:
        raise layer._arg_error("padding", f"must be one of {allowed}", value)
    return value.lower()


def standardize_pairs(layer: Layer, value, n: int, name: str) -> tuple:
    """Keras' per-axis (before, after) amounts of ZeroPadding2D/3D and Cropping2D/3D: an int (all
    sides), n ints (symmetric per axis) or n pairs -> n pairs of non-negative ints."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise layer._arg_error(name, "must not be negative", value)
        return ((value, value),) * n
    if not isinstance(value, (list, tuple)) or len(value) != n:
        raise layer._arg_error(name, f"must be an int, a tuple of {n} ints or a tuple of {n} pairs of ints", value)
    return tuple(standardize_tuple(layer, entry, 2, name, allow_zero=True) for entry in value)
