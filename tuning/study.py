"""The Optuna study: storage, samplers, pruners, an exact trial budget shared by any number of workers,
and the objective (the Keras Tuner example's model trained like Keras Tuner's `tuner.search`).

The budget. A study of N trials is created with N queued (WAITING) trials, by the one process whose
`create_study` succeeds (names are unique in the storage). Every worker claims queued trials one at a
time (the storage switches WAITING -> RUNNING atomically, so no trial runs twice) and stops when none
is left, so the study ends with exactly N finished trials however many workers join, crash or resume.
A trial that is interrupted (Ctrl-C), raises, or stops sending heartbeats (a killed worker, RDB
storages only) is marked FAIL and re-queued with the same hyperparameters and seed, up to
`max_retries` times; re-running the same command continues the study.

Pruning pays for more trials. N trials of E epochs are a budget of N x E trial-epochs, the budget Keras
Tuner's RandomSearch spends; the epochs a pruned trial did not train go back to it, and each whole
trial's worth queues one more trial (`earned_trials`), as Hyperband spends the budget its early stops
save. Replayed on a grid study's curves, this is what turns pruning's savings into better points
(docs/tuning.md). `exact_trials` (`--exact-trials`) keeps exactly N; a grid study is always exact.
"""

from __future__ import annotations

import math
import os
import random
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import optuna
from optuna.exceptions import DuplicatedStudyError, ExperimentalWarning, TrialPruned
from optuna.samplers import BaseSampler, RandomSampler, TPESampler
from optuna.storages import JournalStorage, RDBStorage, RetryHeartbeatStaleTrialCallback, fail_stale_trials
from optuna.storages.journal import JournalFileBackend
from optuna.trial import FrozenTrial, TrialState

from . import PRUNERS, SAMPLERS, interrupt, optuna_compat, setup_lock
from .hp import HyperParameters, grid
from .model import build_model
from .train import evaluate, train_model

OBJECTIVE = "val_accuracy"
_UNFINISHED = (TrialState.WAITING, TrialState.RUNNING)
FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)  # what counts towards the budget

# The Optuna features used here (heartbeat retry, metric names) are marked experimental; they work.
warnings.filterwarnings("ignore", category=ExperimentalWarning, module=r"tuning\.")


@dataclass(frozen=True)
class StudyConfig:
    """What a study's trial values depend on; stored in the study and checked when it is resumed."""

    data: str  # "cifar10" or "fake<N>"
    data_fingerprint: str | None = None  # tuning.data.fingerprint of the images and labels
    limit: int | None = None
    epochs: int = 10
    batch_size: int = 32
    validation_split: float = 0.2
    sampler: str = "tpe"
    seed: int = 0
    exact_trials: bool = False  # True: pruned trials' unspent epochs do not queue more trials

    def default_name(self) -> str:
        """A name that differs whenever the config does, so a changed command starts a new study."""
        parts = [self.data]
        if self.limit is not None:
            parts.append(f"limit{self.limit}")
        parts += [self.sampler, f"{self.epochs}ep"]
        if self.batch_size != 32:
            parts.append(f"bs{self.batch_size}")
        if self.validation_split != 0.2:
            parts.append(f"vs{self.validation_split:g}")
        if self.seed != 0:
            parts.append(f"seed{self.seed}")
        if self.exact_trials:
            parts.append("exact")
        return "-".join(parts)

    @property
    def reinvests_pruned_epochs(self) -> bool:
        return not self.exact_trials and self.sampler != "grid"  # a grid study trains each point once


# Settings that studies of earlier versions did not store, as those versions behaved.
_UNSTORED_SETTINGS = {"exact_trials": True}


class StudyMismatch(Exception):
    """An existing study was created with other settings (or never finished its setup)."""


# ---------------------------------------------------------------------- storage, sampler, pruner
GRACE_HEARTBEATS = 3  # a trial is stale after this many heartbeat intervals without one


class StorageError(Exception):
    """A storage URL or journal file that cannot be used; the message names it and says why."""


