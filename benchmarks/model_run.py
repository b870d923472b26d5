"""The whole-model benchmark: ``python -m benchmarks --models [NAMES]`` (``make bench ARGS="--models resnet50"``).

Runs the ``benchmarks/models.py`` workloads with the ``MODEL_CONTESTANTS``, one worker process each
(``benchmarks/worker.py``), in the layer benchmark's protocol: setup one contestant at a time (ours
first: if ours cannot run the model, the row says why and the others are not built), a comparison of
every contestant's inference output with ours within the float32 tolerance or, failing that, with Keras'
float64 model as accurately as Keras' float32 one (a mismatch is an error: that contestant is not timed
and the run exits with status 1), then interleaved timing rounds.
Compile times (torch.compile, XLA, tf.function tracing: each contestant's first call) are reported
apart and never counted in the step time. Peak memory is each worker's RSS high-water mark
(``resource.getrusage``) during the workload, framework included. Writes ``results/models.{json,md}``.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from .models import MODEL_CONTESTANTS, MODEL_LABELS, MODEL_WORKLOADS, WEIGHTS_CACHE_ENV, missing_layers
from .run import PROFILES, WorkerError, WorkerProcess, _inner_iterations, _load, _stats, machine_info, sample_ratio
from .workloads import MODES

MODE_LABELS = {"forward": "inference", "train": "train step"}
OURS = ("ours", "ours_compiled")
KERAS_TF = ("keras_tf", "keras_xla")


def select(names: str | None) -> list:
    if not names or names == "all":
        return list(MODEL_WORKLOADS)
    known = {w.name: w for w in MODEL_WORKLOADS}
    chosen = [n.strip() for n in names.split(",") if n.strip()]
    unknown = sorted(set(chosen) - set(known))
    if unknown:
        raise SystemExit(f"unknown models {unknown}; choose from {sorted(known)}")
    return [known[n] for n in chosen]


# ---------------------------------------------------------------------------- one cell
def run_model_cell(workers: dict, workload, mode: str, profile: dict, seed: int) -> dict:
    cell = {"workload": workload.name, "title": workload.title, "mode": mode, "contestants": {}}
    missing = missing_layers(workload)
    if missing:
        cell["skipped"] = f"needs {', '.join(missing)}"
        return cell
    setups = {}
    for name, worker in workers.items():  # "ours" first
        entry = cell["contestants"].setdefault(name, {"note": workload.notes.get(name)})
        reply = worker.request("setup", workload=workload.name, mode=mode, seed=seed, warmup=profile["warmup"],
                               suite="models")
        if not reply.get("ok"):
            unsupported = reply["error"].startswith("NotImplementedError")
            entry["skipped" if unsupported else "error"] = reply["error"]
            print(f"    {name}: {'skipped' if unsupported else 'SETUP FAILED'}: {reply['error'][:300]}", flush=True)
            if name == "ours":  # nothing to compare with: do not build the others
                cell["skipped" if unsupported else "error"] = f"ours: {reply['error']}"
                for other in setups:
                    workers[other].request("teardown")
                return cell
            continue
        if "skip" in reply:
            entry["skipped"] = reply["skip"]
            continue
        entry.update(reply.get("info", {}))
        setups[name] = reply
    _check_against_ours(cell, setups)
    for name in [n for n in setups if cell["contestants"][n].get("error")]:
        workers[name].request("teardown")
        del setups[name]
    iters = {name: _inner_iterations(reply["warmup_times"], profile["round_seconds"]) for name, reply in setups.items()}
    times = {name: [] for name in setups}
    order = list(setups)
    for r in range(profile["rounds"]):
        for name in order[r % len(order):] + order[: r % len(order)]:
            reply = workers[name].request("time", iters=iters[name])
            if not reply.get("ok"):
                raise WorkerError(f"{name} failed while timing {workload.name}/{mode}: {reply['error']}")
            times[name].extend(reply["times"])
    for name in setups:
        entry = cell["contestants"][name]
        entry.update(_stats(times[name]))
        memory = workers[name].request("memory")
        entry["peak_rss_bytes"] = memory.get("peak_rss_bytes")
        workers[name].request("teardown")
    cell["ratios"] = ratios(cell)
    return cell


def _check_against_ours(cell: dict, setups: dict) -> None:
    """Every contestant's inference output (summary) against ours, within the float32 forward tolerance;
    failing that, as accurate as Keras' float32 model against Keras' float64 one (the zoo's criterion,
    `equivalence_tests/zoo.py`): deep random networks amplify float32 rounding past the tolerance, and
    TensorFlow's rewritten graphs (tf.function, XLA) round differently from its eager program."""
    from equivalence_tests.zoo import accuracy_ratio
    from torchkeras_layers._tolerances import FORWARD

    if "ours" not in setups:
        return
    tol = FORWARD["float32"]
    reference, float64 = setups["ours"]["check"], setups["ours"].get("reference")
    for name, reply in setups.items():
        entry = cell["contestants"][name]
        if name == "ours" or not reply["check"]:
            continue
        worst = sample_ratio(reference, reply["check"], lambda ours, theirs: max(
            (abs(a - b) / (tol["atol"] * max(1.0, ours["max_abs"]) + tol["rtol"] * abs(a))
             for a, b in zip(ours["samples"], theirs["samples"])), default=0.0))
        entry["check_tolerance_ratio"] = worst
        if not worst <= 1.0 and float64:
            entry["check_float64_accuracy_ratio"] = sample_ratio(
                float64["check"], reply["check"],
                lambda ref, theirs: accuracy_ratio(theirs["samples"], ref["samples"], float64["keras_error"], tol))
            worst = entry["check_float64_accuracy_ratio"]
        if not worst <= 1.0:
            entry["error"] = (f"inference output differs from ours by {entry['check_tolerance_ratio']:.3g}x the "
                              f"float32 tolerance {tol} and is less accurate than Keras' float32 model against "
                              "Keras' float64 one: the contestants do not compute the same thing")
            print(f"    MISMATCH {name}: {entry['error']}", flush=True)


