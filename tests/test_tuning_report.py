"""plots.html: one page, plotly.js once, a study summary on top, axes in the study's terms, pruned and
failed trials marked in the legend."""

from __future__ import annotations

import re

import optuna
from optuna.trial import TrialState

from tuning.report import write_plots

optuna.logging.set_verbosity(optuna.logging.WARNING)


def small_study() -> optuna.Study:
    study = optuna.create_study(study_name="plots-demo", direction="maximize", pruner=optuna.pruners.NopPruner())

    def objective(trial):
        units = trial.suggest_int("dense_1_units", 32, 128, step=32)
        kernel = trial.suggest_categorical("conv_1_kernel", [3, 5, 7])
        for epoch in range(3):
            trial.report(units / 128 * (epoch + 1) / 3 + kernel / 100, epoch)
            if trial.number == 2 and epoch == 1:
                raise optuna.TrialPruned()
        if trial.number == 3:
            raise RuntimeError("lost device")
        return units / 128 + kernel / 100

    study.optimize(objective, n_trials=5, catch=(RuntimeError,))
    assert [t.state for t in study.trials].count(TrialState.PRUNED) == 1
    return study


def test_plots_page_is_one_compact_labelled_page(tmp_path):
    written = write_plots(small_study(), tmp_path, log=lambda *_: None)
    html = (tmp_path / "plots.html").read_text()
    assert written[0] == tmp_path / "plots.html"
    assert html.count("plotly.js v") == 1  # the library's header: embedded once for all figures
    assert len(html) < 5_000_000 and len(re.findall(r"Plotly\.newPlot", html)) == 3
    summary = html[:html.index("<script")]
    assert "Study plots-demo" in summary and "3 complete, 1 pruned, 1 fail" in summary and "Best: trial" in summary
    for text in ('"title":{"text":"epoch"}', '"title":{"text":"val_accuracy"}', '"title":{"text":"trial"}',
                 '"dtick":1', '"tick0":1', '"name":"trial 2 (pruned)"', '"dash":"dot"', '"showlegend":true',
                 '"responsive": true'):
        assert text in html, text
    # The epochs of the intermediate-values plot count from 1 (trial 0 ran 3 of them).
    assert re.search(r'"name":"trial 0","x":\[1,2,3\]', html), re.findall(r'"name":"trial 0"[^]]*]', html)
    for name in ("optimization_history.png", "intermediate_values.png", "param_importances.png"):
        assert (tmp_path / name).stat().st_size > 1000, name



def test_the_trial_counts_say_how_many_trials_pruning_paid_for():
    from tuning.report import trial_counts

    study = small_study()
    assert trial_counts(study) == "Trials: 3 complete, 1 pruned, 1 fail"
    study.set_user_attr("trial_budget", 4)  # as tuning.study queues a budget: 4 asked for, 1 paid for by pruning
    study.set_user_attr("n_trials", 5)
    assert trial_counts(study) == "Trials: 3 complete, 1 pruned, 1 fail (1 of them paid for by pruning)"
