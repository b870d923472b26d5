"""Tuning under faults: worker processes SIGKILLed at random moments (seeded, bounded in number and time)
while they share one study. The study still ends with exactly its budget of finished trials, none run
twice to completion, and no result a worker reported is lost.

SQLite with 4 local workers, and a real PostgreSQL server (the fixture of test_tuning_postgres.py) with 8.
Every killed worker is replaced at once, as a supervisor would; a killed worker's trial stays RUNNING until
its heartbeat goes stale, then it is failed and queued again with its hyperparameters and seed.
"""

from __future__ import annotations

import random
import re
import time
import uuid
import warnings

import optuna
import pytest
from optuna.trial import TrialState
from test_tuning_postgres import postgres_url  # noqa: F401  (fixture)
from tuning_fixtures import start_cli

TRIALS = 64
MAX_KILLS = 6
KILL_WINDOW_S = (1.0, 4.0)  # seconds between kills, drawn uniformly (seeded)
COMPLETE_LINE = re.compile(r"^trial (\d+) complete:", re.MULTILINE)


def _run_with_kills(storage: str, workers: int, tmp_path, seed: int):
    name = f"chaos-{uuid.uuid4().hex[:8]}"
    args = ("--storage", storage, "--study-name", name, "--trials", str(TRIALS), "--fake-data", "120",
            "--epochs", "1", "--pruner", "none", "--heartbeat", "1", "--threads", "1", "--no-report", "--quiet",
            # One trial's retries can be spent by every kill (or, on a loaded machine, by heartbeats later than
            # the 3 s grace): with fewer than MAX_KILLS retries a lineage may be dropped by design, not by a bug.
            "--max-retries", str(MAX_KILLS))
    rng = random.Random(seed)
    logs, killed = [], []

    def start():
        log = tmp_path / f"worker{len(logs)}.log"
        logs.append(log)
        return start_cli(*args, cwd=tmp_path, log=log)

    running = [start() for _ in range(workers)]
    deadline = time.monotonic() + 900
    next_kill = time.monotonic() + rng.uniform(*KILL_WINDOW_S)
    try:
        while any(p.poll() is None for p in running):
            assert time.monotonic() < deadline, "the study did not finish in 15 minutes"
            alive = [p for p in running if p.poll() is None]
            if len(killed) < MAX_KILLS and time.monotonic() >= next_kill and alive:
                victim = rng.choice(alive)
                victim.kill()
                victim.wait()
                killed.append(victim)
                running.remove(victim)
                running.append(start())
                next_kill = time.monotonic() + rng.uniform(*KILL_WINDOW_S)
            time.sleep(0.1)
    finally:
        for p in running:
            if p.poll() is None:
                p.kill()
    return name, running, killed, logs


@pytest.mark.timeout(1000)
@pytest.mark.parametrize("backend, workers", [("sqlite", 4), ("postgresql", 8)])
def test_random_kills_lose_no_trial_and_run_none_twice(backend, workers, tmp_path, request):
    storage = (f"sqlite:///{tmp_path / 'tuning.db'}" if backend == "sqlite"
               else request.getfixturevalue("postgres_url"))
    name, survivors, killed, logs = _run_with_kills(storage, workers, tmp_path, seed=1234)
    outputs = {log.name: log.read_text() for log in logs}
    assert len(killed) == MAX_KILLS, "the study finished before every planned kill"
    assert [p.returncode for p in survivors] == [0] * len(survivors), {
        name: text[-2000:] for name, text in outputs.items() if text}

    study = optuna.load_study(study_name=name, storage=storage)
    complete = [t for t in study.trials if t.state == TrialState.COMPLETE]
    failed = [t for t in study.trials if t.state == TrialState.FAIL]
    assert len(complete) == TRIALS, outputs  # exactly the budget
    assert not study.get_trials(states=(TrialState.WAITING, TrialState.RUNNING))
    assert len(failed) <= MAX_KILLS  # only the trials of killed workers failed
    # No budget slot ran twice to completion: a trial's seed names its slot (study seed + first number).
    seeds = [t.user_attrs["seed"] for t in complete]
    assert len(set(seeds)) == TRIALS
    # Each killed trial ran again with its seed and the hyperparameters it had drawn: all of them when
    # it was killed after sampling, those it had when it was killed between two `suggest` calls (the
    # retry draws the rest; seen once in CI: killed after conv_1_filter and conv_1_kernel).
    params_by_seed = {t.user_attrs["seed"]: t.params for t in complete}
    for trial in failed:
        if trial.params:  # killed after drawing (its seed is set first)
            assert trial.params.items() <= params_by_seed[trial.user_attrs["seed"]].items()
    # No lost result: every trial a worker said it completed is complete in the study.
    reported = [int(n) for text in outputs.values() for n in COMPLETE_LINE.findall(text)]
    states = {t.number: t.state for t in study.trials}
    assert all(states[n] == TrialState.COMPLETE for n in reported)
    assert len(set(reported)) == len(reported)  # and no trial was reported complete twice


