"""`python -m tuning` as a user runs it: help, the missing-data message, a whole small study with its
report, and a study interrupted (Ctrl-C) and killed (SIGKILL) mid-trial, then resumed."""

from __future__ import annotations

import json
import re
import signal
import time

import numpy as np
import optuna
import sqlalchemy.exc
import torch
from optuna.trial import TrialState

from tuning.hp import HyperParameters
from tuning.model import build_model, keras_weight_arrays
from tuning_fixtures import cli_env, run_cli, start_cli

optuna.logging.set_verbosity(optuna.logging.WARNING)


def test_help_lists_every_option_without_importing_torch(tmp_path):
    result = run_cli("--help", cwd=tmp_path)
    assert result.returncode == 0
    for option in ("--trials", "--epochs", "--batch-size", "--validation-split", "--sampler", "--pruner", "--seed",
                   "--storage", "--journal", "--study-name", "--workers", "--heartbeat", "--max-retries",
                   "--no-report", "--data-dir", "--no-download", "--fake-data", "--limit", "--device", "--amp",
                   "--compile", "--threads", "--output", "--top-k", "--retrain", "--no-model", "--quiet",
                   "--exact-trials"):
        assert option in result.stdout
    imports = run_cli("--help", cwd=tmp_path, env=cli_env(PYTHONPROFILEIMPORTTIME="1")).stderr
    assert "tuning.cli" in imports and not re.search(r"\|\s+torch$", imports, re.MULTILINE)


