"""Report writers: the results as JSON (everything), Markdown (the README table) and a PNG bar chart."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from .workloads import CONTESTANTS, LABELS

# Issue #8's targets, as ratios ours / other (lower is better).
TARGETS = {"torch": 1.10, "keras_tf": 1.0, "keras_torch": 0.5}
GEOMEAN_TARGET_KERAS_TF = 0.8
MODE_LABELS = {"forward": "forward", "train": "fwd+bwd"}


def _ms(seconds) -> str:
    if seconds is None:
        return "–"
    ms = seconds * 1e3
    return f"{ms:.3g}" if ms < 100 else f"{ms:.0f}"


def _ratio(cell: dict, other: str) -> str:
    value = cell.get("ratios", {}).get(other)
    if value is None:
        return "–"
    return f"{value:.2f} {'✓' if value <= TARGETS[other] else '✗'}"


def _mib(value) -> str:
    return "–" if value is None else f"{value / 2**20:.0f}"


def _time_or_reason(entry: dict) -> str:
    if entry.get("median_s") is not None:
        mark = "" if entry.get("check_error", 0.0) <= 1e-3 else " (outputs differ!)"
        return _ms(entry["median_s"]) + mark
    if entry.get("skipped"):
        return "skipped"
    if entry.get("error"):
        return "failed"
    return "–"


def cell_line(cell: dict) -> str:
    parts = []
    for name in CONTESTANTS:
        entry = cell["contestants"].get(name)
        if entry is not None:
            parts.append(f"{name} {_time_or_reason(entry)} ms")
    ratios = ", ".join(f"ours/{k} {v:.2f}" for k, v in cell.get("ratios", {}).items())
    return "; ".join(parts) + (f"  [{ratios}]" if ratios else "")


def summary(cells: list) -> dict:
    out = {}
    for other in TARGETS:
        ratios = [c["ratios"][other] for c in cells if other in c.get("ratios", {})]
        if ratios:
            out[f"geomean_ours_over_{other}"] = statistics.geometric_mean(ratios)
            out[f"cells_meeting_target_{other}"] = f"{sum(r <= TARGETS[other] for r in ratios)}/{len(ratios)}"
    return out


def markdown_table(result: dict) -> str:
    header = ("| workload | mode | ours (ms) | Keras TF (ms) | Keras torch (ms) | plain torch (ms) | ours / Keras TF "
              "| ours / Keras torch | ours / torch | peak MiB ours / Keras TF / Keras torch / torch |")
    lines = [header, "|" + "---|" * 10]
    for cell in result["cells"]:
        entries = cell["contestants"]
        times = [_time_or_reason(entries.get(name, {})) for name in CONTESTANTS]
        memory = " / ".join(_mib(entries.get(name, {}).get("peak_memory_bytes")) for name in CONTESTANTS)
        lines.append(f"| {cell['title']} | {MODE_LABELS[cell['mode']]} | " + " | ".join(times) + " | "
                     + " | ".join(_ratio(cell, other) for other in ("keras_tf", "keras_torch", "torch"))
                     + f" | {memory} |")
    return "\n".join(lines)


def markdown(result: dict) -> str:
    m, s = result["machine"], result["settings"]
    versions = ", ".join(f"{k} {m[k]}" for k in ("torch", "tensorflow", "keras") if k in m)
    lines = [
        "# torchkeras_layers benchmarks",
        "",
        f"Machine: {m.get('cpu')} ({m.get('logical_cpus')} logical CPUs, {m.get('memory_gb')} GB), "
        f"{m.get('platform')}, "
        f"Python {m.get('python')}; {versions}; device **{m.get('device')}**"
        + (f" ({m['gpu']})" if m.get("gpu") else "") + f"; **{m.get('threads')} threads** for every framework.",
        "",
        f"{s['date']}: `{s['command'].strip()}`, {s['rounds']} interleaved rounds of ~{s['round_seconds']} s per "
        f"contestant after {s['warmup']} warm-up iterations, medians of per-iteration times; load average "
        f"{s['load_average_start']} at start, {s['load_average_end']} at end; {s['duration_s']} s in all.",
        "",
        "Ratios are ours / other (lower is better); ✓ marks the targets: ≤ 1.0× Keras TF, ≤ 0.5× Keras "
        "torch, ≤ 1.10× plain torch. *forward* is inference; *fwd+bwd* is training mode with the gradients of "
        "the input and every weight (for the CIFAR CNN: a whole Adam step). Peak memory: growth of each "
        "contestant's process RSS during the workload (CPU) or `max_memory_allocated` (CUDA).",
        "",
        markdown_table(result),
        "",
    ]
    loads = [x for x in (s.get("load_average_start"), s.get("load_average_end")) if x]
    if loads and max(x[0] for x in loads) > (m.get("logical_cpus") or 1):
        lines += [
            "**Taken under load** (the 1-minute load average exceeded the cores): other processes shared the CPU. "
            "With more than one thread, torch's OpenMP regions then wait for descheduled threads (steps of the "
            "4 ms scheduler tick per parallel op) and lose far more than TensorFlow's thread pool; "
            "`--threads 1` gives numbers that such load distorts much less.", ""]
    summ = result.get("summary", {})
    if summ:
        parts = []
        for other in TARGETS:
            key = f"geomean_ours_over_{other}"
            if key in summ:
                parts.append(f"ours / {LABELS[other]}: geometric mean {summ[key]:.2f}, target met in "
                             f"{summ[f'cells_meeting_target_{other}']} rows")
        target = f" (geometric-mean target vs Keras TF: ≤ {GEOMEAN_TARGET_KERAS_TF})."
        lines += ["Summary: " + "; ".join(parts) + target, ""]
    notes = {}
    for cell in result["cells"]:
        for name, entry in cell["contestants"].items():
            if entry.get("note"):
                notes.setdefault(cell["title"], {})[name] = entry["note"]
    if notes:
        lines.append("What the other contestants run:")
        lines += [f"- {title}: " + "; ".join(f"{LABELS[n]}: {text}" for n, text in by.items())
                  for title, by in notes.items()]
        lines.append("")
    problems = [f"- {c['title']} ({MODE_LABELS[c['mode']]}), {LABELS[n]}: "
                + (e.get("skipped") or e.get("error")
                   or f"first outputs differ from {e.get('check_against')} by {e['check_error']:.1e}")
                for c in result["cells"] for n, e in c["contestants"].items()
                if e.get("skipped") or e.get("error") or e.get("check_error", 0.0) > 1e-3]
    problems += [f"- {item.get('workload') or LABELS.get(item.get('contestant'), '')}: {item['reason']}"
                 for item in result.get("skipped", [])]
    if problems:
        lines += ["Skipped, failed or disagreeing:"] + problems + [""]
    return "\n".join(lines)


def chart(result: dict, path: Path) -> Path | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("  (matplotlib is not installed: no PNG chart)")
        return None
    modes = [m for m in ("forward", "train") if any(c["mode"] == m for c in result["cells"])]
    if not modes:
        return None
    fig, axes = plt.subplots(1, len(modes), figsize=(7 * len(modes), 5), squeeze=False)
    colors = {"ours": "#d62728", "keras_tf": "#ff7f0e", "keras_torch": "#9467bd", "torch": "#1f77b4"}
    for ax, mode in zip(axes[0], modes):
        cells = [c for c in result["cells"] if c["mode"] == mode]
        height = 0.8 / len(CONTESTANTS)
        for i, name in enumerate(CONTESTANTS):
            values = [c["contestants"].get(name, {}).get("median_s") for c in cells]
            ys = [j + (i - (len(CONTESTANTS) - 1) / 2) * height for j in range(len(cells))]
            ax.barh([y for y, v in zip(ys, values) if v], [v * 1e3 for v in values if v], height=height,
                    color=colors[name], label=LABELS[name])
        ax.set_yticks(range(len(cells)))
        ax.set_yticklabels([c["title"].split(",")[0].split(" (")[0] for c in cells])
        ax.invert_yaxis()
        ax.set_xscale("log")
        ax.set_xlabel("median time per iteration (ms, log scale; shorter is better)")
        ax.set_title(MODE_LABELS[mode])
        ax.grid(axis="x", which="both", alpha=0.3)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(CONTESTANTS), fontsize="small", frameon=False)
    m = result["machine"]
    fig.suptitle(f"torchkeras_layers vs Keras and plain torch — {m.get('cpu')}, {m.get('threads')} threads, "
                 f"{m.get('device')}")
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_all(result: dict, directory: Path, stem: str) -> list:
    directory.mkdir(parents=True, exist_ok=True)
    json_path = directory / f"{stem}.json"
    json_path.write_text(json.dumps(result, indent=1) + "\n")
    md_path = directory / f"{stem}.md"
    md_path.write_text(markdown(result))
    png = chart(result, directory / f"{stem}.png")
    return [p for p in (md_path, json_path, png) if p is not None]
