"""LayerNormalization, GroupNormalization and UnitNormalization against Keras 3."""

from __future__ import annotations

from ..registry import BadInput, LayerSpec, Sample
from ._helpers import with_mask


def _uniform(low, high):
    return {"class_name": "RandomUniform", "config": {"minval": low, "maxval": high}}


# Random (but valid) affine weights, so that copying weights in either direction is observable.
RANDOM_AFFINE = {"gamma_initializer": _uniform(0.5, 1.5), "beta_initializer": _uniform(-0.5, 0.5)}


def _shape(rng, min_rank, max_rank, low=1, high=5):
    rank = int(rng.integers(min_rank, max_rank + 1))
    return (int(rng.integers(1, 4)),) + tuple(int(d) for d in rng.integers(low, high, size=rank - 1))


def _layer_normalization_sample(rng):
    shape = _shape(rng, 2, 5, low=2)
    rank = len(shape)
    count = int(rng.integers(1, rank))
    axes = sorted(int(a) for a in rng.choice(range(1, rank), size=count, replace=False))
    axes = [a - rank if rng.random() < 0.3 else a for a in axes]
    config = {"axis": axes if len(axes) > 1 or rng.random() < 0.5 else axes[0],
              "epsilon": float(rng.choice([1e-3, 1e-5, 1e-2])), "center": bool(rng.random() < 0.8),
              "scale": bool(rng.random() < 0.8), "rms_scaling": bool(rng.random() < 0.2), **RANDOM_AFFINE}
    return Sample(config, shape)


LAYER_NORMALIZATION = LayerSpec(
    name="LayerNormalization",
    samples=[
        Sample({**RANDOM_AFFINE}, (3, 4, 5), id="last-axis-random-weights"),
        Sample({**RANDOM_AFFINE, "axis": [1, 2]}, (2, 3, 4), id="two-trailing-axes"),
        Sample({**RANDOM_AFFINE, "axis": -2}, (2, 3, 4, 5), id="middle-axis"),
        Sample({**RANDOM_AFFINE, "axis": [1, 3]}, (2, 3, 2, 4), id="non-contiguous-axes"),
        # Keras sorts [-1, 1] to [-1, 1]: gamma has shape (W, C1) and is *reshaped* onto (1, C1, 1, W).
        Sample({**RANDOM_AFFINE, "axis": [1, -1]}, (2, 3, 2, 4), id="mixed-sign-axes-keras-reshape"),
        Sample({**RANDOM_AFFINE, "axis": [1, 2, 3]}, (2, 3, 4, 2), id="all-but-batch"),
        Sample({"epsilon": 1e-5, "center": False}, (4, 6), id="no-center"),
        Sample({"scale": False, **RANDOM_AFFINE}, (4, 3, 6), id="no-scale"),
        Sample({"scale": False, "center": False}, (4, 6), id="no-affine"),
        Sample({**RANDOM_AFFINE, "rms_scaling": True}, (3, 4, 5), id="rms-scaling"),
        Sample({**RANDOM_AFFINE, "rms_scaling": True, "axis": [1, 2]}, (3, 4, 5), id="rms-scaling-two-axes"),
        Sample({"gamma_regularizer": "l2", "beta_regularizer": "l1", "gamma_constraint": "non_neg",
                "beta_constraint": "max_norm"}, (4, 3), id="regularized-constrained"),
        Sample({**RANDOM_AFFINE, "axis": 1}, (2, 5, 3, 3), id="channels-first-axis"),
        Sample({**RANDOM_AFFINE}, None, make_inputs=with_mask((2, 3, 4)), id="mask-passes-through"),
    ],
    sampler=_layer_normalization_sample,
    bad_configs=[({"axis": "last"}, "axis-string"), ({"axis": 1.5}, "axis-float"),
                 ({"gamma_initializer": "no_such_initializer"}, "unknown-initializer"),
                 ({"not_an_argument": 1}, "unknown-kwarg")],
    bad_inputs=[
        BadInput({}, (2, 3, 4), (2, 3, 5), match=r"expected axis -?\d+ of input shape to have value \d+, found \d+", id="normalized-axis-size-change"),
        BadInput({"axis": [1, 2]}, (2, 3, 4), (2, 4, 4), match=r"expected axis -?\d+ of input shape to have value \d+, found \d+", id="normalized-axes-size-change"),
        BadInput({"axis": 3}, None, (2, 3), match=r"`axis`.*(out of bounds|must be in \[-ndim, ndim\))", id="axis-out-of-range"),
        # Keras accepts another rank after build where the normalised axes exist; here axis 2 does not.
        BadInput({"axis": 2}, (2, 3, 4), (2, 3), match=r"expected axis 2 of input shape to have value 4, found no such axis", id="rank-change-loses-axis"),
        BadInput({"axis": 1}, (2, 3, 4), (2, 4, 3, 4), match=r"expected axis 1 of input shape to have value 3, found 4", id="rank-change-resizes-axis"),
    ],
)


