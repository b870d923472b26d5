"""Replays samplers and pruners on a grid study's measured learning curves: the expected best
val_accuracy of small studies over many seeds, in minutes and without training.

    python -m tuning --fake-data 2000 --epochs 5 --sampler grid --pruner none --study-name grid
    python -m tuning.replay --study-name grid --trials 5 --seeds 400

Every sampler and pruner of `python -m tuning` runs N-trial studies whose objective looks the point up
in the grid study (its per-epoch val_accuracy, reported epoch by epoch so that pruners act as in a
real run), with the trials pruning pays for as the tool runs them and, for comparison, with exactly N
(`--exact-trials`). The first row, the random sampler without pruning, is Keras Tuner's RandomSearch. Each
point carries the one training seed the grid ran it with, so this measures the search, not the seed
noise of a point (a real study adds that noise to both sides); the difference to RandomSearch is paired
by seed, which is what makes a few hundred seeds decide where 3 real runs cannot (on the docs/tuning.md
grid the first 100 seeds alone overstated TPE + median's gain by 0.009: use 400).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys

from . import PRUNERS, SAMPLERS

# (sampler, pruner, exact_trials); without pruning the two budgets are the same study.
SEARCHES = [("random", "none", True)] + [
    (s, p, exact) for s in SAMPLERS if s != "grid" for p in PRUNERS
    for exact in ((False, True) if p != "none" else (True,)) if (s, p) != ("random", "none")]


def measured_curves(study) -> dict:
    """{point (sorted param items): [val_accuracy of epoch 1, 2, ...]} of the complete trials."""
    return {tuple(sorted(t.params.items())): [t.intermediate_values[e] for e in sorted(t.intermediate_values)]
            for t in study.get_trials(deepcopy=False) if t.state.name == "COMPLETE"}


def replay(curves: dict, sampler: str, pruner: str, trials: int, seed: int, *,
           exact_trials: bool = False) -> tuple[float, int]:
    """One in-memory study of `trials` trials over the curves, plus the trials its pruned ones pay for
    unless `exact_trials`, as `python -m tuning` runs it: (best val_accuracy, trial-epochs)."""
    import optuna

    from .hp import HyperParameters
    from .model import build_model
    from .study import earned_trials, make_pruner, make_sampler

    def objective(trial):
        build_model(HyperParameters(trial))  # declares the example's search space, as a real trial does
        point = tuple(sorted(trial.params.items()))
        if point not in curves:
            raise LookupError(f"the grid study has no complete trial at {dict(point)}")
        for epoch, value in enumerate(curves[point]):
            trial.report(value, epoch)
            if trial.should_prune():
                trial.set_user_attr("epochs", epoch + 1)
                raise optuna.TrialPruned()
        trial.set_user_attr("epochs", len(curves[point]))
        return max(curves[point])

    study = optuna.create_study(direction="maximize", sampler=make_sampler(sampler, seed, trials),
                                pruner=make_pruner(pruner))
    epochs, budget = len(next(iter(curves.values()))), trials
    while len(study.trials) < budget:
        study.optimize(objective, n_trials=1, catch=())
        if not exact_trials:
            pruned = (t.user_attrs["epochs"] for t in study.trials if t.state == optuna.trial.TrialState.PRUNED)
            budget = trials + earned_trials(epochs, pruned)
    return study.best_value, sum(t.user_attrs["epochs"] for t in study.trials)


def table(curves: dict, trials: int, seeds: int) -> str:
    baseline = None
    lines = [f"Replayed on {len(curves)} measured points, {trials} trials per study, seeds 0-{seeds - 1} "
             f"(`python -m tuning.replay`); the grid's best point scores {max(map(max, curves.values())):.4f}.",
             "", "| sampler | pruner | trials | mean best val_accuracy | vs RandomSearch (paired, ± s.e.) | "
             "trial-epochs |", "|---|---|---|---|---|---|"]
    for sampler, pruner, exact in SEARCHES:
        runs = [replay(curves, sampler, pruner, trials, seed, exact_trials=exact) for seed in range(seeds)]
        best = [b for b, _ in runs]
        baseline = baseline or best
        gain = [b - r for b, r in zip(best, baseline)]
        versus = "(Keras Tuner's RandomSearch)" if best is baseline else \
            f"{statistics.mean(gain):+.4f} ± {statistics.stdev(gain) / len(gain) ** 0.5:.4f}"
        budget = f"exactly {trials}" if exact else f"{trials} + paid for by pruning"
        lines.append(f"| {sampler} | {pruner} | {budget} | {statistics.mean(best):.4f} | {versus} | "
                     f"{statistics.mean(e for _, e in runs):.1f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tuning.replay", description=__doc__.split("\n\n")[0])
    parser.add_argument("--storage", default="sqlite:///runs/tuning.db", help="the grid study's storage URL")
    parser.add_argument("--study-name", required=True, help="a study run with --sampler grid --pruner none")
    parser.add_argument("--trials", type=int, default=5, help="trials per replayed study (default 5)")
    parser.add_argument("--seeds", type=int, default=400, help="studies per sampler and pruner (default 400)")
    args = parser.parse_args(argv)
    for name, minimum in (("trials", 1), ("seeds", 2)):  # 2 seeds: a standard error needs two
        if getattr(args, name) < minimum:
            print(f"error: --{name} must be at least {minimum}, got {getattr(args, name)}", file=sys.stderr)
            return 2
    import optuna

    from .study import StorageError, make_storage

    optuna.logging.set_verbosity(logging.WARNING)
    try:
        study = optuna.load_study(study_name=args.study_name, storage=make_storage(args.storage, heartbeat=None))
    except StorageError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyError:
        print(f"error: --study-name {args.study_name}: no such study in {args.storage}", file=sys.stderr)
        return 2
    curves = measured_curves(study)
    if len(curves) < args.trials:
        print(f"error: --study-name {args.study_name}: {len(curves)} complete trials, fewer than --trials "
              f"{args.trials}; run the grid study to the end first", file=sys.stderr)
        return 2
    try:
        print(table(curves, args.trials, args.seeds), end="")
    except LookupError as err:
        print(f"error: --study-name {args.study_name}: {err}; run the grid study to the end first", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
