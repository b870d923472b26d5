"""Normalization layers: BatchNormalization against Keras 3 and, for the legacy extras (ghost batches,
`adjustment`, the fused kernel's unbiased moving variance), against tf_keras 2.21."""

from __future__ import annotations

import numpy as np

from ..registry import BadInput, LayerSpec, Sample, ndim_error


def _uniform(low, high, seed=None):
    config = {"minval": low, "maxval": high}
    if seed is not None:
        config["seed"] = seed
    return {"class_name": "RandomUniform", "config": config}


# Random (but valid) weights, so that copying weights in either direction is actually observable.
RANDOM_WEIGHTS = {
    "gamma_initializer": _uniform(0.5, 1.5),
    "beta_initializer": _uniform(-0.5, 0.5),
    "moving_mean_initializer": _uniform(-0.5, 0.5),
    "moving_variance_initializer": _uniform(0.5, 2.0),
}


def _affine_inputs(shape, scale, shift, mask_shape=None, keep=0.7):
    """Inputs whose batch statistics are far from the (renorm) moving ones: x = N(0,1)*scale + shift,
    so renorm's r and d clip. With `mask_shape`, a fresh random mask per step."""

    def make(rng):
        kwargs = {"mask": rng.random(mask_shape) < keep} if mask_shape else {}
        return [rng.standard_normal(shape) * scale + shift], kwargs

    return make


def _masked_inputs(shape, mask_shape=None, keep=0.6):
    return _affine_inputs(shape, 1.0, 0.0, mask_shape or shape[:-1], keep)


def _constant_mask(shape, mask):
    def make(rng):
        return [rng.standard_normal(shape)], {"mask": mask}

    return make


def _adjustment_values(channels):
    return np.linspace(0.5, 1.5, channels), np.linspace(-0.2, 0.3, channels)


def _torch_adjustment(channels):
    """tf_keras' `adjustment` for our layer: a fixed (scale, bias) per channel (deterministic, so
    both frameworks see the same values)."""

    def adjustment(shape):
        import torch

        scale, bias = _adjustment_values(channels)
        return torch.as_tensor(scale), torch.as_tensor(bias)

    return adjustment


def _set_tf_adjustment(channels):
    """keras_setup: the same callable on the tf_keras layer (it cannot travel in a config)."""

    def setup(layer):
        import tensorflow as tf

        scale, bias = _adjustment_values(channels)
        layer.adjustment = lambda shape: (tf.constant(scale, dtype=layer.dtype), tf.constant(bias, dtype=layer.dtype))

    return setup


def _keras_config(config: dict, reference: str) -> dict:
    """Our config -> the reference's. tf_keras takes the dtype policy as a plain name; the legacy
    arguments (fused, virtual_batch_size) are already in our config when set."""
    if reference != "tf_keras":
        return config
    config = dict(config)
    dtype = config.get("dtype")
    if isinstance(dtype, dict):
        config["dtype"] = dtype["config"]["name"]
    return config


TRAIN = dict(training=True, steps=5)  # k >= 5 training steps with fresh batches, then state compared
# tf_keras rounds the moving-average decay `1 - momentum` to float32 even for float64 variables
# (`tf.convert_to_tensor(1.0 - momentum)`), so its float64 moving statistics are off by ~1e-10 per step:
# training samples against tf_keras run in float32, where that rounding is invisible.
TF_KERAS_TRAIN = dict(training=True, steps=5, reference="tf_keras", dtypes=("float32",))