def _group_normalization_sample(rng):
    shape = _shape(rng, 2, 5, low=1)
    rank = len(shape)
    axis = int(rng.integers(1, rank))
    channels = int(rng.choice([2, 4, 6]))
    shape = shape[:axis] + (channels,) + shape[axis + 1:]
    groups = int(rng.choice([g for g in (1, 2, 3, 6, -1) if g == -1 or channels % g == 0]))
    config = {"groups": groups, "axis": axis - rank if rng.random() < 0.5 else axis,
              "epsilon": float(rng.choice([1e-3, 1e-5])), "center": bool(rng.random() < 0.8),
              "scale": bool(rng.random() < 0.8), **RANDOM_AFFINE}
    return Sample(config, shape)


GROUP_NORMALIZATION = LayerSpec(
    name="GroupNormalization",
    samples=[
        Sample({**RANDOM_AFFINE, "groups": 2}, (2, 3, 3, 4), id="nhwc-2-groups"),
        Sample({**RANDOM_AFFINE, "groups": 3}, (2, 5, 6), id="3d-3-groups"),
        Sample({**RANDOM_AFFINE, "groups": -1}, (2, 3, 4, 3), id="instance-norm"),
        Sample({**RANDOM_AFFINE, "groups": 1}, (3, 4, 2), id="layer-norm-like"),
        Sample({**RANDOM_AFFINE, "groups": 2, "axis": 1}, (2, 4, 3, 3), id="nchw-axis1"),
        Sample({**RANDOM_AFFINE, "groups": 2, "axis": -2}, (2, 3, 4, 3), id="axis-minus2"),
        Sample({**RANDOM_AFFINE, "groups": 4}, (2, 2, 2, 2, 8), id="5d"),
        Sample({"groups": 2, "epsilon": 1e-5}, (4, 6), id="2d"),
        Sample({"groups": 2, "center": False, **RANDOM_AFFINE}, (2, 3, 4), id="no-center"),
        Sample({"groups": 2, "scale": False, **RANDOM_AFFINE}, (2, 3, 4), id="no-scale"),
        Sample({"groups": 2, "gamma_regularizer": "l2", "beta_constraint": "non_neg"}, (2, 3, 4),
               id="regularized-constrained"),
        Sample({"groups": 2, **RANDOM_AFFINE}, None, make_inputs=with_mask((2, 3, 4)), id="mask-passes-through"),
    ],
    sampler=_group_normalization_sample,
    bad_configs=[({"groups": 0}, "groups-zero"), ({"groups": -2}, "groups-negative"),
                 ({"groups": 1.5}, "groups-float"), ({"beta_regularizer": "no_such"}, "unknown-regularizer")],
    bad_inputs=[
        BadInput({"groups": 3}, None, (2, 4), match=r"argument `groups` \(\d+\) must divide the number of channels", id="groups-do-not-divide-channels"),
        BadInput({"groups": 8}, None, (2, 3, 4), match=r"argument `groups` \(\d+\) cannot be more than the number of channels", id="more-groups-than-channels"),
        BadInput({"groups": 2}, (2, 3, 4), (2, 3, 6), match=r"expected axis -?\d+ of input shape to have value \d+, found \d+", id="channels-change-after-build"),
        BadInput({"groups": 2}, (2, 3, 4), (2, 4), match=r"expected ndim=\d+, found ndim=\d+", id="rank-change-after-build"),
    ],
)


def _unit_normalization_sample(rng):
    shape = _shape(rng, 2, 5, low=1)
    rank = len(shape)
    if rng.random() < 0.5:
        return Sample({"axis": int(rng.integers(-rank, rank))}, shape)
    count = int(rng.integers(1, rank + 1))
    return Sample({"axis": sorted(int(a) for a in rng.choice(range(rank), size=count, replace=False))}, shape)


UNIT_NORMALIZATION = LayerSpec(
    name="UnitNormalization",
    samples=[
        Sample({}, (3, 5)),
        Sample({"axis": 1}, (2, 4, 3), id="axis1"),
        Sample({"axis": [1, 2]}, (2, 3, 4), id="two-axes"),
        Sample({"axis": (-1, -3)}, (2, 3, 2, 4), id="tuple-negative-axes"),
        Sample({"axis": 0}, (4, 3), id="batch-axis"),
        Sample({}, None, make_inputs=with_mask((2, 3, 4)), id="mask-passes-through"),
    ],
    sampler=_unit_normalization_sample,
    bad_configs=[({"axis": "last"}, "axis-string"), ({"axis": None}, "axis-none")],
    bad_inputs=[BadInput({"axis": 3}, None, (2, 3), match=r"`axis`.*(out of bounds|must be in \[-ndim, ndim\))", id="axis-out-of-range"),
                BadInput({"axis": [1, 4]}, None, (2, 3, 4), match=r"argument `axis` \d+ is out of bounds", id="axis-list-out-of-range")],
)

SPECS = [LAYER_NORMALIZATION, GROUP_NORMALIZATION, UNIT_NORMALIZATION]
