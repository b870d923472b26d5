"""After the search: the results table, the best hyperparameters as JSON, plots, and the best model
(the best trial's best-epoch checkpoint, as Keras Tuner's `get_best_models()[0]`; or retrained) saved
in PyTorch and Keras formats. Every file is written under a temporary name and renamed into place, so an
interrupted report never leaves a half-written file or files of two different runs side by side."""

from __future__ import annotations

import json
import warnings
from html import escape
from pathlib import Path

import optuna
import torch
from optuna.trial import FrozenTrial, TrialState

from .files import atomic_path, write_text
from .hp import HyperParameters
from .model import build_model, save_keras_weights
from .study import OBJECTIVE, budget_status
from .train import evaluate, train_model

PLOTS = ("optimization_history", "param_importances", "intermediate_values")


def ranked_trials(study: optuna.Study) -> list[FrozenTrial]:
    """Complete trials, best first (ties: the earlier trial)."""
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    return sorted(complete, key=lambda t: (-t.value, t.number))


def results_table(study: optuna.Study, top_k: int = 10) -> str:
    """A Markdown table of the `top_k` best complete trials, then a line counting the others."""
    names = sorted({name for t in study.get_trials(deepcopy=False) for name in t.params})
    header = ["rank", "trial", OBJECTIVE, "best epoch", "last val_accuracy", "test accuracy", *names]
    rows = []
    for rank, t in enumerate(ranked_trials(study)[:top_k], start=1):
        attrs = t.user_attrs
        rows.append([str(rank), str(t.number), f"{t.value:.4f}", str(attrs.get("best_epoch", -1) + 1),
                     _fmt(attrs.get("last_val_accuracy")), _fmt(attrs.get("test_accuracy")),
                     *(str(t.params.get(n, "")) for n in names)])
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    lines.append("")
    lines.append(trial_counts(study))
    return "\n".join(lines)


def trial_counts(study: optuna.Study) -> str:
    """'Trials: 9 complete, 4 pruned (3 of them paid for by pruning)': by state, and the trials added by the
    epochs pruned trials saved."""
    counts = budget_status(study)  # by state name, plus the budget and the trials pruning paid for
    states = [state.name.lower() for state in TrialState]
    return "Trials: " + ", ".join(f"{counts[state]} {state}" for state in states if counts[state]) + (
        f" ({counts['earned']} of them paid for by pruning)" if counts["earned"] else "")


def _fmt(value) -> str:
    return "" if value is None else f"{value:.4f}"


MODEL_FILES = ("best_model.pt", "best_model.keras_weights.npz")


def best_summary(study: optuna.Study) -> dict:
    """The best trial as JSON-able data: `params` is what `HyperParameters(values=...)` rebuilds;
    epochs are counted from 1, as the training log and the results table count them."""
    best = ranked_trials(study)[0]
    best_epoch = best.user_attrs.get("best_epoch")
    return {
        "study": study.study_name,
        "trial": best.number,
        OBJECTIVE: best.value,
        "params": best.params,
        "best_epoch": None if best_epoch is None else best_epoch + 1,
        "last_val_accuracy": best.user_attrs.get("last_val_accuracy"),
        "test_accuracy": best.user_attrs.get("test_accuracy"),
        "seed": best.user_attrs.get("seed"),
    }


