"""`python -m tuning`: Keras Tuner's CIFAR-10 example (a RandomSearch over a small CNN), on Optuna and
torchkeras_layers.

With no arguments it reproduces that example (docs/tuning.md: 5 trials of 10 epochs, batch 32,
validation_split=0.2, objective val_accuracy) with TPE and median pruning, stored in `runs/tuning.db`; re-running the same
command resumes the study. See `--help` and the README.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

DEFAULT_STORAGE = "sqlite:///runs/tuning.db"
RUNS = Path("runs")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer, got {text}")
    return value


def _fraction(text: str) -> float:
    value = float(text)
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"must be strictly between 0 and 1, got {text}")
    return value


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        """One line naming the option and what was expected (argparse adds a usage block)."""
        self.exit(2, f"error: {message} (see --help)\n")


def _fake_size(text: str) -> int:
    value = int(text)
    if value < 10:
        raise argparse.ArgumentTypeError(f"must be at least 10 images (one per class), got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    from . import PRUNERS, SAMPLERS, TRY_FAKE_DATA

    parser = _Parser(
        prog="python -m tuning",
        description="The Keras Tuner CIFAR-10 example (RandomSearch over a small CNN) on Optuna and "
                    "torchkeras_layers. Re-run the same command to resume an interrupted study.",
        epilog=f"Without CIFAR-10 on disk or network, try: {TRY_FAKE_DATA}",
    )
    study = parser.add_argument_group("study")
    study.add_argument("--trials", type=_positive_int, default=None,
                       help="number of trials (Keras Tuner's max_trials); default 5, or the whole grid (48) with --sampler grid")
    study.add_argument("--epochs", type=_positive_int, default=10, help="epochs per trial (default 10)")
    study.add_argument("--batch-size", type=_positive_int, default=32, help="default 32")
    study.add_argument("--validation-split", type=_fraction, default=0.2,
                       help="fraction of the training images, taken from the end before shuffling as Keras does (default 0.2)")
    study.add_argument("--sampler", choices=SAMPLERS, default="tpe", help="default tpe")
    study.add_argument("--pruner", choices=PRUNERS, default="median",
                       help="prune on per-epoch val_accuracy (default median; 'halving' = successive halving)")
    study.add_argument("--exact-trials", action="store_true",
                       help="run exactly --trials trials; by default the epochs that pruned trials did not train "
                            "run more trials, one per --epochs saved (the same trial-epoch budget)")
    study.add_argument("--seed", type=int, default=0, help="base seed; trial k uses seed + k (default 0)")

    storage = parser.add_argument_group("storage and workers")
    where = storage.add_mutually_exclusive_group()
    where.add_argument("--storage", default=DEFAULT_STORAGE,
                       help=f"SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db (default {DEFAULT_STORAGE})")
    where.add_argument("--journal", metavar="FILE", help="an Optuna JournalStorage file on a shared filesystem instead")
    storage.add_argument("--study-name", help="default: derived from the data, sampler, epochs and other settings")
    storage.add_argument("--workers", type=_positive_int, default=1, help="worker processes on this machine (default 1)")
    storage.add_argument("--heartbeat", type=_non_negative_int, default=10, metavar="SECONDS",
                         help="trial heartbeat of SQL storages: a trial silent for 3 beats is failed and re-queued "
                              "(default 10; 0 disables)")
    storage.add_argument("--max-retries", type=_non_negative_int, default=2,
                         help="times a failed, interrupted or stale trial is re-queued (default 2)")
    storage.add_argument("--no-report", action="store_true",
                         help="only run trials (for extra workers): no table, plots or best model")

    data = parser.add_argument_group("data")
    data.add_argument("--data-dir", type=Path,
                      help="folder holding cifar-10-python.tar.gz or cifar-10-batches-py/ (default: ~/.keras/datasets)")
    data.add_argument("--no-download", action="store_true", help="never download CIFAR-10")
    data.add_argument("--fake-data", type=_fake_size, metavar="N",
                      help="write a synthetic CIFAR-10 of N training images (N/5 test) in the official format "
                           "under runs/ and use it")
    data.add_argument("--limit", type=_positive_int, metavar="N",
                      help="use only the first N training and test images (quick runs)")

    device = parser.add_argument_group("device")
    device.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N (default auto)")
    device.add_argument("--amp", action="store_true", help="mixed precision (bfloat16 autocast; float16 where bf16 is missing)")
    device.add_argument("--compile", action="store_true", help="torch.compile each model (fullgraph)")
    device.add_argument("--threads", type=_positive_int, help="CPU threads per worker (default: cores / workers)")

    output = parser.add_argument_group("output")
    output.add_argument("--output", type=Path, help="report folder (default runs/<study name>)")
    output.add_argument("--top-k", type=_positive_int, default=10, help="rows of the results table (default 10)")
    output.add_argument("--retrain", action="store_true",
                        help="train the best trial again for its model instead of using its saved best-epoch checkpoint")
    output.add_argument("--no-model", action="store_true", help="report only: do not save the best model")
    output.add_argument("--quiet", action="store_true", help="no progress bars or per-epoch lines")
    return parser


def resolve_device(name: str):
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise SystemExit(f"error: --device must be auto, cpu, cuda or cuda:N; got {name!r}") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise SystemExit("error: --device cuda was requested but PyTorch sees no CUDA device (use --device cpu)")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise SystemExit(f"error: --device {name}: only {torch.cuda.device_count()} CUDA device(s) present")
    elif device.type != "cpu":
        raise SystemExit(f"error: --device must be auto, cpu, cuda or cuda:N; got {name!r}")
    return device


# OpenMP's threads spin while they wait for work by default; beside another busy process (a second
# worker, a browser, Keras) the spinning threads take the cores the working ones need: measured on 2
# cores at load ~15, 2 threads took 15.8 s per epoch spinning, 3.0 s with passive waiting, 3.4 s with
# 1 thread. On an idle machine passive waiting costs ~20% of the CNN's step (docs/tuning.md): the
# robust choice is taken. Read once, when torch loads its OpenMP runtime, so set before importing torch.
OMP_WAIT_POLICY = "PASSIVE"


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("OMP_WAIT_POLICY", OMP_WAIT_POLICY)  # the user's own setting wins
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    from . import interrupt

    helpers: list[subprocess.Popen] = []
    try:
        with interrupt.deferred():
            return _run(argv, args, helpers)
    except KeyboardInterrupt as err:
        for process in helpers:  # they run in their own process group: pass the Ctrl-C on
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in helpers:
            process.wait()
        from .study import TrialInterrupted

        what = f"trial {err.number} was stopped and queued again" if isinstance(err, TrialInterrupted) else (
            "no trial was running")
        print(f"\nInterrupted: {what}. Run the same command to continue.", file=sys.stderr)
        return 130
    except (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError) as err:
        print(f"error: {err.filename}: {err.strerror}", file=sys.stderr)
        return 2


def _run(argv: list[str], args, helpers: list[subprocess.Popen]) -> int:
    import optuna
    import torch
    from tqdm.auto import tqdm

    import torchkeras_layers as tkl

    from . import data as data_mod
    from . import keras_export, report, study as study_mod

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    log = tqdm.write
    device = resolve_device(args.device)
    if device.type == "cpu":
        torch.set_num_threads(args.threads or max(1, (os.cpu_count() or 1) // args.workers))
    tkl.runtime.retain_freed_memory()  # each training step reuses the memory the last one freed: no page faults

    # ------------------------------------------------------------------ storage, checked before any work
    heartbeat = args.heartbeat if args.journal is None and args.heartbeat > 0 else None
    try:
        storage = study_mod.make_storage(args.storage, args.journal, heartbeat=heartbeat, max_retries=args.max_retries)
    except study_mod.StorageError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2

    # ------------------------------------------------------------------ data
    if args.fake_data is not None:
        if args.data_dir is not None:
            print("error: --fake-data writes its own files; it cannot be combined with --data-dir", file=sys.stderr)
            return 2
        fake_root = RUNS / f"fake-cifar10-{args.fake_data}"
        data_mod.write_fake_cifar10(fake_root, args.fake_data, seed=0)
        source, data_dir, download = f"fake{args.fake_data}", fake_root, False
    else:
        source, data_dir, download = "cifar10", args.data_dir, not args.no_download
    try:
        arrays = data_mod.load_cifar10(data_dir, download=download)
        splits = data_mod.prepare_splits(arrays, validation_split=args.validation_split, limit=args.limit, device=device)
    except (data_mod.DatasetNotFound, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    fingerprint = data_mod.fingerprint(arrays)
    del arrays

    # ------------------------------------------------------------------ study
    config = study_mod.StudyConfig(data=source, data_fingerprint=fingerprint, limit=args.limit, epochs=args.epochs,
                                   batch_size=args.batch_size, validation_split=args.validation_split,
                                   sampler=args.sampler, seed=args.seed, exact_trials=args.exact_trials)
    name = args.study_name or config.default_name()
    try:
        study = study_mod.open_study(name, storage, config, args.trials, pruner=study_mod.make_pruner(args.pruner), log=log)
    except (study_mod.StudyMismatch, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    counts = study_mod.budget_status(study)
    where = args.journal or args.storage
    to_run = max(0, counts["budget"] - counts["complete"] - counts["pruned"])  # queued, running or stale
    earned = f", {counts['earned']} of them paid for by pruning" if counts["earned"] else ""
    log(f"Study {name!r} in {where}: {counts['budget']} trials ({counts['complete']} complete, "
        f"{counts['pruned']} pruned, {to_run} to run{earned}); data: {splits.sizes()}; device: {device}")
    if config.reinvests_pruned_epochs and args.pruner != "none" and args.epochs > 1:
        log(f"Each {args.epochs} epochs that pruning saves run one more trial (--exact-trials: exactly "
            f"{study_mod.trial_budget(study)})")

    out_dir = args.output or RUNS / name
    if args.workers > 1:
        helpers += _start_helper_workers(argv, args)
    objective = study_mod.Objective(splits, epochs=args.epochs, batch_size=args.batch_size, seed=args.seed,
                                    device=device, amp=args.amp, compile=args.compile,
                                    progress=not args.quiet, log=(lambda *_: None) if args.quiet else log,
                                    checkpoint_dir=out_dir / "checkpoints")
    bar = tqdm(total=counts["budget"], initial=counts["complete"] + counts["pruned"], desc="trials",
               unit="trial", disable=True if args.quiet else None)

    # The bar and the trial lines follow the whole study, so the trials other workers finish count too.
    shown = {t.number for t in study.get_trials(deepcopy=False, states=study_mod.FINISHED)}

    ran_here: set[int] = set()

    def show_finished_trials(finished_here=None) -> None:
        if finished_here is not None:
            ran_here.add(finished_here.number)
        for frozen in study.get_trials(deepcopy=False, states=study_mod.FINISHED):
            if frozen.number not in shown:
                shown.add(frozen.number)
                bar.total = max(bar.total, study_mod.budget_status(study)["budget"])  # pruning may add trials
                bar.update(1)
                value = "no value" if frozen.value is None else f"{study_mod.OBJECTIVE} {frozen.value:.4f}"
                where = "" if frozen.number in ran_here else " (another worker)"
                log(f"trial {frozen.number} {frozen.state.name.lower()}{where}: {value} with {frozen.params}")

    try:
        study_mod.run_worker(study, objective, max_retries=args.max_retries, waits_for_others=heartbeat is not None,
                             poll_seconds=heartbeat or 1, on_trial_end=show_finished_trials,
                             on_wait=show_finished_trials, log=log)
        failed_helpers = [p.args for p in helpers if _wait_for(p) != 0]
        show_finished_trials()
    finally:
        bar.close()
    if failed_helpers:
        print(f"error: {len(failed_helpers)} helper worker(s) failed; see their output above", file=sys.stderr)
        return 1
    if args.no_report:
        return 0

    # ------------------------------------------------------------------ report
    best = report.write_report(study, out_dir, top_k=args.top_k, log=print)
    if best and not args.no_model:
        on_gpu = device.type != "cpu"
        keras_files = keras_export.KERAS_FILES if keras_export.keras_available() else ()
        if not args.retrain and report.is_saved(best, out_dir, keras_files):
            saved = json.loads((out_dir / "best_params.json").read_text())
            best["model"] = saved["model"]
            print(f"Best model: already saved in {out_dir}/ (trial {best['trial']}); nothing to do")
        else:
            (out_dir / "best_params.json").unlink(missing_ok=True)  # never beside another run's model files
            model, how = report.best_model(study, splits, epochs=args.epochs, batch_size=args.batch_size,
                                           device=device, amp=args.amp, compile=args.compile,
                                           progress=not args.quiet, retrain=args.retrain, log=log)
            result, saved = report.save_best_model(model, splits, out_dir, amp=args.amp)
            best["model"] = {"from": how, **result}
            report.write_text(out_dir / "best_params.json", json.dumps(best, indent=2) + "\n")
            saved += (keras_export.export_in_subprocess(out_dir, log=print) if on_gpu
                      else keras_export.export_here(model, out_dir, log=print))
            print(f"Best model ({how}): test accuracy {result['test_accuracy']:.4f}; saved "
                  + ", ".join(map(str, saved)))
    if best:
        report.write_text(out_dir / "best_params.json", json.dumps(best, indent=2) + "\n")
    print(f"Report in {out_dir}/. Browse the study with: optuna-dashboard {where}")
    return 0


def _wait_for(process: subprocess.Popen) -> int:
    """`process.wait()` that Ctrl-C ends (a first Ctrl-C is only a request, which `Popen.wait` never sees)."""
    from . import interrupt

    while (code := process.poll()) is None:
        interrupt.sleep(0.1)
    return code


def _start_helper_workers(argv: list[str], args) -> list[subprocess.Popen]:
    """`--workers N`: N - 1 more processes run this same command as trial-only workers."""
    threads = args.threads or max(1, (os.cpu_count() or 1) // args.workers)
    helper_argv = _without_option(_without_option(argv, "--workers"), "--threads")
    helper_argv += ["--workers", "1", "--threads", str(threads), "--no-report", "--quiet"]
    # A session of their own: a terminal's Ctrl-C reaches this process only, which passes it on once.
    # Their stdout (banner, trial lines) would cut through this process's progress bar: this process shows
    # every trial of the study; their errors still reach stderr.
    return [subprocess.Popen([sys.executable, "-m", "tuning", *helper_argv], start_new_session=True,
                             stdout=subprocess.DEVNULL)
            for _ in range(args.workers - 1)]


def _without_option(argv: list[str], option: str) -> list[str]:
    out, skip = [], False
    for item in argv:
        if skip:
            skip = False
        elif item == option:
            skip = True
        elif not item.startswith(option + "="):
            out.append(item)
    return out