def test_a_sqlite_transaction_holds_the_write_lock_from_its_first_read(tmp_path):
    """What makes claiming a queued trial atomic on SQLite (Optuna reads the state, then writes RUNNING):
    while one worker's transaction has only read, another worker cannot write."""
    import sqlalchemy

    from tuning.study import make_storage

    url = f"sqlite:///{tmp_path / 'tuning.db'}"
    reader, writer = make_storage(url, heartbeat=None), make_storage(url, heartbeat=None)
    optuna.create_study(study_name="s", storage=reader).enqueue_trial({})
    with reader.engine.connect() as connection, connection.begin():
        connection.exec_driver_sql("SELECT state FROM trials").fetchall()
        blocked = sqlalchemy.create_engine(url, connect_args={"timeout": 0.2})
        with pytest.raises(sqlalchemy.exc.OperationalError, match="database is locked"):
            with blocked.begin() as other:
                other.exec_driver_sql("UPDATE trials SET state = 'RUNNING'")
    assert writer.get_all_trials(reader.get_study_id_from_name("s"))[0].state == TrialState.WAITING


@pytest.mark.parametrize("ends", ["returns", "raises"])
def test_a_trial_failed_as_stale_by_another_worker_is_dropped_here_and_run_again(tmp_path, ends):
    """A worker whose heartbeats did not reach the storage in time (a busy machine) finds its trial failed and
    re-queued by another worker: it says so in one line and goes on, no traceback; the copy runs once."""
    from tuning import study as study_mod

    storage = study_mod.make_storage(f"sqlite:///{tmp_path / 'tuning.db'}", heartbeat=1, max_retries=2)
    config = study_mod.StudyConfig(data="fake200", epochs=1, sampler="random")
    study = study_mod.open_study("s", storage, config, 1)
    before_trial = study.sampler.before_trial

    def writes_to_the_trial(study, trial):  # as TPE's relative sampling does (seen in CI: a traceback)
        storage.set_trial_system_attr(trial._trial_id, "probe", 1)
        before_trial(study, trial)

    study.sampler.before_trial = writes_to_the_trial
    calls, logged = [], []

    def objective(trial):
        calls.append(trial.number)
        trial.suggest_int("units", 32, 128, step=32)
        if len(calls) == 1:  # what another worker's fail_stale_trials does to this trial
            frozen = storage.get_trial(trial._trial_id)
            storage.set_trial_state_values(trial._trial_id, state=TrialState.FAIL)
            optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=2)(study, frozen)
            if ends == "raises":
                trial.set_user_attr("history", [])  # writing to the finished trial raises
        return 0.5

    finished = study_mod.run_worker(study, objective, log=logged.append, poll_seconds=0.1)
    assert finished == 1 and calls == [0, 1]
    assert [t.state for t in study.trials] == [TrialState.FAIL, TrialState.COMPLETE]
    assert study.trials[1].params == study.trials[0].params
    assert logged == ["Trial 0: another worker saw no heartbeat from this one for 3 s and queued the trial again; "
                      "this run's result is dropped"]


