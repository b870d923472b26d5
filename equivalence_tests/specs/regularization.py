"""Regularization layers (SpatialDropout1D/2D/3D, GaussianNoise, GaussianDropout, AlphaDropout,
ActivityRegularization) and Identity.

Random streams differ between frameworks: against Keras, training-mode numerics are compared only
where they are deterministic (rate or stddev 0, SpatialDropout at rate 1); the noise itself is
checked statistically and against numpy for fixed draws in tests/test_layers_regularization_stats.py.
"""

from __future__ import annotations

from ..registry import BadInput, LayerSpec, Sample


def _shape(rng, rank):
    return tuple(int(d) for d in rng.integers(1, 5, size=rank))


def _spatial_dropout(rank: int) -> LayerSpec:
    name = f"SpatialDropout{rank}D"
    shape = (2,) + (3, 4, 2)[:rank] + (5,)
    formats = [{}] if rank == 1 else [{}, {"data_format": "channels_first"}]

    def sampler(rng):
        config = {"rate": float(rng.choice([0.0, 0.2, 0.5, 0.9])), "seed": int(rng.integers(0, 100))}
        if rank > 1 and rng.random() < 0.5:
            config["data_format"] = "channels_first"
        return Sample(config, _shape(rng, rank + 2), training=False)

    samples = []
    for extra in formats:
        samples += [
            Sample({"rate": 0.5, **extra}, shape, training=False, id=f"inference-{extra.get('data_format', 'last')}"),
            Sample({"rate": 0.0, **extra}, shape, training=True, id=f"rate0-training-{extra.get('data_format', 'last')}"),
            Sample({"rate": 1.0, **extra}, shape, training=True, id=f"rate1-training-zeros-{extra.get('data_format', 'last')}"),
        ]
    samples += [Sample({"rate": 0.3, "seed": 4}, shape, id="default-call-is-inference")]
    bad_configs = [({"rate": -0.1}, "negative-rate"), ({"rate": 1.5}, "rate>1"),
                   ({"rate": 0.5, "trainable": False}, "no-base-kwargs"),
                   ({"rate": 0.5, "noise_shape": (1,) * (rank + 2)}, "no-noise_shape")]
    if rank > 1:
        bad_configs.append(({"rate": 0.5, "data_format": "nhwc"}, "bad-data_format"))
    return LayerSpec(
        name=name, samples=samples, sampler=sampler, bad_configs=bad_configs,
        bad_inputs=[BadInput({"rate": 0.5}, None, shape[:-1], match=r"expected (ndim=\d+, found ndim=\d+|an input of rank \d+)", id="rank-too-low"),
                    BadInput({"rate": 0.5}, None, shape + (1,), match=r"expected (ndim=\d+, found ndim=\d+|an input of rank \d+)", id="rank-too-high")],
    )


GAUSSIAN_NOISE = LayerSpec(
    name="GaussianNoise",
    samples=[
        Sample({"stddev": 0.5}, (4, 5), training=False, id="inference"),
        Sample({"stddev": 0.0}, (2, 3, 4), training=True, id="stddev0-training"),
        Sample({"stddev": 0.5, "seed": 3}, (2, 3, 4), id="default-call-is-inference"),
        Sample({"stddev": 1.0}, (3, 2, 2, 2), training=False, id="stddev1-inference"),
    ],
    sampler=lambda rng: Sample({"stddev": float(rng.choice([0.0, 0.1, 1.0])), "seed": int(rng.integers(0, 100))},
                               _shape(rng, int(rng.integers(2, 5))), training=False),
    bad_configs=[({"stddev": -0.1}, "negative-stddev"), ({"stddev": 1.5}, "stddev>1")],
)

GAUSSIAN_DROPOUT = LayerSpec(
    name="GaussianDropout",
    samples=[
        Sample({"rate": 0.5}, (4, 5), training=False, id="inference"),
        Sample({"rate": 0.0}, (2, 3, 4), training=True, id="rate0-training"),
        Sample({"rate": 0.3, "seed": 3}, (2, 3, 4), id="default-call-is-inference"),
        Sample({"rate": 1.0}, (2, 3), training=False, id="rate1-inference"),
    ],
    sampler=lambda rng: Sample({"rate": float(rng.choice([0.0, 0.1, 0.9])), "seed": int(rng.integers(0, 100))},
                               _shape(rng, int(rng.integers(2, 5))), training=False),
    bad_configs=[({"rate": -0.1}, "negative-rate"), ({"rate": 1.5}, "rate>1")],
    # Keras divides by 1 - rate: ZeroDivisionError at rate 1 in training; ours a ValueError naming `rate`.
    bad_inputs=[BadInput({"rate": 1.0}, None, (2, 3), call_kwargs={"training": True}, match=r"argument `rate` must be below 1 in training", id="rate1-training")],
)

ALPHA_DROPOUT = LayerSpec(
    name="AlphaDropout",
    samples=[
        Sample({"rate": 0.5}, (4, 5), training=False, id="inference"),
        Sample({"rate": 0.0}, (2, 3, 4), training=True, id="rate0-training"),
        Sample({"rate": 0.3, "noise_shape": (None, 1, 4), "seed": 2}, (2, 3, 4), training=False, id="noise-shape"),
        Sample({"rate": 0.3}, (2, 3, 4), id="default-call-is-inference"),
        Sample({"rate": 1.0}, (2, 3), training=False, id="rate1-inference"),
    ],
    sampler=lambda rng: Sample({"rate": float(rng.choice([0.0, 0.1, 0.9])), "seed": int(rng.integers(0, 100))},
                               _shape(rng, int(rng.integers(2, 5))), training=False),
    bad_configs=[({"rate": -0.1}, "negative-rate"), ({"rate": 1.5}, "rate>1")],
    bad_inputs=[
        # Keras: ZeroDivisionError computing the affine correction; ours a ValueError naming `rate`.
        BadInput({"rate": 1.0}, None, (2, 3), call_kwargs={"training": True}, match=r"argument `rate` must be below 1 in training", id="rate1-training"),
        BadInput({"rate": 0.5, "noise_shape": (None, 2)}, None, (3, 4), call_kwargs={"training": True},
                 match=r"argument `noise_shape` must have one entry per input axis", id="noise-shape-mismatch"),
    ],
)

ACTIVITY_REGULARIZATION = LayerSpec(
    name="ActivityRegularization",
    samples=[
        Sample({}, (3, 4)),
        Sample({"l1": 0.1, "l2": 0.2}, (2, 3, 4), id="l1-l2"),
        Sample({"l1": 0.5}, (2, 5), id="l1-only"),
    ],
    sampler=lambda rng: Sample({"l1": float(rng.random()), "l2": float(rng.random())},
                               _shape(rng, int(rng.integers(2, 5)))),
    bad_configs=[({"l1": -1.0}, "negative-l1"), ({"l2": -0.5}, "negative-l2"),
                 ({"activity_regularizer": "l2"}, "activity_regularizer-twice")],
)

IDENTITY = LayerSpec(
    name="Identity",
    samples=[Sample({}, (3, 4)), Sample({}, (2, 3, 4, 5), id="4d")],
    sampler=lambda rng: Sample({}, _shape(rng, int(rng.integers(1, 5)))),
    bad_configs=[({"not_an_argument": 1}, "unknown-kwarg")],
)

SPECS = [_spatial_dropout(1), _spatial_dropout(2), _spatial_dropout(3), GAUSSIAN_NOISE, GAUSSIAN_DROPOUT,
         ALPHA_DROPOUT, ACTIVITY_REGULARIZATION, IDENTITY]