def _best(cell: dict, names) -> float | None:
    """The fastest of `names`; unknown (None) when one of them ran and failed (a setup error or a
    mismatching output): the best of the others would not be the best of the group."""
    if any(cell["contestants"].get(n, {}).get("error") for n in names):
        return None
    values = [cell["contestants"].get(n, {}).get("median_s") for n in names]
    values = [v for v in values if v]
    return min(values) if values else None


def ratios(cell: dict) -> dict:
    ours = _best(cell, OURS)
    out = {}
    for label, names in (("keras_tf_best", KERAS_TF), ("keras_torch", ("keras_torch",)),
                         ("torchvision", ("torchvision",))):
        other = _best(cell, names)
        if ours and other:
            out[label] = ours / other
    return out


# ---------------------------------------------------------------------------- report
def _ms(seconds) -> str:
    if seconds is None:
        return "–"
    ms = seconds * 1e3
    return f"{ms:.3g}" if ms < 100 else f"{ms:.0f}"


def _entry_text(entry: dict) -> str:
    if entry.get("median_s") is not None:
        text = _ms(entry["median_s"])
        if entry.get("compile_s") is not None:
            text += f" (+{entry['compile_s']:.1f} s)"
        return text
    if entry.get("error"):
        return "**error**"
    return "skipped" if entry.get("skipped") else "–"


