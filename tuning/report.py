"""After the search: the results table, the best hyperparameters as JSON, plots, and the best model
retrained, saved and evaluated on the test split."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import optuna
import torch
from optuna.trial import FrozenTrial, TrialState

from .hp import HyperParameters
from .model import build_model, save_keras_weights
from .study import OBJECTIVE
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
    counts = {state.name.lower(): len(study.get_trials(deepcopy=False, states=(state,))) for state in TrialState}
    lines.append("")
    lines.append("Trials: " + ", ".join(f"{n} {state}" for state, n in counts.items() if n))
    return "\n".join(lines)


def _fmt(value) -> str:
    return "" if value is None else f"{value:.4f}"


def best_summary(study: optuna.Study) -> dict:
    """The best trial as JSON-able data: `params` is what `HyperParameters(values=...)` rebuilds."""
    best = ranked_trials(study)[0]
    return {
        "study": study.study_name,
        "trial": best.number,
        OBJECTIVE: best.value,
        "params": best.params,
        "best_epoch": best.user_attrs.get("best_epoch"),
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
        html_parts.append(figure.to_html(full_html=False, include_plotlyjs=not html_parts))
        png = out_dir / f"{name}.png"
        axes_figure = (axes.flat[0] if hasattr(axes, "flat") else axes).figure
        axes_figure.savefig(png, dpi=120, bbox_inches="tight")
        plt.close(axes_figure)
        written.append(png)
    if html_parts:
        html = out_dir / "plots.html"
        html.write_text(f"<html><head><meta charset='utf-8'><title>{study.study_name}</title></head><body>"
                        + "\n".join(html_parts) + "</body></html>")
        written.insert(0, html)
    return written


def retrain_best(study: optuna.Study, data, out_dir: Path, *, epochs: int, batch_size: int, device,
                 build=build_model, amp: bool = False, compile: bool = False, progress: bool = True) -> dict:
    """Retrain the best trial (same hyperparameters and seed, so the same run), keep its best epoch's
    weights (Keras Tuner's `get_best_models()[0]`), evaluate them on the test split, and save
    `best_model.pt` (state_dict) and `best_model.keras_weights.npz` (Keras layout and order)."""
    best = best_summary(study)
    model, history, best_epoch = train_model(
        build, HyperParameters(values=best["params"]), data, epochs=epochs, batch_size=batch_size,
        seed=best["seed"], device=device, amp=amp, compile=compile, progress=progress, description="best model ")
    test_loss, test_accuracy = evaluate(model, data.x_test, data.y_test, amp=amp)
    torch.save(model.state_dict(), out_dir / "best_model.pt")
    save_keras_weights(model, out_dir / "best_model.keras_weights.npz")
    return {"val_accuracy": history[OBJECTIVE][best_epoch], "best_epoch": best_epoch,
            "test_loss": test_loss, "test_accuracy": test_accuracy}


def write_report(study: optuna.Study, out_dir: Path, *, top_k: int = 10, log=print) -> dict:
    """Print and save the table (`results.md`), `best_params.json` and the plots; returns the best."""
    out_dir.mkdir(parents=True, exist_ok=True)
    table = results_table(study, top_k)
    log(table)
    (out_dir / "results.md").write_text(f"# Study {study.study_name}\n\n{table}\n")
    if not ranked_trials(study):
        log("No trial completed, so there is no best model.")
        return {}
    best = best_summary(study)
    (out_dir / "best_params.json").write_text(json.dumps(best, indent=2) + "\n")
    log(f"Best trial {best['trial']}: {OBJECTIVE} {best[OBJECTIVE]:.4f} with {best['params']}")
    for path in write_plots(study, out_dir, log=log):
        log(f"  wrote {path}")
    return best