def make_storage(url: str | None = None, journal: str | None = None, *, heartbeat: int | None = 10,
                 max_retries: int = 2):
    """A SQLAlchemy-URL storage (with heartbeats, so a killed worker's trial is re-queued) or a
    JournalStorage file for a shared filesystem (no heartbeats in Optuna; see docs/tuning.md).
    Raises StorageError, with one line saying what is wrong, for anything that cannot be used."""
    if journal is not None:
        path = Path(journal).expanduser()
        if path.is_dir():
            raise StorageError(f"--journal {journal}: is a folder; expected a file path, e.g. {path / 'journal.log'}")
        _make_parent(path, f"--journal {journal}")
        return JournalStorage(JournalFileBackend(str(path)))
    import sqlalchemy
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except sqlalchemy.exc.ArgumentError:
        raise StorageError(f"--storage {url!r} is not a database URL; expected e.g. {_URL_EXAMPLES}") from None
    shown = parsed.render_as_string(hide_password=True)
    try:
        dialect = parsed.get_dialect()
    except sqlalchemy.exc.NoSuchModuleError:
        raise StorageError(f"--storage {shown}: SQLAlchemy knows no database {parsed.drivername!r}; "
                           f"expected e.g. {_URL_EXAMPLES}") from None
    try:
        dialect.import_dbapi()
    except ImportError as err:
        raise StorageError(f"--storage {shown}: the {parsed.drivername} driver is not installed "
                           f"(no module {err.name!r}); install it or use another URL") from None
    engine_kwargs: dict = {}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database not in (None, "", ":memory:"):
            _make_parent(Path(parsed.database).expanduser(), f"--storage {shown}")
        engine_kwargs = {"connect_args": {"timeout": 60}}  # several local workers share one file
    elif parsed.get_backend_name() == "postgresql":
        engine_kwargs = {"connect_args": {"connect_timeout": 10}}
    kwargs = dict(engine_kwargs=engine_kwargs)
    if heartbeat:
        kwargs.update(heartbeat_interval=heartbeat, grace_period=GRACE_HEARTBEATS * heartbeat,
                      heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback(max_retry=max_retries))
    for attempt in range(5):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ExperimentalWarning)  # heartbeat_interval
                storage = RDBStorage(url, **kwargs)
            if parsed.get_backend_name() == "sqlite":
                _lock_sqlite_transactions_at_begin(storage.engine)
            return storage
        except (sqlalchemy.exc.OperationalError, sqlalchemy.exc.IntegrityError, sqlalchemy.exc.ProgrammingError) as err:
            # Workers starting together on a fresh database race to create its tables; anything else
            # (a refused connection, a read-only file) is said at once.
            # SQLite says so as "database is locked" or "table ... already exists" (another worker's
            # CREATE won), PostgreSQL as a ProgrammingError 'relation "studies" already exists', alembic's
            # version row as an IntegrityError.
            racing = isinstance(err, sqlalchemy.exc.IntegrityError) or any(
                sign in str(err.orig) for sign in ("locked", "already exists"))
            if not racing or attempt == 4:
                reason = str(err.orig).strip().splitlines()[0] if err.orig is not None else type(err).__name__
                raise StorageError(f"--storage {shown}: cannot use the database ({reason})") from None
            time.sleep(0.5 + random.random())
        except sqlalchemy.exc.SQLAlchemyError as err:
            raise StorageError(f"--storage {shown}: cannot use the database ({type(err).__name__}: {err})") from None


_URL_EXAMPLES = "sqlite:///runs/tuning.db or postgresql+psycopg://user@host/db"


