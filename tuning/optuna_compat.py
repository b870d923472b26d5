"""The Optuna internals the tuning tool needs, in one place (Optuna has no public API for them).

* claiming a queued trial without creating one: `Study.ask()` makes a new trial when the queue is
  empty, which would run past the study's budget; `Study._pop_waiting_trial_id` only takes a WAITING
  trial (WAITING -> RUNNING atomically in the storage: on SQLite only because `study.make_storage` makes
  every transaction take the write lock at BEGIN, as Optuna's SELECT FOR UPDATE does elsewhere);
* the heartbeat thread `Study.optimize` runs beside each trial on heartbeat storages
  (`optuna.storages._heartbeat.get_heartbeat_thread`), and the storage's heartbeat interval.

tests/test_tuning_optuna_compat.py checks these exist and behave as used, so an Optuna upgrade that
changes them fails there, by name, rather than somewhere in a running study.
"""

from __future__ import annotations

import optuna
from optuna.storages._heartbeat import BaseHeartbeat, get_heartbeat_thread

__all__ = ["heartbeat", "heartbeat_interval", "pop_waiting_trial_id"]


def pop_waiting_trial_id(study: optuna.Study) -> int | None:
    """The id of a queued trial, now RUNNING and owned by the caller; None when none is queued."""
    return study._pop_waiting_trial_id()


def heartbeat(study: optuna.Study, trial_id: int):
    """A context manager that beats for `trial_id` while it runs (does nothing on storages without heartbeats)."""
    return get_heartbeat_thread(trial_id, study._storage)


def heartbeat_interval(study: optuna.Study) -> int | None:
    """The storage's heartbeat interval in seconds; None when it has none (e.g. a JournalStorage)."""
    storage = study._storage
    # `_CachedStorage` (what RDBStorage studies hold) forwards the heartbeat methods to the RDB storage.
    return storage.get_heartbeat_interval() if isinstance(storage, BaseHeartbeat) else None