def markdown(result: dict) -> str:
    m, runs = result["machine"], result.get("runs", [result["settings"]])
    lines = [
        "# torchkeras_layers whole-model benchmarks", "",
        f"Machine: {m.get('cpu')} ({m.get('logical_cpus')} logical CPUs, {m.get('memory_gb')} GB), "
        f"{m.get('platform')}; torch {m.get('torch')}, tensorflow {m.get('tensorflow')}, keras {m.get('keras')}; "
        f"device **{m.get('device')}**; **{m.get('threads')} threads** for every framework.", "",
        *[(f"{'Run ' + str(i) + ', ' if len(runs) > 1 else ''}{r['date']}: `{r['command']}`, {r['rounds']} "
           f"interleaved rounds of ~{r['round_seconds']} s per contestant after {r['warmup']} warm-up iterations, "
           f"medians of per-iteration times; load average {r['load_average_start']} at start, "
           f"{r['load_average_end']} at end; {r['duration_s']} s in all.") for i, r in enumerate(runs)], "",
        "Times in ms per step (median); `(+N s)`: the first call (torch.compile / XLA compile, tf.function "
        "tracing), excluded from the step time. Ratio: ours best-of(eager, compiled) / Keras TF best-of(tf.function, "
        "XLA), lower is better. Peak RSS: each worker process's high-water mark during the workload (framework "
        "included). Before timing, ours matched the Keras original in its own process and every contestant's "
        "inference output matched ours, each within the float32 tolerance or, where float32 rounding is "
        "amplified past it (deep random networks, TensorFlow's rewritten graphs), as accurately as Keras' float32 "
        "model against Keras' float64 one: the zoo's criterion.", "",
        "| model | mode | " + " | ".join(MODEL_LABELS[c] for c in MODEL_CONTESTANTS)
        + " | ours / Keras TF | ours / Keras torch | peak RSS MiB (" + " / ".join(MODEL_CONTESTANTS) + ") |",
        "|---" * (len(MODEL_CONTESTANTS) + 5) + "|",
    ]
    notes = []
    for cell in result["cells"]:
        run = f" (run {cell['run']})" if len(runs) > 1 and "run" in cell else ""
        head = f"| {cell['workload']}{run} | {MODE_LABELS[cell['mode']]} |"
        if cell.get("skipped") or cell.get("error"):
            reason = cell.get("skipped") or f"**error** {cell['error']}"
            lines.append(head + f" skipped: {reason.splitlines()[0][:160]}" + " |" * (len(MODEL_CONTESTANTS) + 2))
            continue
        entries = [cell["contestants"].get(c, {}) for c in MODEL_CONTESTANTS]
        ratio = cell.get("ratios", {})
        rss = " / ".join("–" if e.get("peak_rss_bytes") is None else f"{e['peak_rss_bytes'] / 2**20:.0f}"
                         for e in entries)
        lines.append(head + " " + " | ".join(_entry_text(e) for e in entries)
                     + f" | {_fmt(ratio.get('keras_tf_best'))} | {_fmt(ratio.get('keras_torch'))} | {rss} |")
        for c, e in zip(MODEL_CONTESTANTS, entries):
            reason = e.get("error") or (e.get("skipped") if c != "torchvision" or cell["mode"] == "forward" else None)
            if reason:
                notes.append(f"- {cell['workload']} / {MODE_LABELS[cell['mode']]} / {MODEL_LABELS[c]}: "
                             f"{reason.splitlines()[0][:200]}")
    titles = [f"- {w['workload']}: {w['title']}" for w in result["cells"] if w["mode"] == result["cells"][0]["mode"]]
    lines += ["", "Models:"] + titles
    if notes:
        lines += ["", "Notes:"] + sorted(set(notes))
    return "\n".join(lines) + "\n"


def _fmt(value) -> str:
    return "–" if value is None else f"{value:.2f}"


def write(result: dict, out: Path, stem: str) -> list:
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / f"{stem}.json", out / f"{stem}.md"]
    paths[0].write_text(json.dumps(result, indent=1, default=str) + "\n")
    paths[1].write_text(markdown(result))
    return paths


def _updated(old: dict | None, result: dict) -> dict:
    """`result`'s cells in place of the same (model, mode) cells of the `old` report, the others kept;
    every run's settings are kept, in order, and each cell records the run it came from."""
    runs = [] if old is None else old.get("runs", [old["settings"]])
    cells = [dict(c, run=len(runs)) for c in result["cells"]]
    new = {(c["workload"], c["mode"]): c for c in cells}
    kept = [] if old is None else [dict(c, run=c.get("run", 0)) for c in old["cells"]]
    merged = [new.pop((c["workload"], c["mode"]), c) for c in kept] + list(new.values())
    return {**result, "cells": merged, "runs": runs + [result["settings"]]}