SAMPLES = [
    # The first Keras samples also run with Keras' own (random) weights copied into ours.
    Sample({**RANDOM_WEIGHTS}, (4, 3, 5, 6), **TRAIN, id="4d-nhwc-train"),
    Sample({**RANDOM_WEIGHTS}, (5, 7), training=False, id="2d-inference"),
    Sample({**RANDOM_WEIGHTS, "renorm": True, "renorm_clipping": {"rmin": 0.7, "rmax": 1.4, "dmax": 0.5},
            "renorm_momentum": 0.8}, None, make_inputs=_affine_inputs((6, 4, 3), 3.0, 1.5), training=True, steps=6,
           id="renorm-clipping-active-3d"),
    Sample({**RANDOM_WEIGHTS, "axis": 1}, (3, 4, 5, 2), **TRAIN, id="4d-nchw-axis1-train"),
    Sample({**RANDOM_WEIGHTS, "axis": 2, "momentum": 0.9}, (2, 3, 4, 2, 3), **TRAIN, id="5d-middle-axis-train"),
    # Axes, ranks and the other arguments.
    Sample({"momentum": 0.9, "epsilon": 1e-5}, (4, 6, 5), **TRAIN, id="3d-momentum-eps"),
    Sample({"momentum": 0.5}, (8, 5), **TRAIN, id="2d-train"),
    Sample({"axis": -2}, (3, 4, 5), **TRAIN, id="3d-axis-minus2"),
    Sample({"axis": 0, "momentum": 0.8}, (3, 4, 5), **TRAIN, id="axis0"),
    Sample({"axis": 1}, (2, 3, 4, 3, 2), **TRAIN, id="5d-axis1"),
    Sample({**RANDOM_WEIGHTS, "axis": -1}, (2, 3, 2, 4, 3), **TRAIN, id="5d-ndhwc"),
    Sample({**RANDOM_WEIGHTS}, (2, 3, 4, 3, 2), training=False, id="5d-inference"),
    Sample({**RANDOM_WEIGHTS, "axis": 1}, (3, 4, 5, 2), training=False, id="4d-axis1-inference"),
    Sample({"center": False}, (6, 3, 4), **TRAIN, id="no-center"),
    Sample({"scale": False, "momentum": 0.7}, (3, 4, 4, 3), **TRAIN, id="no-scale"),
    Sample({"center": False, "scale": False}, (6, 4), **TRAIN, id="no-center-no-scale"),
    Sample({"epsilon": 1e-7}, (4, 2, 2, 3), **TRAIN, id="tiny-epsilon"),
    # Outside a distribution strategy / process group, synchronized BN is plain BN in both frameworks.
    Sample({"synchronized": True}, (4, 3, 2, 3), **TRAIN, id="synchronized-single-process"),
    Sample({}, (1, 5), training=True, steps=2, id="batch-1-zero-variance"),
    # |mean|/std = 5000 is ill-conditioned in float32 (one ulp of the mean moves the output by 1e-4 on either
    # side), so this one runs in float64 only.
    Sample({}, None, make_inputs=_affine_inputs((5, 4, 3), 0.01, 50.0), **TRAIN, dtypes=("float64",),
           id="large-mean-small-std"),
    Sample({"gamma_regularizer": "l2", "beta_regularizer": "l1", "gamma_constraint": "non_neg",
            "beta_constraint": "max_norm"}, (4, 3), **TRAIN, id="regularized-constrained"),
    # trainable=False: inference even with training=True; nothing is updated and no gradient reaches gamma/beta.
    Sample({**RANDOM_WEIGHTS, "trainable": False}, (4, 3, 3, 2), training=True, steps=3, id="trainable-false"),
    # Masks (training only): rank = input rank - 1, broadcast with a trailing axis.
    Sample({"momentum": 0.8}, None, make_inputs=_masked_inputs((4, 6, 3)), **TRAIN, id="mask-3d"),
    Sample({**RANDOM_WEIGHTS}, None, make_inputs=_masked_inputs((3, 4, 4, 2)), **TRAIN, id="mask-4d"),
    Sample({}, None, make_inputs=_masked_inputs((4, 6, 3)), training=False, id="mask-ignored-in-inference"),
    # Keras expands the mask at the last axis whatever `axis` is: with axis=1 a (B, C) mask masks channels.
    Sample({"axis": 1}, None, make_inputs=_masked_inputs((4, 3, 5), (4, 3)), **TRAIN, id="mask-axis1-masks-channels"),
    Sample({}, None, make_inputs=_masked_inputs((2, 3, 4, 5), (2, 3, 1)), **TRAIN, id="mask-broadcast"),
    Sample({"momentum": 0.5}, None, make_inputs=_constant_mask((3, 4, 2), np.zeros((3, 4), bool)), training=True,
           steps=3, id="mask-fully-masked"),
    Sample({"renorm": True, "renorm_clipping": {"rmax": 1.2, "dmax": 0.3}}, None,
           make_inputs=_affine_inputs((4, 5, 3), 2.0, -1.0, (4, 5)), **TRAIN, id="renorm-masked"),
    # Batch renormalisation on the fused-kernel path (no mask) and with the channel first.
    Sample({"renorm": True, "renorm_momentum": 0.9}, None, make_inputs=_affine_inputs((4, 3, 3, 5), 2.0, 1.0),
           **TRAIN, id="renorm-4d-no-clipping"),
    Sample({"axis": 1, "renorm": True, "renorm_clipping": {"rmin": 0.8, "rmax": 1.25, "dmax": 0.2},
            "renorm_momentum": 0.7, "scale": False}, None, make_inputs=_affine_inputs((3, 4, 5, 2), 0.4, 2.0),
           **TRAIN, id="renorm-axis1-clipping-no-scale"),
    Sample({"renorm": True, "renorm_clipping": {"rmax": 1.1}}, (4, 3), training=False, id="renorm-inference"),
    # Legacy tf_keras arguments, against tf_keras 2.21.
    Sample({"virtual_batch_size": 4}, (8, 3), **TF_KERAS_TRAIN, id="ghost-2d"),
    Sample({**RANDOM_WEIGHTS, "virtual_batch_size": 2, "momentum": 0.8}, (6, 3, 2, 4), **TF_KERAS_TRAIN,
           id="ghost-4d"),
    Sample({"virtual_batch_size": 3, "axis": 1}, (6, 2, 5), **TF_KERAS_TRAIN, id="ghost-axis1"),
    Sample({**RANDOM_WEIGHTS, "virtual_batch_size": 2}, (4, 3, 2), training=False, reference="tf_keras",
           id="ghost-inference"),
    Sample({"virtual_batch_size": 2, "renorm": True, "renorm_clipping": {"rmax": 1.3, "dmax": 0.4},
            "renorm_momentum": 0.9}, None, make_inputs=_affine_inputs((6, 3), 2.0, 1.0), **TF_KERAS_TRAIN,
           id="ghost-renorm"),
    Sample({"adjustment": _torch_adjustment(3)}, (5, 4, 3), **TF_KERAS_TRAIN,
           keras_setup=_set_tf_adjustment(3), id="adjustment-3d"),
    Sample({"adjustment": _torch_adjustment(4), "axis": 1, "fused": False}, (3, 4, 2, 4), **TF_KERAS_TRAIN,
           keras_setup=_set_tf_adjustment(4), id="adjustment-axis1-4d"),
    Sample({"adjustment": _torch_adjustment(3), "renorm": True, "renorm_clipping": {"rmax": 1.2, "dmax": 0.3}}, None,
           make_inputs=_affine_inputs((6, 3), 2.0, 1.0), **TF_KERAS_TRAIN,
           keras_setup=_set_tf_adjustment(3), id="adjustment-renorm"),
    Sample({"adjustment": _torch_adjustment(3)}, (5, 3), training=False, reference="tf_keras",
           keras_setup=_set_tf_adjustment(3), id="adjustment-inference"),
    Sample({"renorm": True, "renorm_clipping": {"rmin": 0.7, "rmax": 1.4, "dmax": 0.5}, "renorm_momentum": 0.8}, None,
           make_inputs=_affine_inputs((6, 4, 3), 3.0, 1.5), **{**TF_KERAS_TRAIN, "steps": 6},
           id="renorm-vs-tf-keras"),
    Sample({"momentum": 0.9}, (4, 5, 3), **TF_KERAS_TRAIN, id="tf-keras-non-fused-biased"),
    # tf_keras' fused kernel (float32 only: tf_keras rejects fused=True in float64) updates the moving variance
    # with the unbiased variance.
    Sample({"fused": True}, (4, 3, 2, 5), **TF_KERAS_TRAIN, id="fused-nhwc-unbiased"),
    Sample({**RANDOM_WEIGHTS, "fused": True, "axis": 1, "momentum": 0.9}, (3, 4, 2, 3), **TF_KERAS_TRAIN,
           id="fused-nchw-unbiased"),
    Sample({"fused": True, "momentum": 0.8}, (2, 3, 2, 2, 4), **TF_KERAS_TRAIN, id="fused-5d-unbiased"),
    Sample({"fused": True, "axis": 3}, (2, 3, 4, 2, 2), **TF_KERAS_TRAIN,
           id="fused-5d-middle-axis-falls-back-biased"),
]


