"""`make tune-compare`: the Keras Tuner example (RandomSearch, docs/tuning.md) against this tool (TPE +
median pruning, the epochs it saves spent on more trials) on the same data and trial-epoch budget, each
contestant in its own process, one after the other, for several seeds; prints and writes a Markdown
table (default docs/tuning-compare.md).

    python -m tuning.compare --fake-data 2000 --epochs 5 --trials 10 --seeds 0 1 2

Per run: the wall time of the whole process (imports, data, search, report and best model, as a user
waits for it), seconds per trained trial-epoch (pruned trials train fewer), the best trial's
val_accuracy and the test accuracy of the best model. Keras Tuner needs `pip install -c constraints.txt
-e ".[compare]"`.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CONTESTANTS = ("keras-tuner", "ours")


def keras_tuner_search(data_dir: Path, epochs: int, trials: int, seed: int, work: Path) -> dict:
    """The Keras Tuner example as docs/tuning.md has it, on `data_dir`'s CIFAR-10 files (run in a child)."""
    import keras
    import keras_tuner as kt

    from .data import load_cifar10

    def build_model(hp):
        model = keras.Sequential([
            keras.layers.Input((32, 32, 3)),
            keras.layers.Conv2D(filters=hp.Int("conv_1_filter", min_value=32, max_value=128, step=32),
                                kernel_size=hp.Choice("conv_1_kernel", values=[3, 5, 7]), activation="relu"),
            keras.layers.MaxPooling2D(pool_size=2),
            keras.layers.Flatten(),
            keras.layers.Dense(units=hp.Int("dense_1_units", min_value=32, max_value=128, step=32),
                               activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        return model

    keras.utils.set_random_seed(seed)
    (x_train, y_train), (x_test, y_test) = load_cifar10(data_dir, download=False)
    tuner = kt.RandomSearch(build_model, objective="val_accuracy", max_trials=trials, seed=seed,
                            directory=str(work), project_name="keras_tuner")
    tuner.search(x_train / 255.0, y_train, epochs=epochs, validation_split=0.2, verbose=0)
    best_trial = tuner.oracle.get_best_trials(1)[0]
    best_model = tuner.get_best_models(1)[0]
    _, test_accuracy = best_model.evaluate(x_test / 255.0, y_test, verbose=0)
    finished = [t for t in tuner.oracle.trials.values() if t.score is not None]
    return {"best_val_accuracy": float(best_trial.score), "test_accuracy": float(test_accuracy),
            "trial_epochs": epochs * len(finished), "trials": len(finished)}


def ours_result(work: Path) -> dict:
    """Read this tool's study and best_params.json after its run (in the parent: not timed)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.load_study(study_name="compare", storage=f"sqlite:///{work / 'tuning.db'}")
    trained = [t for t in study.trials if t.state.is_finished()]
    best = json.loads((work / "report" / "best_params.json").read_text())
    test_accuracy = best.get("model", {}).get("test_accuracy", best.get("test_accuracy"))
    return {"best_val_accuracy": study.best_value, "test_accuracy": test_accuracy,
            "trial_epochs": sum(len(t.intermediate_values) for t in trained), "trials": len(trained),
            "pruned": sum(t.state.name == "PRUNED" for t in trained)}


def run_contestant(name: str, data_dir: Path, epochs: int, trials: int, seed: int, work: Path) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    repo = str(Path(__file__).resolve().parents[1])
    env = dict(os.environ, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="2",
               PYTHONPATH=os.pathsep.join(filter(None, [repo, os.environ.get("PYTHONPATH")])))
    if name == "ours":
        command = [sys.executable, "-m", "tuning", "--data-dir", str(data_dir), "--no-download",
                   "--epochs", str(epochs), "--trials", str(trials), "--seed", str(seed),
                   "--storage", f"sqlite:///{work / 'tuning.db'}", "--study-name", "compare",
                   "--output", str(work / "report"), "--quiet",
                   # Keras Tuner keeps checkpoints but exports nothing: no .keras export (a TensorFlow
                   # import) here either; the test accuracy is the best trial's, of the same weights.
                   "--no-model"]
    else:
        command = [sys.executable, "-m", "tuning.compare", "--keras-tuner-child", str(work / "result.json"),
                   "--data-dir", str(data_dir), "--epochs", str(epochs), "--trials", str(trials),
                   "--seeds", str(seed)]
    started = time.perf_counter()
    completed = subprocess.run(command, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if completed.returncode != 0:
        raise SystemExit(f"error: the {name} run failed (exit {completed.returncode}):\n{completed.stderr[-3000:]}")
    result = ours_result(work) if name == "ours" else json.loads((work / "result.json").read_text())
    return {"contestant": name, "seed": seed, "wall_s": wall, "s_per_trial_epoch": wall / result["trial_epochs"],
            **result}


def markdown(rows: list[dict], settings: str) -> str:
    header = ["contestant", "seed", "wall s", "s / trial-epoch", "trials", "trial-epochs", "best val_accuracy",
              "test accuracy (best model)"]
    lines = ["# Keras Tuner RandomSearch vs this tool (TPE + median pruning, its saved epochs spent on more "
             "trials)\n",
             f"Generated by `make tune-compare ARGS=\"{settings}\"` (`python -m tuning.compare`); "
             "each contestant in its own process, one after the other, on the same files.\n",
             "| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for row in rows:
        lines.append(f"| {row['contestant']} | {row['seed']} | {row['wall_s']:.1f} | {row['s_per_trial_epoch']:.2f} "
                     f"| {row['trials']} | {row['trial_epochs']} | {row['best_val_accuracy']:.4f} "
                     f"| {row['test_accuracy']:.4f} |")
    means = {name: [r for r in rows if r["contestant"] == name] for name in CONTESTANTS}
    if all(means.values()):
        wall = {n: statistics.mean(r["wall_s"] for r in rs) for n, rs in means.items()}
        val = {n: statistics.mean(r["best_val_accuracy"] for r in rs) for n, rs in means.items()}
        lines += ["", f"Mean over {len(means['ours'])} seed(s): wall ours / Keras Tuner = "
                  f"{wall['ours'] / wall['keras-tuner']:.2f} (target <= 0.8); best val_accuracy ours "
                  f"{val['ours']:.4f} vs Keras Tuner {val['keras-tuner']:.4f} (target >=)."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tuning.compare", description=__doc__.split("\n\n")[0])
    parser.add_argument("--fake-data", type=int, default=2000, help="synthetic CIFAR-10 of N images (default 2000)")
    parser.add_argument("--data-dir", type=Path, help="real CIFAR-10 files instead of --fake-data")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--trials", type=int, default=10, help="trials of each search (default 10, RandomSearch's "
                        "max_trials default: at 5 a 48-point search barely acts, docs/tuning.md)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--output", type=Path, default=Path("docs/tuning-compare.md"))
    parser.add_argument("--keras-tuner-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.keras_tuner_child is not None:  # one Keras Tuner search, timed by the parent
        result = keras_tuner_search(args.data_dir, args.epochs, args.trials, args.seeds[0],
                                    args.keras_tuner_child.parent)
        args.keras_tuner_child.write_text(json.dumps(result))
        return 0
    if importlib.util.find_spec("keras_tuner") is None:  # not imported here: TensorFlow loads in its child
        print('error: keras-tuner is not installed: pip install -c constraints.txt -e ".[compare]"', file=sys.stderr)
        return 2
    from .data import write_fake_cifar10
    from .files import write_text

    rows = []
    with tempfile.TemporaryDirectory(prefix="tune-compare-") as tmp:
        data_dir = args.data_dir or write_fake_cifar10(Path(tmp) / "data", args.fake_data, seed=0).parent
        for seed in args.seeds:
            for name in CONTESTANTS:
                row = run_contestant(name, data_dir, args.epochs, args.trials, seed, Path(tmp) / f"{name}-{seed}")
                print(f"{name} seed {seed}: wall {row['wall_s']:.1f} s, {row['s_per_trial_epoch']:.2f} s per "
                      f"trial-epoch ({row['trial_epochs']}), best val_accuracy {row['best_val_accuracy']:.4f}, "
                      f"test accuracy {row['test_accuracy']:.4f}", flush=True)
                rows.append(row)
    settings = (f"--data-dir {args.data_dir}" if args.data_dir else f"--fake-data {args.fake_data}") + (
        f" --epochs {args.epochs} --trials {args.trials} --seeds {' '.join(map(str, args.seeds))}")
    table = markdown(rows, settings)
    print(table)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    write_text(args.output, table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