def _lock_sqlite_transactions_at_begin(engine) -> None:
    """Make every SQLite transaction take the write lock when it begins (`BEGIN IMMEDIATE`).

    Optuna claims a queued trial by reading its state with `SELECT ... FOR UPDATE` and then setting it to
    RUNNING. SQLite ignores FOR UPDATE, and Python's sqlite3 begins the transaction only at the UPDATE, so
    two workers could both read WAITING and both run the trial (seen with 4 workers under random
    SIGKILLs: tests/test_tuning_chaos.py). Taking the lock at BEGIN makes the read and the write one
    atomic step; SQLite serialises writers anyway, and the 60 s busy timeout covers the wait. This is
    SQLAlchemy's documented pysqlite recipe (the driver's own BEGIN is turned off)."""
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _no_driver_begin(dbapi_connection, _record):
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin_immediate(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    engine.dispose()  # connections opened while the tables were created predate the listeners


def _make_parent(path: Path, what: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise StorageError(f"{what}: cannot create the folder {path.parent} ({err.strerror})") from None
    if not os.access(path.parent, os.W_OK):
        raise StorageError(f"{what}: the folder {path.parent} is not writable")


class PerTrialSeedSampler(BaseSampler):
    """Delegates to a sampler made afresh for each trial from `seed + trial.number`, so trial k gets the
    same hyperparameters whichever worker runs it and however often the study is resumed.

    Like Keras Tuner's oracles, it never trains a point twice: the whole point is drawn up front over
    the search space the earlier trials declared, and drawn again (from the same sampler, so
    deterministically) while it equals a complete, pruned or running trial's point; after
    `max_draws` draws (a nearly exhausted space) the last one is kept.
    """

    def __init__(self, make: Callable[[int], BaseSampler], seed: int, max_draws: int = 100):
        self._make, self._seed, self._max_draws = make, seed, max_draws
        self._inner = make(seed)
        self._point, self._space = {}, {}

    def before_trial(self, study, trial):
        self._inner = self._make(self._seed + trial.number)
        self._inner.before_trial(study, trial)
        # A re-queued or grid trial brings its values (fixed params), which Optuna uses before any sampler.
        fixed = trial.params or trial.system_attrs.get("fixed_params")
        self._point = {} if fixed else self._draw_new_point(study, trial)

    def _draw_new_point(self, study, trial) -> dict:
        taken, space = [], self._space
        space.clear()
        for other in study.get_trials(deepcopy=False, states=(*_TAKEN, TrialState.FAIL)):
            if other.number != trial.number and other.state in _TAKEN:
                taken.append(other.params)
            space.update(other.distributions)
        if not taken:
            return {}
        point: dict = {}
        relative_space = self._inner.infer_relative_search_space(study, trial)  # TPE's multivariate part
        for _ in range(self._max_draws):
            point = self._inner.sample_relative(study, trial, relative_space) if relative_space else {}
            point.update({name: self._inner.sample_independent(study, trial, name, distribution)
                          for name, distribution in space.items() if name not in point})
            if not any(all(point.get(k, _MISSING) == v for k, v in params.items()) for params in taken):
                break
        return point

    def infer_relative_search_space(self, study, trial):
        return self._inner.infer_relative_search_space(study, trial)

    def sample_relative(self, study, trial, search_space):
        if self._point:
            return {name: self._point[name] for name, distribution in search_space.items()
                    if self._space.get(name) == distribution and name in self._point}
        return self._inner.sample_relative(study, trial, search_space)

    def sample_independent(self, study, trial, param_name, param_distribution):
        if param_name in self._point and self._space[param_name] == param_distribution:
            return self._point[param_name]
        return self._inner.sample_independent(study, trial, param_name, param_distribution)

    def after_trial(self, study, trial, state, values):
        self._inner.after_trial(study, trial, state, values)


_TAKEN = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)
_MISSING = object()


def make_sampler(kind: str, seed: int, n_trials: int) -> BaseSampler:
    """`random`: Keras Tuner's RandomSearch (duplicates allowed, no early exit); `tpe` (default): TPE
    after `ceil(n_trials / 2)` random trials (at most Optuna's 10); `grid` runs queued grid points, so
    its trials need no sampler."""
    if kind not in SAMPLERS:
        raise ValueError(f"sampler must be one of {SAMPLERS}, got {kind!r}")
    if kind == "tpe":
        startup = min(10, math.ceil(n_trials / 2))
        return PerTrialSeedSampler(lambda s: TPESampler(seed=s, n_startup_trials=startup), seed)
    return PerTrialSeedSampler(lambda s: RandomSampler(seed=s), seed)


def make_pruner(kind: str) -> optuna.pruners.BasePruner:
    """Pruners set to act within a 5-trial study (steps are 0-based epochs): the median rule once two
    trials have finished, from the second epoch on (Optuna's defaults wait for 5 finished trials);
    successive halving with rungs after epochs 2, 4 and 10 that keep the top third."""
    if kind == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1)
    if kind == "halving":
        return optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    if kind == "none":
        return optuna.pruners.NopPruner()
    raise ValueError(f"pruner must be one of {PRUNERS}, got {kind!r}")