def _random_sample(rng: np.random.Generator) -> Sample:
    rank = int(rng.integers(2, 6))
    axis = int(rng.integers(-rank, rank))
    while True:
        shape = (int(rng.integers(2, 6)),) + tuple(int(d) for d in rng.integers(1, 5, size=rank - 1))
        # At least 4 values per channel: with one or two the batch variance is ~0, and Keras' output
        # x*inv - mean*inv is pure float32 rounding noise (|x*inv| ~ 1/sqrt(eps)), not a number to compare.
        if np.prod(shape) // shape[axis] >= 4:
            break
    config = {
        "axis": axis,
        "momentum": float(np.round(rng.uniform(0.5, 0.999), 3)),
        "epsilon": float(rng.choice([1e-3, 1e-5, 1e-2])),
        "center": bool(rng.random() < 0.8),
        "scale": bool(rng.random() < 0.8),
        **RANDOM_WEIGHTS,
    }
    if rng.random() < 0.25:
        config["renorm"] = True
        config["renorm_momentum"] = float(np.round(rng.uniform(0.5, 0.99), 2))
        bounds = (("rmin", 0.8), ("rmax", 1.3), ("dmax", 0.4))
        config["renorm_clipping"] = {k: v for k, v in bounds if rng.random() < 0.6}
    training = bool(rng.random() < 0.75)
    steps = int(rng.integers(1, 6)) if training else 1
    # Masked training with a single channel on a non-last axis crashes Keras 3.15 (README, "Keras bugs").
    if training and rng.random() < 0.3 and not (shape[axis] == 1 and axis % rank != rank - 1):
        make = _affine_inputs(shape, float(rng.uniform(0.5, 3.0)), float(rng.uniform(-2, 2)), shape[:-1])
        return Sample(config, None, make_inputs=make, training=True, steps=steps)
    return Sample(config, shape, training=training, steps=steps)


