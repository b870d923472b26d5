"""`make tune-compare`'s table (tuning/compare.py): rows, means and the targets, from given results."""

from __future__ import annotations

from tuning.compare import markdown


def row(contestant, seed, wall, trials, epochs, val, test):
    return {"contestant": contestant, "seed": seed, "wall_s": wall, "s_per_trial_epoch": wall / epochs,
            "trials": trials, "trial_epochs": epochs, "best_val_accuracy": val, "test_accuracy": test}


def test_the_table_has_a_row_per_run_and_the_mean_ratios():
    rows = [row("keras-tuner", 0, 100.0, 5, 25, 0.40, 0.38), row("ours", 0, 60.0, 5, 15, 0.45, 0.41),
            row("keras-tuner", 1, 120.0, 5, 25, 0.50, 0.47), row("ours", 1, 90.0, 6, 18, 0.43, 0.40)]
    table = markdown(rows, "--fake-data 100 --seeds 0 1")
    assert "| keras-tuner | 0 | 100.0 | 4.00 | 5 | 25 | 0.4000 | 0.3800 |" in table
    assert "| ours | 1 | 90.0 | 5.00 | 6 | 18 | 0.4300 | 0.4000 |" in table
    # (60 + 90) / (100 + 120) = 0.68; mean best val_accuracy 0.44 vs 0.45.
    assert "wall ours / Keras Tuner = 0.68" in table and "ours 0.4400 vs Keras Tuner 0.4500" in table
    assert 'make tune-compare ARGS="--fake-data 100 --seeds 0 1"' in table
