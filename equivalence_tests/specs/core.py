"""Core layers: Dense, Activation, Dropout, Lambda (Input: see test_input_layer.py; Keras' InputLayer is not callable)."""

from __future__ import annotations

import numpy as np

from .. import numpy_refs
from ..registry import BadInput, LayerSpec, Sample, ndim_error

ACTIVATION_NAMES = ["linear", "relu", "relu6", "leaky_relu", "elu", "celu", "selu", "gelu", "silu", "swish",
                    "hard_sigmoid", "hard_silu", "sigmoid", "tanh", "exponential", "softmax", "log_softmax",
                    "softplus", "softsign", "mish", "log_sigmoid", "glu", "hard_tanh", "hard_shrink",
                    "soft_shrink", "tanh_shrink", "sparse_plus", "sparse_sigmoid", "squareplus"]
# `sparsemax` is missing on purpose: Keras 3.15's TF sparsemax sums the cumulative sums over the support
# (tau = (sum_k cumsum_k - 1)/k), so its rows do not sum to 1; ours follows the paper, checked against numpy.



def _keras_lora_alpha(alpha):
    """Keras 3.15's Dense ignores a constructor lora_alpha (enable_lora is called without it);
    set it on the Keras layer so both compute the documented scale alpha / rank."""

    def setup(layer):
        layer.lora_alpha = alpha

    return setup


def _dense_sample(rng) -> Sample:
    units = int(rng.integers(1, 9))
    rank = int(rng.integers(2, 5))
    batch = tuple(int(d) for d in rng.integers(1, 5, size=rank - 1))
    features = int(rng.integers(1, 9))
    config = {
        "units": units * 2,  # even, so `glu` stays valid
        "activation": str(rng.choice(ACTIVATION_NAMES)),
        "use_bias": bool(rng.integers(2)),
        "kernel_initializer": str(rng.choice(["glorot_uniform", "he_normal", "lecun_uniform", "orthogonal", "random_normal"])),
        "bias_initializer": str(rng.choice(["zeros", "ones", "random_uniform"])),
    }
    if rng.random() < 0.3:
        config["lora_rank"] = int(rng.integers(1, 4))
    return Sample(config, batch + (features,))


DENSE = LayerSpec(
    name="Dense",
    samples=[
        Sample({"units": 3}, (4, 5)),
        Sample({"units": 5, "activation": "relu"}, (2, 3, 4), id="3d-relu"),
        Sample({"units": 2, "activation": "gelu", "use_bias": False}, (2, 3, 4, 6), id="4d-gelu-nobias"),
        Sample({"units": 4, "activation": "softmax", "kernel_initializer": "he_uniform", "bias_initializer": "ones"}, (3, 7)),
        Sample({"units": 1, "activation": "sigmoid"}, (5, 1), id="one-unit"),
        Sample({"units": 6, "activation": "glu"}, (2, 4), id="glu"),
        Sample({"units": 4, "activation": "leaky_relu"}, (6, 3), id="leaky-0.2"),
        Sample({"units": 4, "activation": "hard_sigmoid"}, (6, 3), id="hard-sigmoid"),
        Sample({"units": 4, "activation": "sparsemax"}, (6, 3), reference=numpy_refs.dense_sparsemax, id="sparsemax-vs-numpy"),
        Sample({"units": 4, "lora_rank": 2}, (3, 5), id="lora"),
        Sample({"units": 4, "lora_rank": 2, "lora_alpha": 6}, (3, 5), keras_setup=_keras_lora_alpha(6), id="lora-alpha"),
        Sample({"units": 3, "kernel_regularizer": "l2", "bias_regularizer": "l1", "activity_regularizer": "l1l2"}, (4, 5), id="regularized"),
        Sample({"units": 3, "kernel_constraint": "max_norm", "bias_constraint": "non_neg"}, (4, 5), id="constrained"),
        Sample({"units": 3, "activation": "selu", "kernel_initializer": {"class_name": "VarianceScaling", "config": {"scale": 2.0, "mode": "fan_out", "distribution": "uniform", "seed": 3}}}, (4, 5), id="init-config-dict"),
    ],
    sampler=_dense_sample,
    bad_configs=[
        ({"units": 0}, "units=0"),
        ({"units": -2}, "negative-units"),
        ({"units": 2.5}, "float-units"),
        ({"units": 3, "activation": "no_such_activation"}, "unknown-activation"),
        ({"units": 3, "kernel_initializer": "no_such_init"}, "unknown-initializer"),
        ({"units": 3, "kernel_regularizer": "no_such_reg"}, "unknown-regularizer"),
        ({"units": 3, "not_an_argument": 1}, "unknown-kwarg"),
    ],
    bad_inputs=[
        BadInput({"units": 3}, None, (5,), match=ndim_error("Dense", "min_ndim=2", 1), id="rank-1"),
        BadInput({"units": 3}, (2, 4), (2, 5), match=r"layer Dense \(.*expected axis -1 of input shape to have value 4, found 5",
                 id="features-change-after-build"),
    ],
)


def _activation_sample(rng) -> Sample:
    shape = tuple(int(d) for d in rng.integers(1, 5, size=int(rng.integers(2, 5))))
    shape = shape[:-1] + (2 * shape[-1],)  # even last axis for glu
    return Sample({"activation": str(rng.choice(ACTIVATION_NAMES))}, shape)