# ---------------------------------------------------------------------------- main
def main(args, argv) -> int:
    started = time.perf_counter()
    profile = dict(PROFILES["quick" if args.quick else "full"])
    for key in ("rounds", "warmup", "round_seconds"):
        if getattr(args, key) is not None:
            profile[key] = getattr(args, key)
    chosen = select(args.models)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if set(modes) - set(MODES):
        raise SystemExit(f"unknown modes {sorted(set(modes) - set(MODES))}; choose from {MODES}")
    contestants = list(MODEL_CONTESTANTS) if args.contestants is None else \
        [c.strip() for c in args.contestants.split(",") if c.strip()]
    if set(contestants) - set(MODEL_CONTESTANTS):
        raise SystemExit(f"unknown contestants {sorted(set(contestants) - set(MODEL_CONTESTANTS))}; "
                         f"choose from {MODEL_CONTESTANTS}")
    contestants = sorted(contestants, key=MODEL_CONTESTANTS.index)  # ours first: the others are checked against it
    device = args.device if args.device != "auto" else "cpu"
    load_start = _load()
    print(f"whole-model benchmarks: device {device}, {args.threads} threads for every framework, "
          f"{profile['rounds']} rounds of ~{profile['round_seconds']} s, {profile['warmup']} warm-up iterations; "
          f"load average at start {load_start}", flush=True)
    log_dir = Path(tempfile.mkdtemp(prefix="tkl-bench-models-"))
    os.environ[WEIGHTS_CACHE_ENV] = str(log_dir)  # the workers inherit it: one set of weights per model
    # A private inductor cache: compile times are cold ones, and a cache shared with other processes on
    # this machine was seen half-written ("file too short").
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = str(log_dir / "inductor")
    workers, cells = {}, []
    failed = False
    try:
        for name in contestants:
            workers[name] = WorkerProcess(name, args.threads, device, log_dir)
        for name in list(workers):
            try:
                workers[name].wait_ready()
            except WorkerError as err:
                print(f"  {MODEL_LABELS[name]} unavailable: {err}", flush=True)
                workers.pop(name).close()
        stem = args.name or ("models-quick" if args.quick else "models")
        command = "python -m benchmarks " + " ".join(argv if argv is not None else sys.argv[1:])
        previous = args.out / f"{stem}.json"
        previous = json.loads(previous.read_text()) if args.update and previous.exists() else None

        def report(finished: bool) -> tuple[dict, list]:
            """The report of the cells so far, written after each one: a killed run keeps what it measured."""
            result = {"machine": machine_info(args.threads, device, workers),
                      "settings": {**profile, "seed": args.seed, "command": command, "load_average_start": load_start,
                                   "load_average_end": _load(), "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
                                   "duration_s": round(time.perf_counter() - started, 1),
                                   **({} if finished else {"unfinished": f"{len(cells)} cells so far"})},
                      "cells": list(cells)}
            if previous is not None:
                result = _updated(previous, result)
            return result, write(result, args.out, stem)

        for workload in chosen:
            for mode in modes:
                print(f"  {workload.name} / {MODE_LABELS[mode]}: {workload.title}", flush=True)
                cell = run_model_cell(workers, workload, mode, profile, args.seed)
                cells.append(cell)
                failed |= bool(cell.get("error")) or any(e.get("error") for e in cell["contestants"].values())
                print("    " + ", ".join(f"{n} {_entry_text(e)}" for n, e in cell["contestants"].items())
                      + (f"; ours/Keras TF {_fmt(cell.get('ratios', {}).get('keras_tf_best'))}"
                         if cell.get("ratios") else f" {cell.get('skipped') or cell.get('error') or ''}"), flush=True)
                report(finished=False)
        result, paths = report(finished=True)
        print(markdown(result), flush=True)
        print(f"wrote {', '.join(str(p) for p in paths)}", flush=True)
        return 1 if failed else 0
    finally:
        for worker in workers.values():
            worker.close()
        if failed:
            print(f"worker logs: {log_dir}", flush=True)
        else:
            shutil.rmtree(log_dir, ignore_errors=True)
