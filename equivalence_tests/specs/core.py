"""Core layers: Dense (Input, Activation, Dropout, Lambda follow)."""

from __future__ import annotations

import numpy as np

from .. import numpy_refs
from ..registry import BadInput, LayerSpec, Sample

ACTIVATION_NAMES = ["linear", "relu", "relu6", "leaky_relu", "elu", "celu", "selu", "gelu", "silu", "swish",
                    "hard_sigmoid", "hard_silu", "sigmoid", "tanh", "exponential", "softmax", "log_softmax",
                    "softplus", "softsign", "mish", "log_sigmoid", "glu", "hard_tanh", "hard_shrink",
                    "soft_shrink", "tanh_shrink", "sparse_plus", "sparse_sigmoid", "squareplus"]
# `sparsemax` is missing on purpose: Keras 3.15's TF sparsemax sums the cumulative sums over the support
# (tau = (sum_k cumsum_k - 1)/k), so its rows do not sum to 1; ours follows the paper, checked against numpy.


def _dense():
    from torchkeras_layers.layers import Dense

    return Dense


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
    module=_dense,
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
        BadInput({"units": 3}, None, (5,), id="rank-1"),
        BadInput({"units": 3}, (2, 4), (2, 5), id="features-change-after-build"),
    ],
)

SPECS = [DENSE]
