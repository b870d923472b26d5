"""The Keras-Tuner-style HyperParameters adapter and the Keras Tuner example's search space."""

from __future__ import annotations

import optuna
import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

from tuning.hp import HyperParameters, grid
from tuning.model import build_model

optuna.logging.set_verbosity(optuna.logging.WARNING)


def trial_hp(seed: int = 0):
    trial = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed)).ask()
    return trial, HyperParameters(trial)


def test_each_method_suggests_through_the_matching_optuna_distribution():
    trial, hp = trial_hp()
    units = hp.Int("units", min_value=32, max_value=128, step=32)
    rate = hp.Float("rate", 0.1, 0.5)
    lr = hp.Float("lr", 1e-4, 1e-2, sampling="log")
    width = hp.Float("width", 0.0, 1.0, step=0.25)
    kernel = hp.Choice("kernel", [3, 5, 7])
    flag = hp.Boolean("flag")
    fixed = hp.Fixed("act", "relu")
    assert trial.distributions == {
        "units": IntDistribution(32, 128, step=32),
        "rate": FloatDistribution(0.1, 0.5),
        "lr": FloatDistribution(1e-4, 1e-2, log=True),
        "width": FloatDistribution(0.0, 1.0, step=0.25),
        "kernel": CategoricalDistribution([3, 5, 7]),
        "flag": CategoricalDistribution([False, True]),
        "act": CategoricalDistribution(["relu"]),
    }
    assert units in (32, 64, 96, 128) and kernel in (3, 5, 7) and fixed == "relu"
    assert 0.1 <= rate <= 0.5 and 1e-4 <= lr <= 1e-2 and width in (0.0, 0.25, 0.5, 0.75, 1.0)
    assert isinstance(units, int) and isinstance(flag, bool)
    assert hp.values == trial.params
    # Asking again for a known name returns the same value (Keras Tuner semantics).
    assert hp.Int("units", min_value=32, max_value=128, step=32) == units


def test_log_sampling_with_a_step_is_keras_tuners_multiplier():
    trial, hp = trial_hp()
    hp.Int("filters", 16, 256, step=2, sampling="log")
    hp.Float("lr", 1e-4, 1e-1, step=10, sampling="log")
    assert trial.distributions["filters"] == CategoricalDistribution([16, 32, 64, 128, 256])
    assert trial.distributions["lr"].choices == pytest.approx((1e-4, 1e-3, 1e-2, 1e-1))


def test_fixed_values_and_keras_tuner_defaults():
    hp = HyperParameters(values={"units": 96})
    assert hp.Int("units", 32, 128, step=32) == 96
    assert hp.Int("other", 32, 128, step=32) == 32  # min_value
    assert hp.Float("rate", 0.1, 0.5) == 0.1
    assert hp.Float("mom", 0.1, 0.9, default=0.5) == 0.5
    assert hp.Choice("kernel", [5, 3]) == 5  # the first choice
    assert hp.Boolean("flag") is False
    assert hp.Fixed("act", "tanh") == "tanh"


def test_conditional_scope_suggests_only_active_hyperparameters():
    trial = optuna.create_study().ask({"dropout": CategoricalDistribution([False, True])})
    hp = HyperParameters(trial)
    use = hp.Boolean("dropout")
    with hp.conditional_scope("dropout", [True]):
        rate = hp.Float("rate", 0.1, 0.5)
    other = hp.Int("other", 1, 3, parent_name="dropout", parent_values=[False])
    if use:
        assert rate is not None and other is None
        assert "rate" in trial.params and "other" not in trial.params
    else:
        assert rate is None and other is not None
        assert "rate" not in trial.params and "other" in trial.params
    assert hp.is_active("rate") is use and hp.is_active("other") is (not use)