def test_missing_dataset_prints_what_to_do_not_a_traceback(tmp_path):
    env = cli_env(HOME=str(tmp_path))
    env.pop("KERAS_HOME", None)
    result = run_cli("--no-download", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    for expected in ("CIFAR-10 was not found", str(tmp_path / ".keras" / "datasets"), "cifar-10-python.tar.gz",
                     "--data-dir", 'make tune ARGS="--fake-data 500', "python -m tuning --fake-data 500"):
        assert expected in result.stderr


def test_a_small_study_end_to_end_with_its_report(tmp_path):
    # Two local workers (the second a helper process) share the two trials; then the report.
    result = run_cli("--fake-data", "150", "--epochs", "1", "--trials", "2", "--sampler", "random",
                     "--pruner", "none", "--workers", "2", "--threads", "1", "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "runs" / "fake150-random-1ep"
    for name in ("results.md", "best_params.json", "plots.html", "optimization_history.png",
                 "intermediate_values.png", "param_importances.png", "best_model.pt", "best_model.keras_weights.npz",
                 "best_model.keras", "best_model.weights.h5"):
        assert (out / name).is_file(), name
    study = optuna.load_study(study_name="fake150-random-1ep", storage=f"sqlite:///{tmp_path / 'runs' / 'tuning.db'}")
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 2
    best = json.loads((out / "best_params.json").read_text())
    assert best["trial"] == study.best_trial.number and best["val_accuracy"] == study.best_value
    assert best["params"] == study.best_trial.params
    # The saved model is the best trial's best-epoch checkpoint (no retraining): the same test accuracy.
    assert best["model"]["from"] == f"trial {study.best_trial.number}'s checkpoint"
    assert best["model"]["test_accuracy"] == study.best_trial.user_attrs["test_accuracy"]
    assert best["best_epoch"] == study.best_trial.user_attrs["best_epoch"] + 1  # 1-based, as in results.md
    model = build_model(HyperParameters(values=best["params"]))
    model.load_state_dict(torch.load(out / "best_model.pt"))
    saved = np.load(out / "best_model.keras_weights.npz")
    exported = keras_weight_arrays(model)
    assert list(saved.keys()) == list(exported)
    assert all(np.array_equal(saved[k], exported[k]) for k in exported)
    table = (out / "results.md").read_text()
    assert f"| 1 | {study.best_trial.number} | {study.best_value:.4f} |" in table
    assert f"Best trial {study.best_trial.number}" in result.stdout
    # One banner (the helper's would cut through the bar); this process shows both trials, the helper's too.
    assert result.stdout.count("Study 'fake150-random-1ep'") == 1, result.stdout
    # ... each once (a trial the helper ran is marked as another worker's).
    assert all(len(re.findall(rf"^trial {n} complete( \(another worker\))?:", result.stdout, re.MULTILINE)) == 1
               for n in (0, 1)), result.stdout


def _signal_mid_trial(args, cwd, name, database, signum, log, epochs: int) -> tuple[optuna.Study, int, int]:
    """Start the study and send `signum` while a trial is training; returns the study as the signal left
    it, the signalled trial's number and the exit status.

    Deterministic: the process is frozen (SIGSTOP) while its trial is looked at, so the trial seen
    training, with an epoch still to go, is still training when the signal arrives (SIGCONT after it)."""
    storage = f"sqlite:///{database}"
    process = start_cli(*args, cwd=cwd, log=log)
    try:
        deadline = time.monotonic() + 300
        while True:
            assert time.monotonic() < deadline, "timed out waiting for a trial to train"
            assert process.poll() is None, "the study ended before it could be interrupted"
            if _training_trial(name, database) is None:
                time.sleep(0.05)
                continue
            process.send_signal(signal.SIGSTOP)
            number = _training_trial(name, database, epochs=epochs)
            if number is not None:
                break
            process.send_signal(signal.SIGCONT)
        process.send_signal(signum)
        process.send_signal(signal.SIGCONT)
        code = process.wait(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    return optuna.load_study(study_name=name, storage=storage), number, code


def _training_trial(study_name: str, database, epochs: int | None = None) -> int | None:
    """The number of a trial that is training (with `epochs`: one with an epoch still to report), if any."""
    if not database.exists():  # do not create it: the worker does
        return None
    try:
        study = optuna.load_study(study_name=study_name, storage=f"sqlite:///{database}")
    except (KeyError, sqlalchemy.exc.SQLAlchemyError):  # the worker is still creating it
        return None
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        # Sampled (three parameters): its training has begun.
        if len(trial.params) == 3 and (epochs is None or len(trial.intermediate_values) < epochs):
            return trial.number
    return None


def test_interrupted_and_killed_studies_resume_without_losing_trials(tmp_path):
    args = ("--fake-data", "200", "--epochs", "3", "--trials", "4", "--pruner", "none", "--heartbeat", "1",
            "--threads", "1", "--no-report", "--quiet")
    name, database = "fake200-tpe-3ep", tmp_path / "runs" / "tuning.db"

    # Ctrl-C during a trial: it is marked FAIL and queued again; the process says so and how to continue,
    # and exits with 130 (not killed by the signal, no traceback).
    study, number, code = _signal_mid_trial(args, tmp_path, name, database, signal.SIGINT, tmp_path / "first.log",
                                            epochs=3)
    first_log = (tmp_path / "first.log").read_text()
    assert code == 130, first_log
    assert study.trials[number].state == TrialState.FAIL
    assert f"Interrupted: trial {number} was stopped and queued again. Run the same command to continue." in first_log
    assert "Traceback" not in first_log
    # SIGKILL during a trial (no chance to clean up): it stays RUNNING until its heartbeat goes stale.
    study, number, code = _signal_mid_trial(args, tmp_path, name, database, signal.SIGKILL,
                                            tmp_path / "second.log", epochs=3)
    assert code == -signal.SIGKILL and study.trials[number].state == TrialState.RUNNING
    kept = {t.number: (t.value, t.params, t.user_attrs) for t in study.trials if t.state == TrialState.COMPLETE}
    lost = {t.number: (t.params, t.user_attrs["seed"]) for t in study.trials
            if t.state in (TrialState.FAIL, TrialState.RUNNING)}
    assert len(lost) >= 2

    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    # The killed trial (still RUNNING until its heartbeat is stale) counts as one to run.
    assert f"({len(kept)} complete, 0 pruned, {4 - len(kept)} to run)" in result.stdout
    study = optuna.load_study(study_name=name, storage=f"sqlite:///{database}")
    complete = [t for t in study.trials if t.state == TrialState.COMPLETE]
    assert len(complete) == 4  # exactly the budget
    assert [t.number for t in study.trials if t.state == TrialState.FAIL] == sorted(lost)
    assert not study.get_trials(states=(TrialState.WAITING, TrialState.RUNNING))
    for number, (value, params, attrs) in kept.items():  # the completed trials are untouched
        assert (study.trials[number].value, study.trials[number].params, study.trials[number].user_attrs) == (
            value, params, attrs)
    # The interrupted and the killed trials each ran again with their hyperparameters and seed.
    # (A trial's seed is the study seed plus its first number, so it names the original trial.)
    completed_by_seed = {t.user_attrs["seed"]: t.params for t in complete}
    assert all(completed_by_seed.get(seed) == params for params, seed in lost.values())


PROBE_WAIT_POLICY = """
import os, sys
import tuning.cli
try:
    tuning.cli.main(["--trials", "0"])  # refused by argparse, after the environment is set
except SystemExit:
    pass
print(os.environ.get("OMP_WAIT_POLICY"), "torch" in sys.modules)
"""


def test_openmp_waits_passively_unless_the_user_says_otherwise(tmp_path):
    import subprocess
    import sys

    for extra, expected in (({}, "PASSIVE False"), ({"OMP_WAIT_POLICY": "active"}, "active False")):
        env = cli_env(**extra)
        if not extra:
            env.pop("OMP_WAIT_POLICY", None)
        result = subprocess.run([sys.executable, "-c", PROBE_WAIT_POLICY], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=120)
        assert result.stdout.split("\n")[-2] == expected, result.stdout + result.stderr


def test_ctrl_c_ends_the_wait_for_helper_workers():
    """After its own last trial, `--workers N` waits for its helpers; a first Ctrl-C is only a request
    (tuning.interrupt), which a blocking `Popen.wait` would never see: the wait must honour it."""
    import os
    import subprocess
    import sys
    import threading

    from tuning import cli, interrupt

    helper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        with interrupt.deferred():
            threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()
            started = time.monotonic()
            try:
                cli._wait_for(helper)
            except KeyboardInterrupt:
                pass
            else:
                raise AssertionError("the wait ended without the interrupt")
        assert time.monotonic() - started < 10 and helper.poll() is None
    finally:
        helper.kill()
        helper.wait()
    done = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    assert cli._wait_for(done) == 3