# ---------------------------------------------------------------------- the study and its budget
def open_study(name: str, storage, config: StudyConfig, n_trials: int | None, *, pruner=None,
               build: Callable = build_model, wait_seconds: float = 120.0, log=print) -> optuna.Study:
    """Create the study with its trial budget queued, or join/resume it.

    `n_trials=None`: 5, or every grid point for the grid sampler. An existing study keeps its budget;
    a larger `n_trials` extends it. Setup runs under the study's setup lock (tuning.setup_lock), so one
    process at a time creates, extends or finishes it: the setup of a creator killed half-way is finished
    by the next process to open the study.
    """
    points = grid(build) if config.sampler == "grid" else None
    budget = (len(points) if points is not None else 5) if n_trials is None else n_trials
    if points is not None and budget > len(points):
        raise ValueError(f"the grid has {len(points)} points; --trials {budget} is more than that")
    with setup_lock.study_setup_lock(storage, name) as locked:
        try:
            study = optuna.create_study(storage=storage, study_name=name, direction="maximize", pruner=pruner)
        except DuplicatedStudyError:
            study = optuna.load_study(storage=storage, study_name=name, pruner=pruner)
            if locked and "n_trials" not in study.user_attrs:  # its creator died during setup
                log(f"Finishing the setup of study {name!r} (the process that created it stopped during setup).")
                _set_up(study, config, budget, points)
            _check_config(study, config, wait_seconds)
            requested = trial_budget(study)
            if budget > requested and n_trials is not None:
                log(f"Extending study {name!r} from {requested} to {budget} trials.")
                queued = study.user_attrs["n_trials"]
                more = budget - requested
                _enqueue(study, more, points[queued:queued + more] if points is not None else None)
                study.set_user_attr("trial_budget", budget)
                study.set_user_attr("n_trials", queued + more)
            _queue_earned_trials(study)  # a worker killed between a prune and its reinvestment
        else:
            _set_up(study, config, budget, points)
    # Made from the study's requested budget, so every worker and every resumed run samples alike.
    study.sampler = make_sampler(config.sampler, config.seed, trial_budget(study))
    return study


def trial_budget(study: optuna.Study) -> int:
    """The trials asked for (`--trials`); `n_trials` adds those pruning has paid for."""
    return study.user_attrs.get("trial_budget", study.user_attrs["n_trials"])


def earned_trials(epochs: int, pruned_trained_epochs) -> int:
    """Whole trials paid for by the epochs pruned trials did not train (each trained the given number)."""
    return sum(epochs - trained for trained in pruned_trained_epochs) // epochs


def reinvest_pruned_epochs(study: optuna.Study) -> int:
    """Queue the trials the study's pruned trials have paid for and not yet received; returns how many
    were queued now. Recomputed from the storage under the setup lock, so workers that prune at the same
    time queue each earned trial once."""
    with setup_lock.study_setup_lock(optuna_compat.storage_of(study), study.study_name):
        return _queue_earned_trials(study)


def _queue_earned_trials(study: optuna.Study) -> int:
    config = StudyConfig(**{**_UNSTORED_SETTINGS, **study.user_attrs["config"]})
    if not config.reinvests_pruned_epochs:
        return 0
    pruned = study.get_trials(deepcopy=False, states=(TrialState.PRUNED,))
    target = trial_budget(study) + earned_trials(config.epochs, (len(t.intermediate_values) for t in pruned))
    queued = study.user_attrs["n_trials"]
    if target <= queued:
        return 0
    _enqueue(study, target - queued, None)
    study.set_user_attr("n_trials", target)
    return target - queued


def _set_up(study: optuna.Study, config: StudyConfig, budget: int, points: list[dict] | None) -> None:
    """Store the config and queue the budget; resumable: it queues only what an earlier try did not."""
    if "config" not in study.user_attrs:
        study.set_metric_names([OBJECTIVE])
        study.set_user_attr("config", asdict(config))
    queued = len(study.get_trials(deepcopy=False))  # no trial runs before "n_trials" is set
    _enqueue(study, budget - queued, points[queued:budget] if points is not None else None)
    study.set_user_attr("trial_budget", max(budget, queued))
    study.set_user_attr("n_trials", max(budget, queued))  # last: joining workers wait for it


def _enqueue(study: optuna.Study, count: int, points: list[dict] | None) -> None:
    for i in range(count):
        study.enqueue_trial(points[i] if points is not None else {})