BATCH_NORMALIZATION = LayerSpec(
    name="BatchNormalization",
    samples=SAMPLES,
    sampler=_random_sample,
    keras_config=_keras_config,
    bad_configs=[
        ({"axis": [1, 2]}, "axis-list"),
        ({"axis": "channels"}, "axis-string"),
        ({"momentum": "high"}, "momentum-string"),
        ({"renorm": True, "renorm_clipping": {"rmax": 3.0, "r_max": 1.0}}, "renorm-clipping-unknown-key"),
        ({"renorm": True, "renorm_clipping": {"rmin": 2.0, "rmax": 1.0}}, "renorm-clipping-rmax-below-rmin"),
        ({"renorm": True, "renorm_clipping": {"dmax": -1.0}}, "renorm-clipping-negative-dmax"),
        ({"beta_initializer": "no_such_initializer"}, "unknown-initializer"),
        ({"gamma_regularizer": "no_such_regularizer"}, "unknown-regularizer"),
        ({"not_an_argument": 1}, "unknown-kwarg"),
        # Legacy arguments: Keras 3 rejects them as unknown; we reject them as tf_keras does.
        ({"virtual_batch_size": 0}, "virtual-batch-size-zero"),
        ({"virtual_batch_size": 2, "adjustment": lambda shape: (1.0, 0.0)}, "virtual-batch-size-with-adjustment"),
        ({"fused": True, "renorm": True}, "fused-with-renorm"),
        ({"fused": True, "axis": 2}, "fused-axis-2"),
        ({"fused": True, "virtual_batch_size": 2}, "fused-with-virtual-batch-size"),
        ({"fused": True, "synchronized": True}, "fused-with-synchronized"),
        ({"fused": True, "dtype": "float64"}, "fused-float64"),
        ({"adjustment": 3}, "adjustment-not-callable"),
    ],
    bad_inputs=[
        BadInput({}, (2, 3, 4), (2, 3), match=ndim_error("BatchNormalization", 3, 2), id="rank-change-after-build"),
        BadInput({"axis": 1}, (2, 3, 4), (2, 3, 4, 5), match=ndim_error("BatchNormalization", 3, 4), id="rank-change-axis1"),
        BadInput({}, (2, 4), (2, 5), match=r"layer BatchNormalization \(.*expected axis -1 of input shape to have value 4, found 5",
                 id="channels-change-after-build"),
        BadInput({"axis": 1}, (2, 3, 4), (2, 4, 4),
                 match=r"layer BatchNormalization \(.*expected axis 1 of input shape to have value 3, found 4",
                 id="channels-change-axis1"),
        BadInput({"axis": 3}, None, (2, 3), match=r"BatchNormalization \(.*argument `axis` must be in \[-2, 2\) .*received axis=3",
                 id="axis-out-of-range"),
        BadInput({}, None, (2, 3, 4), call_kwargs={"mask": np.ones((2, 3, 4), bool)},
                 match=r"BatchNormalization \(.*argument `mask` must have one dimension less than the inputs", id="mask-rank"),
        BadInput({}, None, (2, 3, 4), call_kwargs={"mask": np.ones((2, 5), bool), "training": True},
                 match=r"BatchNormalization \(.*argument `mask` of shape \(2, 5\) does not broadcast",
                 id="mask-not-broadcastable"),
        # Legacy arguments (Keras 3 cannot construct these layers): tf_keras must reject them too.
        BadInput({"virtual_batch_size": 4}, (8, 3), (6, 3), call_kwargs={"training": True}, reference="tf_keras",
                 match=r"BatchNormalization \(.*argument `virtual_batch_size`=4 must divide the batch size; received a batch of 6",
                 id="virtual-batch-size-does-not-divide-batch"),
        BadInput({"fused": True}, None, (2, 3, 4), reference="tf_keras",
                 match=r"BatchNormalization \(.*argument `fused=True` supports only 4D or 5D inputs", id="fused-rank-3"),
        BadInput({"fused": True, "axis": -4}, None, (2, 3, 4, 5), reference="tf_keras",
                 match=r"BatchNormalization \(.*argument `fused=True` needs axis 1 or 3 for 4D inputs; received axis=-4",
                 id="fused-4d-axis-0"),
    ],
)

SPECS = [BATCH_NORMALIZATION]