def write_plots(study: optuna.Study, out_dir: Path, log=print) -> list[Path]:
    """Optuna's plots as one interactive `plots.html` (plotly, self-contained) and one PNG each
    (matplotlib). A plot that needs more trials than there are is skipped with a note."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from optuna import visualization
    from optuna.visualization import matplotlib as mpl_visualization

    written, html_parts = [], []
    for name in PLOTS:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                figure = getattr(visualization, f"plot_{name}")(study)
                axes = getattr(mpl_visualization, f"plot_{name}")(study)
        except (ValueError, RuntimeError, ZeroDivisionError) as err:
            log(f"  (no {name.replace('_', ' ')} plot: {err})")
            continue
        _label(figure, name, study)
        # plotly.js once, in the first figure; each figure as wide as the window.
        html_parts.append(figure.to_html(full_html=False, include_plotlyjs=not html_parts, default_width="100%",
                                         default_height="420px", config={"responsive": True}))
        png = out_dir / f"{name}.png"
        axes_figure = (axes.flat[0] if hasattr(axes, "flat") else axes).figure
        with atomic_path(png) as tmp:
            axes_figure.savefig(tmp, dpi=120, bbox_inches="tight", format="png")
        plt.close(axes_figure)
        written.append(png)
    if html_parts:
        html = out_dir / "plots.html"
        write_text(html, f"<html><head><meta charset='utf-8'><title>{escape(study.study_name)}</title></head>"
                         f"<body style='margin:0 1em'>{study_summary_html(study)}" + "\n".join(html_parts)
                         + "</body></html>")
        written.insert(0, html)
    return written


def _label(figure, name: str, study: optuna.Study) -> None:
    """Axis titles in the study's terms; the intermediate values per 1-based epoch with integer ticks,
    each trial in the legend with its state, pruned and failed ones dotted."""
    figure.update_layout(autosize=True, margin={"l": 60, "r": 20, "t": 50, "b": 50})
    if name == "optimization_history":
        figure.update_layout(xaxis_title="trial", yaxis_title=OBJECTIVE)
    elif name == "intermediate_values":
        states = {t.number: t.state for t in study.get_trials(deepcopy=False)}
        for trace in figure.data:
            number = int(str(trace.name).removeprefix("Trial"))
            state = states.get(number, TrialState.COMPLETE)
            trace.x = [step + 1 for step in trace.x]  # Optuna's steps are 0-based epochs
            trace.name = f"trial {number}" + ("" if state == TrialState.COMPLETE else f" ({state.name.lower()})")
            if state != TrialState.COMPLETE:
                trace.line = {"dash": "dot"}
        figure.update_layout(xaxis={"title": "epoch", "tickmode": "linear", "tick0": 1, "dtick": 1},
                             yaxis_title=OBJECTIVE, showlegend=True)


def study_summary_html(study: optuna.Study) -> str:
    """The head of plots.html: the study, its trial counts and its best trial."""
    lines = [f"<h2>Study {escape(study.study_name)}</h2>", f"<p>{escape(trial_counts(study))}</p>"]
    ranked = ranked_trials(study)
    if ranked:
        best = ranked[0]
        params = ", ".join(f"{k}={v}" for k, v in best.params.items())
        lines.append(f"<p>Best: trial {best.number}, {OBJECTIVE} {best.value:.4f} ({escape(params)})</p>")
    return "\n".join(lines)


def best_model(study: optuna.Study, data, *, epochs: int, batch_size: int, device, build=build_model,
               amp: bool = False, compile: bool = False, progress: bool = True, retrain: bool = False, log=print):
    """The best trial's model with its best epoch's weights: loaded from the checkpoint the trial saved,
    or (`retrain`, or no checkpoint on this machine) trained again with the same hyperparameters and seed,
    which is the same run. Returns (model, how)."""
    best = ranked_trials(study)[0]
    model = build(HyperParameters(values=best.params))
    checkpoint = best.user_attrs.get("checkpoint")
    if not retrain and checkpoint and Path(checkpoint).is_file():
        from .model import built

        model = built(model, device)
        model.load_state_dict(torch.load(checkpoint, map_location=device))
        return model, f"trial {best.number}'s checkpoint"
    if not retrain:
        log(f"  (trial {best.number}'s checkpoint is not on this machine: retraining it, same seed)")
    model, _, _ = train_model(build, HyperParameters(values=best.params), data, epochs=epochs,
                              batch_size=batch_size, seed=best.user_attrs["seed"], device=device, amp=amp,
                              compile=compile, progress=progress, description="best model ")
    return model, f"trial {best.number} retrained"


def save_best_model(model, data, out_dir: Path, *, amp: bool = False) -> tuple[dict, list[Path]]:
    """Evaluate `model` on the test split and write `best_model.pt` (state_dict) and
    `best_model.keras_weights.npz` (Keras layout and order)."""
    test_loss, test_accuracy = evaluate(model, data.x_test, data.y_test, amp=amp)
    pt, npz = (out_dir / name for name in MODEL_FILES)
    with atomic_path(pt) as tmp:
        torch.save(model.state_dict(), tmp)
    with atomic_path(npz) as tmp:
        save_keras_weights(model, tmp)
    return {"test_loss": test_loss, "test_accuracy": test_accuracy}, [pt, npz]


def is_saved(best: dict, out_dir: Path, keras_files: tuple[str, ...]) -> bool:
    """Whether `out_dir` already holds this best trial's model files (a finished study run again)."""
    try:
        saved = json.loads((out_dir / "best_params.json").read_text())
    except (OSError, ValueError):
        return False
    same = all(saved.get(k) == best[k] for k in ("study", "trial", OBJECTIVE, "params"))
    return same and "model" in saved and all((out_dir / n).is_file() for n in (*MODEL_FILES, *keras_files))


def write_report(study: optuna.Study, out_dir: Path, *, top_k: int = 10, log=print) -> dict:
    """Print and save the table (`results.md`), `best_params.json` and the plots; returns the best."""
    out_dir.mkdir(parents=True, exist_ok=True)
    table = results_table(study, top_k)
    log(table)
    write_text(out_dir / "results.md", f"# Study {study.study_name}\n\n{table}\n")
    if not ranked_trials(study):
        log("No trial completed, so there is no best model.")
        return {}
    best = best_summary(study)
    log(f"Best trial {best['trial']}: {OBJECTIVE} {best[OBJECTIVE]:.4f} with {best['params']}")
    for path in write_plots(study, out_dir, log=log):
        log(f"  wrote {path}")
    return best