def _check_config(study: optuna.Study, config: StudyConfig, wait_seconds: float) -> None:
    deadline = time.monotonic() + wait_seconds
    while "n_trials" not in study.user_attrs:  # its creator is still queueing the budget
        if time.monotonic() > deadline:
            raise StudyMismatch(
                f"study {study.study_name!r} exists but its trial budget was never set (the process that "
                "created it stopped during setup, on a storage without a setup lock); delete it "
                "(optuna delete-study) or pick another --study-name"
            )
        interrupt.sleep(0.5)
    stored = {**_UNSTORED_SETTINGS, **study.user_attrs.get("config", {})}
    ours = asdict(config)
    differences = {k: (stored.get(k), v) for k, v in ours.items() if stored.get(k) != v}
    if differences:
        listed = ", ".join(f"{k}: study has {a!r}, command has {b!r}" for k, (a, b) in differences.items())
        other_data = "on other data and " if "data_fingerprint" in differences else ""
        raise StudyMismatch(
            f"study {study.study_name!r} was created {other_data}with other settings ({listed}); "
            "run with the study's settings and data to resume it, or pass another --study-name"
        )


def budget_status(study: optuna.Study) -> dict[str, int]:
    """Trial counts by state name, plus `budget` (the queued total: the trials asked for and those pruning
    has paid for) and `earned` (those pruning has paid for)."""
    counts = {state.name.lower(): 0 for state in TrialState}
    for trial in study.get_trials(deepcopy=False):
        counts[trial.state.name.lower()] += 1
    counts["budget"] = study.user_attrs.get("n_trials", 0)
    counts["earned"] = counts["budget"] - (trial_budget(study) if counts["budget"] else 0)
    return counts


# ---------------------------------------------------------------------- the worker
class TrialInterrupted(KeyboardInterrupt):
    """Ctrl-C while a trial ran: the trial was marked FAIL and queued again."""

    def __init__(self, number: int):
        super().__init__(number)
        self.number = number


def run_worker(study: optuna.Study, objective: Callable[[optuna.Trial], float], *, max_retries: int = 2,
               waits_for_others: bool = True, poll_seconds: float = 1.0,
               on_trial_end: Callable[[FrozenTrial], None] | None = None,
               on_wait: Callable[[], None] | None = None, log=print) -> int:
    """Run queued trials until none is left; returns how many this worker finished.

    With heartbeats (`waits_for_others`), a worker that finds the queue empty while trials are still
    running waits for them: one of them may belong to a dead worker and come back to the queue.
    Ctrl-C (`tuning.interrupt`) raises KeyboardInterrupt, `TrialInterrupted` when a trial was running.
    """
    retry = RetryHeartbeatStaleTrialCallback(max_retry=max_retries)
    finished, announced = 0, None
    while True:
        interrupt.check()
        fail_stale_trials(study)
        if (interval := optuna_compat.heartbeat_interval(study)) is not None:  # killed before its first beat
            optuna_compat.fail_trials_claimed_without_heartbeat(study, grace=GRACE_HEARTBEATS * interval)
        # `ask()` would create a new trial when the queue is empty; popping only takes queued ones.
        trial_id = optuna_compat.pop_waiting_trial_id(study)
        if trial_id is None:
            running = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
            if waits_for_others and running:
                numbers = [t.number for t in running]
                if numbers != announced:
                    announced = numbers
                    grace = GRACE_HEARTBEATS * (optuna_compat.heartbeat_interval(study) or 0)
                    log(f"Waiting for trial(s) {', '.join(map(str, numbers))} running in another worker "
                        f"(a killed worker's trial is queued again after {grace} s without a heartbeat)")
                if on_wait is not None:
                    on_wait()
                interrupt.sleep(poll_seconds)
                continue
            return finished
        frozen = _run_trial(study, trial_id, objective, retry)
        if frozen is None:
            grace = GRACE_HEARTBEATS * (optuna_compat.heartbeat_interval(study) or 0)
            log(f"Trial {optuna_compat.trial_number(study, trial_id)}: another worker saw no heartbeat from this "
                f"one for {grace} s and queued the trial again; this run's result is dropped")
            continue
        finished += 1
        if frozen.state == TrialState.PRUNED:
            reinvest_pruned_epochs(study)
        if on_trial_end is not None:
            on_trial_end(frozen)


