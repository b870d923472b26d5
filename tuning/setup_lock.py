"""A per-study lock that its holder's death releases: study setup (create the study, queue its budget)
is several storage transactions, and a worker killed in the middle must not leave the study unusable.

Whoever holds the lock creates the study, or finishes the setup of one whose creator died, or extends
its budget; the others wait for it. The lock is one the operating system or the database server drops
with its holder: `flock` on a file beside a SQLite database or journal file (`<file>.lock`), a session advisory lock on
PostgreSQL (`pg_try_advisory_lock`) and MySQL (`GET_LOCK`). A storage with none of these (an in-memory
SQLite database, a platform without `fcntl`) gets no lock, and setup falls back to waiting for the
creator (a creator killed during setup is then reported, not repaired).
"""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path

from . import interrupt, optuna_compat

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

POLL_SECONDS = 0.2


@contextlib.contextmanager
def study_setup_lock(storage, study_name: str):
    """Hold the setup lock of `study_name` in `storage` within the block (waits, Ctrl-C-able, for it).
    Yields whether a lock is held (False where the storage offers none)."""
    from optuna.storages import JournalStorage, RDBStorage

    key = hashlib.sha1(f"torchkeras_layers.tuning.setup:{study_name}".encode()).digest()
    if isinstance(storage, JournalStorage):
        path = optuna_compat.journal_file_path(storage)
        lock = _file_lock(Path(path)) if path else contextlib.nullcontext(False)
    elif isinstance(storage, RDBStorage):
        lock = _database_lock(storage.engine, key)
    else:
        lock = contextlib.nullcontext(False)
    with lock as held:
        yield held


@contextlib.contextmanager
def _file_lock(beside: Path):
    if fcntl is None:
        yield False
        return
    path = beside.with_name(f"{beside.name}.lock")  # one per database: setup is short
    with open(path, "a+b") as file:
        while True:
            try:
                fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                interrupt.sleep(POLL_SECONDS)
        try:
            yield True
        finally:
            fcntl.flock(file, fcntl.LOCK_UN)


@contextlib.contextmanager
def _database_lock(engine, key: bytes):
    from sqlalchemy import text

    backend = engine.url.get_backend_name()
    if backend == "sqlite":
        database = engine.url.database
        if database in (None, "", ":memory:"):  # one process only
            yield False
        else:
            with _file_lock(Path(database).expanduser()) as held:
                yield held
        return
    if backend == "postgresql":
        number = int.from_bytes(key[:8], "big", signed=True)
        take, give = text("SELECT pg_try_advisory_lock(:k)"), text("SELECT pg_advisory_unlock(:k)")
        params = {"k": number}
    elif backend in ("mysql", "mariadb"):
        take, give = text("SELECT GET_LOCK(:k, 0)"), text("SELECT RELEASE_LOCK(:k)")
        params = {"k": f"tkl-setup-{key.hex()[:40]}"}
    else:
        yield False
        return
    # A session lock: held by this connection until released or the connection drops (its holder died).
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        while not connection.execute(take, params).scalar():
            interrupt.sleep(POLL_SECONDS)
        try:
            yield True
        finally:
            connection.execute(give, params)