def test_conditional_scopes_nest_and_follow_fixed_values():
    hp = HyperParameters(values={"model": "cnn", "depth": 3})
    hp.Choice("model", ["mlp", "cnn"])
    with hp.conditional_scope("model", "cnn"):
        depth = hp.Int("depth", 1, 3)
        with hp.conditional_scope("depth", [2, 3]):
            width = hp.Int("width", 8, 16, step=8)
    with hp.conditional_scope("model", ["mlp"]):
        hidden = hp.Int("hidden", 1, 2)
    assert (depth, width, hidden) == (3, 8, None)
    assert hp.values == {"model": "cnn", "depth": 3, "width": 8}


@pytest.mark.parametrize("call, argument", [
    (lambda hp: hp.Int("x", 5, 3), "max_value"),
    (lambda hp: hp.Int("x", 1.5, 3), "min_value"),
    (lambda hp: hp.Int("x", 1, 3, step=0), "step"),
    (lambda hp: hp.Int("x", 1, 3, sampling="reverse_log"), "sampling"),
    (lambda hp: hp.Float("x", 0.0, 1.0, sampling="log"), "min_value"),
    (lambda hp: hp.Float("x", 0.0, 1.0, step=-1), "step"),
    (lambda hp: hp.Choice("x", []), "values"),
    (lambda hp: hp.Choice("x", [1, "a"]), "values"),
    (lambda hp: hp.Choice("x", [1, 2], default=3), "default"),
    (lambda hp: hp.Boolean("x", default=1), "default"),
    (lambda hp: hp.Fixed("x", [1]), "value"),
    (lambda hp: hp.Int("x", 1, 3, parent_name="missing", parent_values=[1]), "parent_name"),
])
def test_bad_arguments_name_the_method_and_argument(call, argument):
    with pytest.raises(ValueError, match=f"HyperParameters.*`{argument}`"):
        call(HyperParameters())


def test_redeclaring_a_name_differently_is_an_error():
    hp = HyperParameters()
    hp.Int("units", 32, 128, step=32)
    with pytest.raises(ValueError, match="already declared"):
        hp.Int("units", 32, 256, step=32)


def test_the_seed_search_space():
    hp = HyperParameters()
    build_model(hp)
    assert {name: spec.choices for name, spec in hp.space.items()} == {
        "conv_1_filter": (32, 64, 96, 128),
        "conv_1_kernel": (3, 5, 7),
        "dense_1_units": (32, 64, 96, 128),
    }
    assert hp.values == {"conv_1_filter": 32, "conv_1_kernel": 3, "dense_1_units": 32}


def test_grid_of_the_seed_has_all_48_combinations_in_declaration_order():
    points = grid(build_model)
    assert len(points) == 48
    assert len({tuple(p.items()) for p in points}) == 48
    assert points[0] == {"conv_1_filter": 32, "conv_1_kernel": 3, "dense_1_units": 32}
    assert points[1] == {"conv_1_filter": 32, "conv_1_kernel": 3, "dense_1_units": 64}
    assert points[4] == {"conv_1_filter": 32, "conv_1_kernel": 5, "dense_1_units": 32}
    assert points[-1] == {"conv_1_filter": 128, "conv_1_kernel": 7, "dense_1_units": 128}


def test_grid_drops_inactive_hyperparameters_and_their_duplicates():
    def build(hp):
        if hp.Boolean("dropout"):
            with hp.conditional_scope("dropout", [True]):
                hp.Float("rate", 0.25, 0.5, step=0.25)
        hp.Choice("act", ["relu", "tanh"])

    # `rate` is declared only when dropout is on, so it is discovered after `act` and varies fastest.
    assert grid(build) == [
        {"dropout": False, "act": "relu"},
        {"dropout": False, "act": "tanh"},
        {"dropout": True, "rate": 0.25, "act": "relu"},
        {"dropout": True, "rate": 0.5, "act": "relu"},
        {"dropout": True, "rate": 0.25, "act": "tanh"},
        {"dropout": True, "rate": 0.5, "act": "tanh"},
    ]


def test_grid_refuses_a_continuous_hyperparameter():
    with pytest.raises(ValueError, match="finite search space.*'lr'"):
        grid(lambda hp: hp.Float("lr", 1e-4, 1e-2, sampling="log"))