def _run_trial(study, trial_id, objective, retry) -> FrozenTrial | None:
    """Runs and tells one claimed trial; None when another worker has meanwhile failed it as stale
    (this worker's heartbeats did not reach the storage in time) and queued it again."""
    # The heartbeat starts first: creating the Trial runs the sampler's before_trial (TPE can take seconds
    # on a busy machine), and a claimed trial without a heartbeat is failed by other workers after the grace.
    with optuna_compat.heartbeat(study, trial_id):
        try:
            trial = optuna.Trial(study, trial_id)
        except optuna.exceptions.UpdateFinishedTrialError:
            return None  # failed as stale by another worker before it began
        try:
            value = objective(trial)
        except TrialPruned:
            return _tell(study, trial, trial_id, state=TrialState.PRUNED)
        except BaseException as err:
            if _finished_elsewhere(trial, trial_id) and not isinstance(err, KeyboardInterrupt):
                return None  # the error came from writing to a trial another worker had failed
            # Ctrl-C, an error, or a lost device: re-queue the same hyperparameters and seed.
            failed = _tell(study, trial, trial_id, state=TrialState.FAIL)
            if failed is not None:
                retry(study, failed)
            if isinstance(err, KeyboardInterrupt) and not isinstance(err, TrialInterrupted):
                raise TrialInterrupted(trial.number) from err
            raise
    return _tell(study, trial, trial_id, values=value)


def _tell(study, trial, trial_id, **outcome) -> FrozenTrial | None:
    try:
        return study.tell(trial, **outcome)
    except (ValueError, optuna.exceptions.UpdateFinishedTrialError):
        if _finished_elsewhere(trial, trial_id):  # "Cannot tell a FAIL trial": failed as stale meanwhile
            return None
        raise


def _finished_elsewhere(trial: optuna.Trial, trial_id: int) -> bool:
    return trial.storage.get_trial(trial_id).state.is_finished()


# ---------------------------------------------------------------------- the objective
class Objective:
    """Trains `build(hp)` like `tuner.search(x, y, epochs, validation_split=0.2)` and returns the best
    epoch's `val_accuracy` (Keras Tuner's trial score); reports each epoch for pruning and stores the
    last epoch's `val_accuracy`, the best epoch, the test accuracy of that epoch's weights, the
    history and the trial's seed as user attributes."""

    def __init__(self, data, *, epochs: int, batch_size: int, seed: int, device, build: Callable = build_model,
                 amp: bool = False, compile: bool = False, progress: bool = True, log=print,
                 checkpoint_dir: Path | None = None):
        self.data, self.epochs, self.batch_size, self.seed = data, epochs, batch_size, seed
        self.device, self.build, self.amp, self.compile = device, build, amp, compile
        self.progress, self.log = progress, log
        self.checkpoint_dir = checkpoint_dir

    def __call__(self, trial: optuna.Trial) -> float:
        seed = trial.user_attrs.get("seed")
        if seed is None:  # a retried trial keeps its first seed
            seed = self.seed + trial.number
            trial.set_user_attr("seed", seed)
        hp = HyperParameters(trial)
        name = f"trial {trial.number}"

        def epoch_end(epoch: int, logs: dict) -> None:
            self.log(f"{name} epoch {epoch + 1}/{self.epochs}: " + " - ".join(f"{k}: {v:.4f}" for k, v in logs.items()))
            trial.report(logs[OBJECTIVE], epoch)
            if trial.should_prune():
                trial.set_user_attr("pruned_at_epoch", epoch)
                raise TrialPruned(f"val_accuracy {logs[OBJECTIVE]:.4f} at epoch {epoch + 1}")

        model, history, best_epoch = train_model(
            self.build, hp, self.data, epochs=self.epochs, batch_size=self.batch_size, seed=seed,
            device=self.device, amp=self.amp, compile=self.compile, on_epoch_end=epoch_end,
            progress=self.progress, description=f"{name} ")
        _, test_accuracy = evaluate(model, self.data.x_test, self.data.y_test, amp=self.amp)
        trial.set_user_attr("history", history)
        trial.set_user_attr("best_epoch", best_epoch)
        trial.set_user_attr("last_val_accuracy", history[OBJECTIVE][-1])
        trial.set_user_attr("test_accuracy", test_accuracy)
        if self.checkpoint_dir is not None:  # Keras Tuner keeps each trial's best checkpoint too
            trial.set_user_attr("checkpoint", str(save_checkpoint(model, self.checkpoint_dir, trial.number)))
        return history[OBJECTIVE][best_epoch]


def save_checkpoint(model, folder: Path, number: int) -> Path:
    """The trial's best-epoch weights as `folder/trial_<number>.pt`, written under a temporary name and
    renamed, so that a killed worker never leaves half a checkpoint."""
    import torch

    from .files import atomic_path

    folder.mkdir(parents=True, exist_ok=True)
    path = (folder / f"trial_{number}.pt").resolve()
    with atomic_path(path) as tmp:
        torch.save(model.state_dict(), tmp)
    return path
