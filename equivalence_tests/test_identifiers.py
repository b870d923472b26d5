"""Identifiers (initializers, regularizers, constraints) against Keras: same configs, same values
(regularizers, constraints) and the same distributions (initializers; random streams differ)."""

import numpy as np
import pytest
import torch

from torchkeras_layers import constraints, initializers, regularizers

from .tolerances import FORWARD, assert_close

INITIALIZER_NAMES = ["zeros", "ones", "glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform",
                     "lecun_normal", "random_normal", "random_uniform", "truncated_normal", "orthogonal",
                     "variance_scaling", "identity", "normal", "uniform", "GlorotUniform", "HeNormal"]
SHAPES = [(64, 96), (3, 3, 16, 32), (5, 40, 8)]


@pytest.mark.parametrize("name", INITIALIZER_NAMES)
def test_initializer_config_matches_keras(name):
    import keras

    assert initializers.get(name).serialize() == keras.initializers.serialize(keras.initializers.get(name))


@pytest.mark.parametrize("name", [n for n in INITIALIZER_NAMES if n not in ("identity",)])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_initializer_distribution_matches_keras(name, shape):
    """Mean and standard deviation agree within 6 standard errors of the sample statistics, and the
    support (min/max) of bounded distributions agrees."""
    import keras

    ours = initializers.get(name)(shape, dtype=torch.float64).numpy().ravel()
    theirs = np.asarray(keras.initializers.get(name)(shape, dtype="float64")).ravel()
    n = ours.size
    sd = max(theirs.std(), 1e-12)
    assert abs(ours.mean() - theirs.mean()) <= 6 * sd * np.sqrt(2 / n) + 1e-12
    # Standard error of a standard deviation estimate is about sd / sqrt(2n).
    assert abs(ours.std() - theirs.std()) <= 6 * sd / np.sqrt(n) + 1e-12
    if name in ("glorot_uniform", "he_uniform", "lecun_uniform", "random_uniform", "uniform"):
        assert abs(ours.max() - theirs.max()) < 0.05 * sd and abs(ours.min() - theirs.min()) < 0.05 * sd


def test_orthogonal_is_orthogonal():
    w = initializers.get("orthogonal")((3, 3, 8, 16)).reshape(-1, 16)
    torch.testing.assert_close(w.T @ w, torch.eye(16), atol=1e-5, rtol=0)


def test_constant_by_name():
    # keras.initializers.get("constant") raises KeyError('value') in Keras 3.15; ours gives Constant(0.0).
    assert initializers.get("constant")((2,)).tolist() == [0.0, 0.0]
    assert initializers.get({"class_name": "Constant", "config": {"value": 2.5}})((2,)).tolist() == [2.5, 2.5]


def test_seeded_initializer_is_reproducible():
    a = initializers.GlorotUniform(seed=3)((4, 5))
    b = initializers.GlorotUniform(seed=3)((4, 5))
    torch.testing.assert_close(a, b)


REGULARIZERS = ["l1", "l2", "l1l2", {"class_name": "L1L2", "config": {"l1": 0.3, "l2": 0.1}},
                {"class_name": "OrthogonalRegularizer", "config": {"factor": 0.2, "mode": "columns"}},
                "orthogonal_regularizer"]


@pytest.mark.parametrize("identifier", REGULARIZERS, ids=str)
def test_regularizer_value_matches_keras(identifier):
    import keras

    x = np.random.default_rng(0).standard_normal((6, 5)).astype(np.float32)
    ours = regularizers.get(identifier)
    theirs = keras.regularizers.get(identifier)
    # A backend tensor, not numpy: Keras' numpy branch of `normalize` mis-broadcasts for axis=0.
    expected = np.asarray(theirs(keras.ops.convert_to_tensor(x)))
    assert_close(ours(torch.from_numpy(x)).numpy(), expected, FORWARD["float32"], f"regularizer {identifier}")
    assert ours.serialize()["class_name"] == keras.regularizers.serialize(theirs)["class_name"]


def test_l1_l2_string_documented_by_keras_is_accepted():
    # Keras documents `kernel_regularizer='l1_l2'` but its table only has 'l1l2' (a Keras bug);
    # we accept both (README, Deviations).
    assert isinstance(regularizers.get("l1_l2"), regularizers.L1L2)


CONSTRAINTS = ["max_norm", "non_neg", "unit_norm", "min_max_norm",
               {"class_name": "MaxNorm", "config": {"max_value": 0.5, "axis": [0, 1, 2]}},
               {"class_name": "MinMaxNorm", "config": {"min_value": 0.5, "max_value": 0.8, "rate": 0.7, "axis": 1}}]


@pytest.mark.parametrize("identifier", CONSTRAINTS, ids=str)
def test_constraint_value_matches_keras(identifier):
    import keras

    x = np.random.default_rng(1).standard_normal((3, 3, 4, 5)).astype(np.float32)
    ours = constraints.get(identifier)(torch.from_numpy(x)).numpy()
    theirs = np.asarray(keras.constraints.get(identifier)(x))
    assert_close(ours, theirs, FORWARD["float32"], f"constraint {identifier}")
    assert constraints.get(identifier).serialize() == keras.constraints.serialize(keras.constraints.get(identifier))


@pytest.mark.parametrize("kind,module",
                         [("initializer", initializers), ("regularizer", regularizers), ("constraint", constraints)])
def test_unknown_identifier_is_a_clear_error(kind, module):
    with pytest.raises(ValueError, match=kind):
        module.get("definitely_not_a_name")
