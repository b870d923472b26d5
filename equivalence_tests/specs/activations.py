"""Activation layers: ReLU, LeakyReLU, PReLU, ELU, Softmax."""

from __future__ import annotations

import numpy as np

from ..registry import BadInput, LayerSpec, Sample


def _shape(rng, min_rank=2, max_rank=5):
    return tuple(int(d) for d in rng.integers(1, 5, size=int(rng.integers(min_rank, max_rank + 1))))


def _boundaries(low, high, count):
    """Evenly spaced values that hit the kinks (0, thresholds, max values) exactly."""
    return lambda rng: ([np.linspace(low, high, count).reshape(-1, count // 3 if count % 3 == 0 else count)], {})


def _relu_sample(rng):
    config = {}
    if rng.random() < 0.5:
        config["max_value"] = float(rng.choice([0.5, 1.0, 6.0, 2.5]))
    if rng.random() < 0.5:
        config["negative_slope"] = float(rng.choice([0.1, 0.3, 1.5]))
    if rng.random() < 0.5:
        config["threshold"] = float(rng.choice([0.2, 1.0]))
    return Sample(config, _shape(rng))


RELU = LayerSpec(
    name="ReLU",
    samples=[
        Sample({}, (3, 4)),
        Sample({"max_value": 6.0}, None, make_inputs=_boundaries(-8, 8, 33), id="relu6-boundaries"),
        Sample({"max_value": 1.0, "negative_slope": 0.5, "threshold": 0.5}, None, make_inputs=_boundaries(-3, 3, 25),
               id="all-three-boundaries"),
        Sample({"negative_slope": 0.2}, (2, 3, 4), id="leaky"),
        Sample({"threshold": 1.0}, None, make_inputs=_boundaries(-2, 2, 17), id="threshold-boundaries"),
        Sample({"max_value": 2.0, "negative_slope": 0.1}, (2, 5), id="clip-and-slope"),
        Sample({"negative_slope": 0.3, "threshold": 0.5}, (4, 3), id="slope-threshold"),
        Sample({"max_value": 0.0}, (3, 3), id="max-value-zero"),
    ],
    sampler=_relu_sample,
    bad_configs=[({"max_value": -1.0}, "negative-max_value"), ({"negative_slope": -0.1}, "negative-slope"),
                 ({"negative_slope": None}, "slope-None"), ({"threshold": -1.0}, "negative-threshold"),
                 ({"threshold": None}, "threshold-None")],
)

LEAKY_RELU = LayerSpec(
    name="LeakyReLU",
    samples=[
        Sample({}, (3, 4), id="default-0.3"),
        Sample({"negative_slope": 0.5}, None, make_inputs=_boundaries(-3, 3, 13), id="boundaries"),
        Sample({"negative_slope": 0.0}, (2, 3, 4), id="slope-0"),
        Sample({"negative_slope": 2.0}, (2, 6), id="slope-above-1"),
    ],
    sampler=lambda rng: Sample({"negative_slope": float(rng.choice([0.0, 0.01, 0.3, 0.9]))}, _shape(rng)),
    bad_configs=[({"negative_slope": -0.3}, "negative-slope"), ({"negative_slope": None}, "slope-None")],
)


def _prelu_sample(rng):
    shape = _shape(rng, 2, 5)
    axes = [a for a in range(1, len(shape)) if rng.random() < 0.4]
    config = {"alpha_initializer": str(rng.choice(["zeros", "ones", "random_normal", "random_uniform"]))}
    if axes:
        config["shared_axes"] = axes
    return Sample(config, shape)


PRELU = LayerSpec(
    name="PReLU",
    samples=[
        Sample({}, (3, 4), id="default-zeros"),
        Sample({"alpha_initializer": "random_normal"}, (2, 3, 4), id="random-alpha"),
        Sample({"alpha_initializer": "random_uniform", "shared_axes": [1, 2]}, (2, 3, 4, 5), id="shared-1-2"),
        Sample({"alpha_initializer": "ones", "shared_axes": 2}, (2, 3, 4), id="shared-int"),
        Sample({"alpha_initializer": "random_normal", "alpha_regularizer": "l2", "alpha_constraint": "non_neg"},
               (3, 5), id="regularized-constrained"),
        Sample({"alpha_initializer": {"class_name": "Constant", "config": {"value": 0.25}}}, (2, 2, 3),
               id="constant-config"),
    ],
    sampler=_prelu_sample,
    bad_configs=[({"alpha_initializer": "no_such_init"}, "unknown-initializer"),
                 ({"alpha_regularizer": "no_such_reg"}, "unknown-regularizer")],
    bad_inputs=[
        BadInput({}, (2, 3, 4), (2, 3, 5), match=r"expected axis -?\d+ of input shape to have value \d+, found \d+", id="axis-changes-after-build"),
        BadInput({}, (2, 3, 4), (2, 3, 4, 1), match=r"expected (ndim=\d+, found ndim=\d+|an input of rank \d+)", id="rank-changes-after-build"),
        BadInput({"shared_axes": [3]}, None, (2, 3, 4), match=r"argument `shared_axes` must name non-batch input axes", id="shared-axis-out-of-range"),
        # Keras takes shared_axes=[0] to mean the last axis (param_shape[-1] = 1): ours rejects it.
        BadInput({"shared_axes": [0]}, None, (2, 3, 4), keras_rejects=False, match=r"argument `shared_axes` must name non-batch input axes", id="shared-batch-axis"),
    ],
)

ELU = LayerSpec(
    name="ELU",
    samples=[
        Sample({}, (3, 4)),
        Sample({}, None, make_inputs=_boundaries(-4, 4, 17), id="boundaries"),
        Sample({"alpha": 0.5}, (2, 3, 4), id="alpha-0.5"),
        Sample({"alpha": 2.0}, None, make_inputs=_boundaries(-4, 4, 17), id="alpha-2-boundaries"),
    ],
    sampler=lambda rng: Sample({}, _shape(rng)),
)


def _masked(shape, mask_shape, numeric=False, fully_masked_row=False):
    def make(rng):
        x = rng.standard_normal(shape)
        mask = rng.random(mask_shape) < 0.7
        if fully_masked_row:
            mask[0] = False
        return [x], {"mask": mask.astype(np.float64) if numeric else mask}

    return make


def _softmax_sample(rng):
    shape = _shape(rng, 2, 5)
    rank = len(shape)
    if rng.random() < 0.3 and rank > 2:
        axis = sorted({int(a) for a in rng.choice(range(1, rank), size=2)})
        axis = axis if len(axis) > 1 else axis[0]
    else:
        axis = int(rng.integers(-rank, rank))
    if rng.random() < 0.5:
        mask_shape = tuple(1 if rng.random() < 0.3 else d for d in shape)[int(rng.integers(0, rank)):]
        return Sample({"axis": axis}, None, make_inputs=_masked(shape, mask_shape))
    return Sample({"axis": axis}, shape)


SOFTMAX = LayerSpec(
    name="Softmax",
    samples=[
        Sample({}, (3, 5)),
        Sample({"axis": 1}, (2, 3, 4), id="axis-1"),
        Sample({"axis": [1, 2]}, (2, 3, 4), id="two-axes"),
        Sample({"axis": [2]}, (2, 3, 4), id="one-axis-list"),
        Sample({}, None, make_inputs=_masked((2, 3, 5), (2, 3, 5)), id="mask-full"),
        Sample({}, None, make_inputs=_masked((2, 3, 5), (2, 3, 5), fully_masked_row=True), id="mask-fully-masked-row"),
        Sample({"axis": 1}, None, make_inputs=_masked((2, 4, 3), (2, 4, 1)), id="mask-broadcast-trailing-1"),
        Sample({}, None, make_inputs=_masked((2, 3, 5), (5,)), id="mask-lower-rank"),
        Sample({}, None, make_inputs=_masked((2, 3, 5), (2, 3, 5), numeric=True), id="mask-numeric"),
        Sample({"axis": [1, 2]}, None, make_inputs=_masked((2, 3, 4), (2, 3, 4)), id="mask-two-axes"),
    ],
    sampler=_softmax_sample,
    bad_inputs=[
        BadInput({}, None, (2, 3), call_kwargs={"mask": np.ones((2, 4), bool)}, match=r"argument `mask` must broadcast to the inputs", id="mask-not-broadcastable"),
        BadInput({}, None, (3, 4), call_kwargs={"mask": np.ones((1, 3, 4), bool)}, match=r"argument `mask` must broadcast to the inputs", id="mask-higher-rank"),
        BadInput({"axis": 3}, None, (2, 3), match=r"argument `axis` must name axes", id="axis-out-of-range"),
    ],
)

SPECS = [RELU, LEAKY_RELU, PRELU, ELU, SOFTMAX]