def test_a_trial_claimed_by_a_worker_killed_before_its_first_heartbeat_runs_again(tmp_path):
    """Optuna's stale-trial check skips a RUNNING trial with no heartbeat at all (its worker died between
    claiming it and the first beat): the study would wait for it forever. It is failed and queued again."""
    from tuning import optuna_compat, study as study_mod

    storage = study_mod.make_storage(f"sqlite:///{tmp_path / 'tuning.db'}", heartbeat=1, max_retries=2)
    config = study_mod.StudyConfig(data="fake200", epochs=1, sampler="random")
    study = study_mod.open_study("s", storage, config, 1)
    claimed = optuna_compat.pop_waiting_trial_id(study)  # ... and the worker dies here, before any heartbeat
    assert claimed is not None
    assert optuna_compat.fail_trials_claimed_without_heartbeat(study, grace=60) == []  # not yet past the grace
    time.sleep(0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every trial's log would show an Optuna deprecation warning
        assert optuna_compat.fail_trials_claimed_without_heartbeat(study, grace=0.05) == [0]
    finished = study_mod.run_worker(study, lambda trial: trial.suggest_int("units", 32, 64) / 64, poll_seconds=0.1)
    assert finished == 1 and [t.state for t in study.trials] == [TrialState.FAIL, TrialState.COMPLETE]


_KILLED_DURING_SETUP = """
import os, signal, sys
from tuning import study as study_mod
storage = study_mod.make_storage(sys.argv[1] or None, sys.argv[2] or None, heartbeat=1)
enqueue = study_mod._enqueue
def enqueue_three_then_die(study, count, points):
    enqueue(study, 3, None)
    os.kill(os.getpid(), signal.SIGKILL)
study_mod._enqueue = enqueue_three_then_die
study_mod.open_study("s", storage, study_mod.StudyConfig(data="fake200", epochs=1, sampler="random"), 6)
"""


@pytest.mark.parametrize("backend", ["sqlite", "journal", "postgresql"])
def test_a_study_whose_creator_was_killed_during_setup_is_set_up_by_the_next_worker(backend, tmp_path, request):
    """Setup (create the study, queue its budget) is many transactions: the creator can die half-way (seen
    in the chaos test: every other worker then refused the study). The next process finishes the setup."""
    import signal
    import subprocess
    import sys

    from tuning_fixtures import REPO

    from tuning import study as study_mod

    url = {"sqlite": f"sqlite:///{tmp_path / 'tuning.db'}", "journal": "",
           "postgresql": request.getfixturevalue("postgres_url") if backend == "postgresql" else ""}[backend]
    journal = str(tmp_path / "journal.log") if backend == "journal" else ""
    name = f"s-{uuid.uuid4().hex[:8]}"
    script = _KILLED_DURING_SETUP.replace('"s"', repr(name))
    creator = subprocess.run([sys.executable, "-c", script, url, journal], cwd=REPO, capture_output=True,
                             text=True, timeout=120)
    assert creator.returncode == -signal.SIGKILL, creator.stderr
    storage = study_mod.make_storage(url or None, journal or None, heartbeat=1)
    assert len(optuna.load_study(study_name=name, storage=storage).trials) == 3  # the half-done setup
    logged = []
    config = study_mod.StudyConfig(data="fake200", epochs=1, sampler="random")
    study = study_mod.open_study(name, storage, config, 6, log=logged.append, wait_seconds=0)
    assert logged == [f"Finishing the setup of study {name!r} (the process that created it stopped during setup)."]
    assert study.user_attrs["n_trials"] == 6
    assert [t.state for t in study.trials] == [TrialState.WAITING] * 6
    assert study_mod.open_study(name, storage, config, 6, wait_seconds=0).trials == study.trials  # joins, adds none
