"""The Optuna internals behind tuning/optuna_compat.py exist and behave as the tool uses them: if an
Optuna upgrade changes them, this file fails and names what changed."""

from __future__ import annotations

import inspect
import time
import warnings

import optuna
from optuna.exceptions import ExperimentalWarning
from optuna.storages._heartbeat import get_heartbeat_thread
from optuna.trial import TrialState

from tuning import optuna_compat

optuna.logging.set_verbosity(optuna.logging.WARNING)


def test_the_private_names_are_still_there():
    assert inspect.signature(optuna.Study._pop_waiting_trial_id).parameters.keys() == {"self"}
    assert list(inspect.signature(get_heartbeat_thread).parameters) == ["trial_id", "storage"]


def test_popping_takes_queued_trials_only_and_marks_them_running(tmp_path):
    study = optuna.create_study(storage=f"sqlite:///{tmp_path / 's.db'}")
    study.enqueue_trial({"x": 1})
    trial_id = optuna_compat.pop_waiting_trial_id(study)
    assert trial_id is not None
    assert study._storage.get_trial(trial_id).state == TrialState.RUNNING
    assert optuna_compat.pop_waiting_trial_id(study) is None  # no new trial is created
    assert len(study.trials) == 1


def test_the_heartbeat_beats_on_rdb_storages_and_is_absent_elsewhere(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExperimentalWarning)
        storage = optuna.storages.RDBStorage(f"sqlite:///{tmp_path / 'h.db'}", heartbeat_interval=1, grace_period=2)
    study = optuna.create_study(storage=storage)
    assert optuna_compat.heartbeat_interval(study) == 1
    study.enqueue_trial({})
    trial_id = optuna_compat.pop_waiting_trial_id(study)
    with optuna_compat.heartbeat(study, trial_id):
        time.sleep(3)  # longer than the grace period: only the heartbeat keeps the trial fresh
        assert storage._get_stale_trial_ids(study._study_id) == []
    time.sleep(3)  # no beats any more: stale
    assert storage._get_stale_trial_ids(study._study_id) == [trial_id]

    in_memory = optuna.create_study()
    assert optuna_compat.heartbeat_interval(in_memory) is None
    in_memory.enqueue_trial({})
    with optuna_compat.heartbeat(in_memory, optuna_compat.pop_waiting_trial_id(in_memory)):
        pass


def test_the_journal_file_path_is_the_file_the_storage_writes(tmp_path):
    path = tmp_path / "journal.log"
    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(path)))
    assert optuna_compat.journal_file_path(storage) == str(path)
    optuna.create_study(storage=storage, study_name="s")
    assert path.stat().st_size > 0


def test_trial_number_reads_the_storage_without_making_a_trial():
    study = optuna.create_study()
    study.enqueue_trial({})
    study.enqueue_trial({})
    second = study.trials[1]._trial_id
    calls = []
    study.sampler.before_trial = lambda *args: calls.append(args)
    assert optuna_compat.trial_number(study, second) == 1 and calls == []


def test_storage_of_is_the_storage_the_study_was_opened_on(tmp_path):
    from optuna.storages import JournalStorage, RDBStorage
    from optuna.storages.journal import JournalFileBackend

    rdb = RDBStorage(f"sqlite:///{tmp_path / 's.db'}")
    journal = JournalStorage(JournalFileBackend(str(tmp_path / "journal.log")))
    for storage in (rdb, journal):
        assert optuna_compat.storage_of(optuna.create_study(storage=storage)) is storage
