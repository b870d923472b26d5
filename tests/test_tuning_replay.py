"""`python -m tuning.replay`: samplers and pruners replayed on a grid study's curves, without training.
The grid study here has made-up curves (no training), stored as `python -m tuning --sampler grid` stores
its trials."""

from __future__ import annotations

import optuna
import pytest

from tuning import replay
from tuning.hp import HyperParameters, grid
from tuning.model import build_model

optuna.logging.set_verbosity(optuna.logging.WARNING)
EPOCHS = 3


def made_up_curve(params: dict) -> list[float]:
    """Distinct per point; rises with the epochs, so the best epoch is the last."""
    score = (params["conv_1_filter"] / 128 + params["conv_1_kernel"] / 7 + params["dense_1_units"] / 512) / 3
    return [score * (epoch + 1) / EPOCHS for epoch in range(EPOCHS)]


@pytest.fixture(scope="module")
def grid_study(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('replay') / 'grid.db'}"
    study = optuna.create_study(study_name="grid", storage=url, direction="maximize")
    for point in grid(build_model):
        study.enqueue_trial(point)

    def objective(trial):
        hp = HyperParameters(trial)
        build_model(hp)
        curve = made_up_curve(hp.values)
        for epoch, value in enumerate(curve):
            trial.report(value, epoch)
        return max(curve)

    study.optimize(objective, n_trials=len(grid(build_model)))
    return url, study


def test_the_curves_are_the_grid_studys(grid_study):
    _, study = grid_study
    curves = replay.measured_curves(study)
    assert len(curves) == 48
    point = {"conv_1_filter": 64, "conv_1_kernel": 5, "dense_1_units": 96}
    assert curves[tuple(sorted(point.items()))] == made_up_curve(point)


def test_a_study_as_large_as_the_grid_finds_its_best_point(grid_study):
    curves = replay.measured_curves(grid_study[1])
    best, trial_epochs = replay.replay(curves, "random", "none", trials=48, seed=0)
    assert best == max(map(max, curves.values()))  # every point trained once: no point twice
    assert trial_epochs == 48 * EPOCHS


def test_pruned_trials_stop_early_as_in_a_real_study(grid_study):
    curves = replay.measured_curves(grid_study[1])
    runs = [replay.replay(curves, "random", "median", trials=10, seed=seed) for seed in range(4)]
    assert sum(epochs for _, epochs in runs) < 4 * 10 * EPOCHS
    # What a pruned trial reported does not count: the best is a complete trial's value.
    assert all(best in [max(c) for c in curves.values()] for best, _ in runs)


def test_pruned_trials_pay_for_more_trials_unless_exact(grid_study):
    curves = replay.measured_curves(grid_study[1])
    budget, extended = 10 * EPOCHS, 0
    for seed in range(6):
        exact_best, exact_epochs = replay.replay(curves, "tpe", "median", trials=10, seed=seed, exact_trials=True)
        best, epochs = replay.replay(curves, "tpe", "median", trials=10, seed=seed)
        # The first 10 trials are the exact study's; a whole trial's worth of saved epochs runs one more.
        assert best >= exact_best and budget - EPOCHS < epochs <= budget
        assert (epochs > exact_epochs) == (budget - exact_epochs >= EPOCHS)
        extended += epochs > exact_epochs
    assert extended >= 3


def test_the_table_has_every_sampler_and_pruner(grid_study, capsys):
    assert replay.main(["--storage", grid_study[0], "--study-name", "grid", "--trials", "3", "--seeds", "2"]) == 0
    out = capsys.readouterr().out
    assert "(Keras Tuner's RandomSearch)" in out
    for sampler, pruner, exact in replay.SEARCHES:
        assert f"| {sampler} | {pruner} | {'exactly 3' if exact else '3 + paid for by pruning'} |" in out
    assert len(replay.SEARCHES) == 10 and len(set(replay.SEARCHES)) == 10


@pytest.mark.parametrize("args, message", [
    (["--study-name", "nope"], "error: --study-name nope: no such study in "),
    (["--study-name", "grid", "--trials", "49"],
     "error: --study-name grid: 48 complete trials, fewer than --trials 49"),
    (["--study-name", "grid", "--seeds", "1"], "error: --seeds must be at least 2, got 1"),
    (["--study-name", "grid", "--trials", "0"], "error: --trials must be at least 1, got 0"),
])
def test_bad_options_are_one_line_and_exit_2(grid_study, capsys, args, message):
    assert replay.main(["--storage", grid_study[0], *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1, err


def test_a_storage_that_cannot_be_used_is_one_line(capsys):
    assert replay.main(["--storage", "garbage://x", "--study-name", "grid"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