ACTIVATION = LayerSpec(
    name="Activation",
    samples=[Sample({"activation": name}, (3, 4, 6), id=name) for name in ACTIVATION_NAMES]
    + [
        # Boundary values of the piecewise activations (+-0.5, +-1, +-3, 6) included.
        Sample({"activation": name}, None, make_inputs=lambda rng: ([np.linspace(-7, 7, 57).reshape(3, 19)], {}), id=f"{name}-boundaries")
        for name in ["relu6", "hard_sigmoid", "hard_silu", "hard_tanh", "hard_shrink", "soft_shrink", "sparse_plus", "sparse_sigmoid", "leaky_relu"]
    ]
    + [Sample({"activation": "sparsemax"}, (4, 7), reference=lambda c, a, k, w: numpy_refs.sparsemax(a[0]), id="sparsemax-vs-numpy"),
       Sample({"activation": None}, (2, 3), id="None-is-linear")],
    sampler=_activation_sample,
    bad_configs=[({"activation": "nope"}, "unknown-name"), ({"activation": 3}, "not-callable")],
)


def _dropout_sample(rng) -> Sample:
    shape = tuple(int(d) for d in rng.integers(1, 5, size=int(rng.integers(2, 5))))
    noise = tuple(None if rng.random() < 0.5 else (1 if rng.random() < 0.5 else d) for d in shape)
    rate = float(rng.choice([0.0, 0.1, 0.5, 0.9]))
    return Sample({"rate": rate, "noise_shape": noise if rng.random() < 0.5 else None, "seed": int(rng.integers(0, 100))},
                  shape, training=False)


DROPOUT = LayerSpec(
    name="Dropout",
    samples=[
        # Random streams differ between frameworks: training-mode numerics are checked only where they
        # are deterministic (rate 0 and 1); the keep rate is checked statistically in tests/.
        Sample({"rate": 0.5}, (4, 5), training=False, id="inference-identity"),
        Sample({"rate": 0.5}, (4, 5), id="default-call"),
        Sample({"rate": 0.0}, (4, 5), training=True, id="rate0-training"),
        Sample({"rate": 1.0}, (4, 5), training=True, id="rate1-training-zeros"),
        Sample({"rate": 0.3, "noise_shape": (None, 1, 5)}, (2, 3, 5), training=False, id="noise-shape"),
        Sample({"rate": 0.3, "seed": 7}, (2, 3, 5), training=False, id="seeded"),
    ],
    sampler=_dropout_sample,
    bad_configs=[({"rate": -0.1}, "negative-rate"), ({"rate": 1.5}, "rate>1")],
    bad_inputs=[BadInput({"rate": 0.5, "noise_shape": (None, 2)}, None, (3, 4), call_kwargs={"training": True},
                         match=r"Dropout \(.*argument `noise_shape` entry 1 must be None, 1 or 4; received noise_shape=\(None, 2\)",
                         id="noise-shape-mismatch")],
)


def times_two_plus_one(x):
    return x * 2 + 1


def scaled_shift(x, scale, shift=0.0):
    return x * scale + shift


def halve_in_training(x, training):
    return x * 0.5 if training else x


def first_feature_half(x):
    return x[..., : x.shape[-1] // 2]


def pass_mask(inputs, mask):
    return mask


def _lambda_sample(rng) -> Sample:
    shape = tuple(int(d) for d in rng.integers(1, 5, size=int(rng.integers(2, 5))))
    choice = int(rng.integers(3))
    if choice == 0:
        return Sample({"function": times_two_plus_one}, shape)
    if choice == 1:
        return Sample({"function": scaled_shift, "arguments": {"scale": float(rng.normal()), "shift": float(rng.normal())}}, shape)
    return Sample({"function": halve_in_training}, shape, training=bool(rng.integers(2)))


LAMBDA = LayerSpec(
    name="Lambda",
    samples=[
        Sample({"function": times_two_plus_one}, (3, 4)),
        Sample({"function": scaled_shift, "arguments": {"scale": 3.0}}, (2, 3, 4), id="arguments"),
        Sample({"function": halve_in_training}, (2, 3), training=True, id="training-forwarded"),
        Sample({"function": halve_in_training}, (2, 3), training=False, id="inference"),
        Sample({"function": first_feature_half, "output_shape": (2,)}, (3, 4), id="output-shape"),
        # Keras 3.15 bug: Lambda.from_config never deserialises `mask`, so the rebuilt layer's mask is
        # the config dict; keras_setup restores the function on the Keras side (ours deserialises it).
        Sample({"function": times_two_plus_one, "mask": pass_mask}, (2, 3, 4),
               call_kwargs={"mask": np.array([[True, False, True], [False, False, True]])},
               keras_setup=lambda layer: setattr(layer, "mask", pass_mask), id="mask-callable"),
    ],
    sampler=_lambda_sample,
    bad_configs=[({"function": 3}, "not-callable")],
    # Keras' config keeps only a named function's name; both sides resolve it through custom_objects.
    from_config_kwargs={"custom_objects": {f.__name__: f for f in (times_two_plus_one, scaled_shift, halve_in_training, first_feature_half, pass_mask)}},
)

SPECS = [DENSE, ACTIVATION, DROPOUT, LAMBDA]
