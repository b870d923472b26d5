"""What a draw is, how hypothesis draws one, and how it becomes a config and call arguments.

A draw is plain data (spec name, sample index, one mutation), so it can be sent to a worker process,
printed in a report, and written into the known-defects table.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st

from ..harness import make_call
from ..registry import LayerSpec, Sample

HUGE = 10**6  # big enough to be absurd for a size, small enough not to exhaust memory when accepted


@dataclass(frozen=True)
class Draw:
    spec: str
    sample: int  # index into spec.samples
    arg: str | None = None  # the constructor argument replaced ...
    value: Any = None  # ... by this value
    input: str | None = None  # or the input mutation (INPUT_MUTATIONS)

    def __hash__(self) -> int:
        # A drawn value may be a list (unhashable); its repr identifies the draw as well.
        return hash(repr(self))

    def describe(self) -> str:
        what = f"{self.arg}={self.value!r}" if self.arg is not None else f"input:{self.input}"
        return f"{self.spec}[{self.sample}] {what}"


# ------------------------------------------------------------------ constructor arguments
def bad_values(value: Any) -> list:
    """Values across and outside the valid range of an argument whose valid value is `value`."""
    if isinstance(value, bool):
        return [None, "yes", 2, 1.5, (True,)]
    if isinstance(value, int):
        return [0, -1, -value if value > 0 else value - 1, value + 0.5, float(value), HUGE, True, (value, value), "3", None]
    if isinstance(value, float):
        return [-1.0, 0.0, 1.5, value + 1.0, math.nan, math.inf, -math.inf, HUGE * 1.0, "0.5", None, (value,)]
    if isinstance(value, str):
        return [value.upper(), value.capitalize(), "", "no_such_value", 3, None, (value,)]
    if isinstance(value, (tuple, list)):
        items = list(value)
        out = [type(value)(items[:-1]), type(value)(items + items[-1:]), None, "no_such_value", 2.5]
        if items and all(isinstance(v, int) and not isinstance(v, bool) for v in items):
            out += [type(value)([0] + items[1:]), type(value)([-1] + items[1:]), type(value)([items[0] + 0.5] + items[1:]),
                    type(value)([HUGE] + items[1:]), items[0]]
        if items and any(v is None for v in items):
            out.append(type(value)(0 if v is None else v for v in items))
        return out
    if value is None:
        return [0, -1, 1.5, "no_such_value", (), (1,), True]
    return [None, "no_such_value"]


def constructor_args(spec: LayerSpec) -> list[str]:
    """Our constructor's arguments: the same as Keras' (the contract), so defaults get mutated too,
    and the main process never imports TensorFlow."""
    params = inspect.signature(spec.cls.__init__).parameters.items()
    return [n for n, p in params if n != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def default_of(spec: LayerSpec, arg: str):
    param = inspect.signature(spec.cls.__init__).parameters.get(arg)
    return None if param is None or param.default is inspect.Parameter.empty else param.default


INPUT_MUTATIONS = ("rank+1", "rank-1", "rank0", "int32", "int64", "bool", "complex64", "float16", "zero-last-axis",
                   "zero-middle-axis", "empty-batch", "nan", "inf", "-inf", "large", "non-contiguous", "channels-last")
# What the Keras side gets for the layout mutations: the same values, contiguous.
LAYOUT_ONLY = {"non-contiguous", "channels-last"}
UNCHECKED_ARGS = {"name", "dtype", "kwargs", "seed", "trainable"}  # bookkeeping, not layer semantics


def usable_samples(spec: LayerSpec) -> list[int]:
    """Samples a draw may start from: those judged by Keras (or, for layers Keras lacks, all)."""
    keras_judged = [i for i, s in enumerate(spec.samples) if isinstance(s.reference, str)]
    return keras_judged or list(range(len(spec.samples)))


@st.composite
def draws(draw, spec: LayerSpec) -> Draw:
    index = draw(st.sampled_from(usable_samples(spec)))
    sample = spec.samples[index]
    if draw(st.booleans()):
        return Draw(spec.name, index, input=draw(st.sampled_from(INPUT_MUTATIONS)))
    args = [a for a in constructor_args(spec) if a not in UNCHECKED_ARGS] + ["not_an_argument"]
    arg = draw(st.sampled_from(args))
    current = sample.config.get(arg, default_of(spec, arg)) if arg != "not_an_argument" else None
    if callable(current) or isinstance(current, dict):
        current = None
    return Draw(spec.name, index, arg=arg, value=draw(st.sampled_from(bad_values(current))))


# ------------------------------------------------------------------ materializing a draw
def config_of(spec: LayerSpec, draw: Draw) -> dict:
    config = dict(spec.samples[draw.sample].config)
    if draw.arg is not None:
        config[draw.arg] = draw.value
    return config


def call_of(spec: LayerSpec, draw: Draw, dtype: str = "float32"):
    """(numpy args, kwargs) as Keras gets them, and the same as torch tensors as ours gets them."""
    import torch

    from ..harness import to_torch

    sample: Sample = spec.samples[draw.sample]
    args, kwargs = make_call(sample, np.random.default_rng(0), dtype)
    kwargs = {k: v for k, v in kwargs.items() if k != "training"}  # training goes by Sample.training
    if draw.input is None:
        return args, kwargs, to_torch(args), to_torch(kwargs)
    first = args[0][0] if isinstance(args[0], list) else args[0]
    mutated = _mutate(first, draw.input)
    if isinstance(args[0], list):
        args = [[mutated] + list(args[0][1:])] + list(args[1:])
    else:
        args = [mutated] + list(args[1:])
    args_t = to_torch(args)
    if draw.input in LAYOUT_ONLY or draw.input == "rank0":
        # np.ascontiguousarray (in to_torch) makes a 0-d array 1-d: the scalar is converted here.
        tensor = torch.from_numpy(mutated) if draw.input == "rank0" else _relayout(torch.from_numpy(np.ascontiguousarray(first)), draw.input)
        args_t = [[tensor] + list(args_t[0][1:])] + list(args_t[1:]) if isinstance(args[0], list) else [tensor] + list(args_t[1:])
    return args, kwargs, args_t, to_torch(kwargs)


def _mutate(x: np.ndarray, how: str) -> np.ndarray:
    x = np.array(x)
    if how == "rank+1":
        return np.stack([x, x], axis=1)
    if how == "rank-1":
        return x[..., 0]
    if how == "rank0":
        return np.asarray(x.flat[0])
    if how in ("int32", "int64"):
        return np.round(3 * x).astype(how)
    if how == "bool":
        return x > 0
    if how == "complex64":
        return (x + 1j * x[::-1]).astype(np.complex64) if x.ndim else x.astype(np.complex64)
    if how == "float16":
        return x.astype(np.float16)
    if how == "zero-last-axis":
        return x[..., :0]
    if how == "zero-middle-axis":
        return x[:, :0] if x.ndim >= 3 else x[..., :0]
    if how == "empty-batch":
        return x[:0]
    if how in ("nan", "inf", "-inf"):
        x = x.copy()
        x.flat[x.size // 2] = float(how)
        return x
    if how == "large":
        return x * 1e30
    return x  # layout-only mutations: same values


def _relayout(t, how: str):
    import torch

    if how == "non-contiguous":
        # The same values as a strided view: every other element of a tensor twice as long.
        doubled = torch.stack([t, torch.full_like(t, 7)], dim=-1) if t.ndim else t
        return doubled[..., 0] if t.ndim else t
    if t.ndim == 4:
        return t.contiguous(memory_format=torch.channels_last)
    if t.ndim == 5:
        return t.contiguous(memory_format=torch.channels_last_3d)
    return t.t().contiguous().t() if t.ndim == 2 else t
