"""Reshaping layers: Flatten, Permute, RepeatVector, Reshape."""

from __future__ import annotations

import math

from ..registry import BadInput, LayerSpec, Sample, ndim_error


def _shape(rng, min_rank=2, max_rank=5):
    return tuple(int(d) for d in rng.integers(1, 5, size=int(rng.integers(min_rank, max_rank + 1))))


def _flatten_sample(rng):
    return Sample({"data_format": str(rng.choice(["channels_last", "channels_first"]))}, _shape(rng, 1, 5))


FLATTEN = LayerSpec(
    name="Flatten",
    samples=[
        Sample({}, (2, 3, 4)),
        Sample({"data_format": "channels_first"}, (2, 3, 4, 5), id="channels_first-4d-hwc-order"),
        Sample({"data_format": "channels_first"}, (2, 3, 4), id="channels_first-3d"),
        Sample({"data_format": "channels_first"}, (2, 3, 2, 2, 4), id="channels_first-5d"),
        Sample({}, (3,), id="rank1-to-(B,1)"),
        Sample({}, (2, 5), id="rank2-identity"),
    ],
    sampler=_flatten_sample,
    bad_configs=[({"data_format": "nhwc"}, "bad-data_format")],
)


def _permute_sample(rng):
    shape = _shape(rng, 2, 5)
    dims = tuple(int(d) + 1 for d in rng.permutation(len(shape) - 1))
    return Sample({"dims": dims}, shape)


PERMUTE = LayerSpec(
    name="Permute",
    samples=[
        Sample({"dims": (2, 1)}, (2, 3, 4)),
        Sample({"dims": (3, 1, 2)}, (2, 3, 4, 5)),
        Sample({"dims": (1, 2)}, (2, 3, 4), id="identity"),
        Sample({"dims": (4, 2, 3, 1)}, (1, 2, 3, 4, 5)),
    ],
    sampler=_permute_sample,
    bad_configs=[({"dims": (0, 1, 2)}, "zero-indexed"), ({"dims": (1, 2, 4)}, "gap"), ({"dims": (1, 1, 2)}, "repeat")],
    bad_inputs=[BadInput({"dims": (2, 1)}, None, (2, 3, 4, 5), match=ndim_error("Permute", 3, 4), id="wrong-rank")],
)


def _repeat_sample(rng):
    return Sample({"n": int(rng.integers(1, 6))}, _shape(rng, 2, 2))


REPEAT_VECTOR = LayerSpec(
    name="RepeatVector",
    samples=[Sample({"n": 3}, (2, 4)), Sample({"n": 1}, (5, 1))],
    sampler=_repeat_sample,
    bad_configs=[({"n": 0}, "zero"), ({"n": 2.0}, "float"), ({"n": True}, "bool")],
    bad_inputs=[BadInput({"n": 2}, None, (2, 3, 4), match=ndim_error("RepeatVector", 2, 3), id="rank-3")],
)


def _reshape_sample(rng):
    shape = _shape(rng, 2, 4)
    size = math.prod(shape[1:])
    divisors = [d for d in range(1, size + 1) if size % d == 0]
    first = int(rng.choice(divisors))
    target = (first, size // first)
    if rng.random() < 0.5:
        target = (first, -1) if rng.random() < 0.5 else (-1, size // first)
    return Sample({"target_shape": target}, shape)


RESHAPE = LayerSpec(
    name="Reshape",
    samples=[
        Sample({"target_shape": (3, 4)}, (2, 12)),
        Sample({"target_shape": (-1, 2)}, (2, 3, 4), id="minus-one"),
        Sample({"target_shape": (2, -1, 3)}, (2, 4, 3), id="minus-one-middle"),
        Sample({"target_shape": (24,)}, (2, 2, 3, 4), id="flatten-like"),
    ],
    sampler=_reshape_sample,
    bad_configs=[({"target_shape": (-1, -1)}, "two-minus-ones"), ({"target_shape": (-2, 2)}, "negative-dim")],
    bad_inputs=[BadInput({"target_shape": (5,)}, None, (2, 6), id="size-mismatch",
                         match=r"Reshape \(.*total size must be unchanged; input shape \(6,\) .* target_shape=\(5,\)"),
                BadInput({"target_shape": (5, -1)}, None, (2, 6), id="not-divisible",
                         match=r"Reshape \(.*size 6\) is not divisible by the known dimensions of target_shape=\(5, -1\)")],
)

SPECS = [FLATTEN, PERMUTE, REPEAT_VECTOR, RESHAPE]
