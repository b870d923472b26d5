"""The Optuna internals the tuning tool needs, in one place (Optuna has no public API for them).

* claiming a queued trial without creating one: `Study.ask()` makes a new trial when the queue is
  empty, which would run past the study's budget; `Study._pop_waiting_trial_id` only takes a WAITING
  trial (WAITING -> RUNNING atomically in the storage: on SQLite only because `study.make_storage` makes
  every transaction take the write lock at BEGIN, as Optuna's SELECT FOR UPDATE does elsewhere);
* the heartbeat thread `Study.optimize` runs beside each trial on heartbeat storages
  (`optuna.storages._heartbeat.get_heartbeat_thread`), and the storage's heartbeat interval;
* the file a `JournalFileBackend` writes (`tuning.setup_lock` locks a file beside it);
* the storage a study was opened on (`Study._storage`, unwrapped from the `_CachedStorage` that RDB
  studies hold), which `tuning.setup_lock` locks.

tests/test_tuning_optuna_compat.py checks these exist and behave as used, so an Optuna upgrade that
changes them fails there, by name, rather than somewhere in a running study.
"""

from __future__ import annotations

import optuna
from optuna.storages._cached_storage import _CachedStorage
from optuna.storages._heartbeat import BaseHeartbeat, get_heartbeat_thread

__all__ = ["fail_trials_claimed_without_heartbeat", "heartbeat", "heartbeat_interval", "journal_file_path",
           "pop_waiting_trial_id", "storage_of", "trial_number"]


def pop_waiting_trial_id(study: optuna.Study) -> int | None:
    """The id of a queued trial, now RUNNING and owned by the caller; None when none is queued."""
    return study._pop_waiting_trial_id()


def storage_of(study: optuna.Study):
    """The storage object the study was opened on: the RDBStorage or JournalStorage itself."""
    storage = study._storage
    return storage._backend if isinstance(storage, _CachedStorage) else storage  # it wraps the RDBStorage


def heartbeat(study: optuna.Study, trial_id: int):
    """A context manager that beats for `trial_id` while it runs (does nothing on storages without heartbeats)."""
    return get_heartbeat_thread(trial_id, study._storage)


def heartbeat_interval(study: optuna.Study) -> int | None:
    """The storage's heartbeat interval in seconds; None when it has none (e.g. a JournalStorage)."""
    storage = study._storage
    # `_CachedStorage` (what RDBStorage studies hold) forwards the heartbeat methods to the RDB storage.
    return storage.get_heartbeat_interval() if isinstance(storage, BaseHeartbeat) else None


def trial_number(study: optuna.Study, trial_id: int) -> int:
    """A trial's number from its storage id, without making an `optuna.Trial` (which runs the sampler's
    `before_trial`, and TPE's writes to the trial: an error once another worker has failed it)."""
    return study._storage.get_trial_number_from_id(trial_id)


def journal_file_path(storage: optuna.storages.JournalStorage) -> str | None:
    """The file of a JournalStorage on a `JournalFileBackend`; None for other backends (e.g. Redis)."""
    return getattr(storage._backend, "_file_path", None)


def fail_trials_claimed_without_heartbeat(study: optuna.Study, grace: float) -> list[int]:
    """Fail (and queue again, through the storage's stale-trial callback) the RUNNING trials that have no
    heartbeat at all and started more than `grace` seconds ago: a worker killed between claiming a trial
    and its first heartbeat. Optuna's `fail_stale_trials` skips trials without a heartbeat row, so such a
    trial would stay RUNNING forever and every other worker would wait for it. Returns their numbers."""
    import datetime

    import sqlalchemy
    from optuna.storages import RDBStorage

    storage, backend = study._storage, storage_of(study)
    if not isinstance(backend, RDBStorage) or backend.get_heartbeat_interval() is None:
        return []
    cutoff = datetime.datetime.now() - datetime.timedelta(seconds=grace)
    query = sqlalchemy.text(
        "SELECT t.trial_id FROM trials t LEFT JOIN trial_heartbeats h ON h.trial_id = t.trial_id "
        "WHERE t.study_id = :study AND t.state = 'RUNNING' AND h.trial_id IS NULL AND t.datetime_start < :cutoff")
    with backend.engine.connect() as connection:
        rows = connection.execute(query, {"study": study._study_id, "cutoff": cutoff}).fetchall()
    failed = []
    callback = backend.get_heartbeat_stale_trial_callback()  # get_failed_trial_callback warns since 4.9
    for (trial_id,) in rows:
        if storage.set_trial_state_values(trial_id, state=optuna.trial.TrialState.FAIL):
            frozen = storage.get_trial(trial_id)
            failed.append(frozen.number)
            if callback is not None:
                callback(study, frozen)
    return failed
