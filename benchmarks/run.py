"""The benchmark runner: ``python -m benchmarks`` (``make bench ARGS="--quick"``).

For every workload (``benchmarks/workloads.py``) and mode (forward; forward+backward), the four
contestants run in four worker processes (``benchmarks/worker.py``) on the same inputs and weights:

1. setup, one contestant at a time: build, compare the first outputs (and input gradients) with
   ours (a mismatch is reported: it would mean the contestants do not compute the same thing), then
   warm up (tf.function tracing, allocator caches, oneDNN primitive caches);
2. timing in interleaved rounds: each round runs every contestant once, in a rotating order, each
   for enough iterations to fill ``--round-seconds``; a worker only runs when asked, so contestants
   never compete for the cores;
3. the median per-iteration time (and quartiles) per contestant, ratios ours/other, and the peak
   memory of each contestant's process during the workload.

The thread count is fixed for every framework (torch.set_num_threads, TF intra/inter-op, OMP/MKL)
and printed. Workloads whose layers are not in torchkeras_layers yet are skipped with a note.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from torchkeras_layers.runtime import MALLOC_ENV

from . import report
from .models import MODEL_CONTESTANTS, MODEL_WORKLOADS, TF_CONTESTANTS
from .workloads import CONTESTANTS, LABELS, MODES, WORKLOADS

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
CHECK_RTOL = 1e-3  # relative to the output's magnitude: catches a different computation, not float noise

PROFILES = {  # rounds, warm-up iterations, seconds of timed iterations per contestant per round
    "full": dict(rounds=7, warmup=3, round_seconds=0.25),
    "quick": dict(rounds=3, warmup=1, round_seconds=0.05),
}


class WorkerError(RuntimeError):
    pass


class WorkerProcess:
    """A contestant's process and its JSON-lines channel."""

    def __init__(self, contestant: str, threads: int, device: str, log_dir: Path):
        env = dict(os.environ)
        env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads), TF_CPP_MIN_LOG_LEVEL="3",
                   TF_ENABLE_ONEDNN_OPTS="1",  # TensorFlow's fast CPU path on every x86 CPU, as in the tests
                   PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
                   KERAS_BACKEND="tensorflow" if contestant in TF_CONTESTANTS else "torch")
        for name, value in MALLOC_ENV.items():  # glibc keeps freed memory, as TF's own allocator does
            env.setdefault(name, value)
        if device == "cpu":
            env["CUDA_VISIBLE_DEVICES"] = ""  # TensorFlow must not grab a GPU in a CPU run
        self.contestant = contestant
        self.log_path = log_dir / f"{contestant}.log"
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.worker", contestant, "--threads", str(threads), "--device", device],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, text=True, cwd=ROOT, env=env)
        self.info: dict = {}

    def _read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise WorkerError(f"the {self.contestant} worker exited (see {self.log_path}):\n{self.log_tail()}")
        return json.loads(line)

    def wait_ready(self) -> dict:
        reply = self._read()
        if not reply.get("ok"):
            raise WorkerError(f"the {self.contestant} worker failed to start: {reply.get('error')}")
        self.info = reply["ready"]
        return self.info

    def request(self, cmd: str, **payload) -> dict:
        self.proc.stdin.write(json.dumps({"cmd": cmd, **payload}) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def log_tail(self, lines: int = 15) -> str:
        self._log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(json.dumps({"cmd": "quit"}) + "\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
        self._log.close()


# ---------------------------------------------------------------------------- one cell
def run_cell(workers: dict, workload, mode: str, profile: dict, seed: int) -> dict:
    cell = {"workload": workload.name, "title": workload.title, "mode": mode, "contestants": {}}
    setups = {}
    for name, worker in workers.items():
        entry = cell["contestants"].setdefault(name, {"note": workload.notes.get(name)})
        reply = worker.request("setup", workload=workload.name, mode=mode, seed=seed, warmup=profile["warmup"])
        if not reply.get("ok"):
            entry["error"] = reply["error"]
            print(f"    {name}: setup failed: {reply['error']}", flush=True)
            _log_traceback(worker, reply)
            continue
        if "skip" in reply:
            entry["skipped"] = reply["skip"]
            continue
        setups[name] = reply
    _compare_checks(cell, setups)
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
        entry["peak_memory_bytes"] = workers[name].request("memory").get("peak_bytes")
        workers[name].request("teardown")
    ours = cell["contestants"].get("ours", {}).get("median_s")
    cell["ratios"] = {name: ours / entry["median_s"] for name, entry in cell["contestants"].items()
                      if name != "ours" and ours and entry.get("median_s")}
    return cell


def _log_traceback(worker, reply) -> None:
    tb = reply.get("traceback")
    if tb:
        print("      " + tb.strip().splitlines()[-1], flush=True)


def _inner_iterations(warmup_times: list, seconds: float) -> int:
    estimate = min(warmup_times) if warmup_times else seconds
    return max(1, min(1000, math.ceil(seconds / max(estimate, 1e-6))))


def _stats(times: list) -> dict:
    q = statistics.quantiles(times, n=4) if len(times) >= 2 else [times[0]] * 3
    return {"median_s": statistics.median(times), "q1_s": q[0], "q3_s": q[2], "min_s": min(times),
            "iterations": len(times)}


def _compare_checks(cell: dict, setups: dict) -> None:
    """Each contestant's first outputs against ours (or the first contestant that ran)."""
    if not setups:
        return
    reference_name = "ours" if "ours" in setups else next(iter(setups))
    reference = setups[reference_name]["check"]
    for name, reply in setups.items():
        entry = cell["contestants"][name]
        if name == reference_name:
            continue
        entry["check_error"] = sample_ratio(reference, reply["check"], lambda ours, theirs: max(
            (abs(a - b) for a, b in zip(ours["samples"], theirs["samples"])), default=0.0) / max(1.0, ours["max_abs"]))
        entry["check_against"] = reference_name
        if not entry["check_error"] <= CHECK_RTOL:
            print(f"    WARNING {name}: first outputs differ from {reference_name}'s by {entry['check_error']:.2e} "
                  f"(relative): the contestants may not compute the same thing", flush=True)


def sample_ratio(reference: list, summaries: list, ratio) -> float:
    """The largest `ratio(reference_summary, summary)` over the outputs' summaries (`worker._summary`);
    infinite where the outputs' count or a shape differs."""
    if len(reference) != len(summaries):
        return math.inf
    return max((ratio(ref, got) if ref["shape"] == got["shape"] else math.inf
                for ref, got in zip(reference, summaries)), default=0.0)


# ---------------------------------------------------------------------------- machine
def machine_info(threads: int, device: str, workers: dict) -> dict:
    info = {"platform": platform.platform(), "python": platform.python_version(), "cpu": _cpu_model(),
            "logical_cpus": os.cpu_count(), "memory_gb": _memory_gb(), "threads": threads, "device": device}
    for worker in workers.values():
        info.update({k: v for k, v in worker.info.items() if k != "unavailable"})
    if device == "cuda":
        try:
            import torch

            info["gpu"] = torch.cuda.get_device_name(0)
        except Exception:  # noqa: BLE001
            pass
    return info


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def _load() -> list | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def _resolve_device(device: str) -> str:
    if device != "auto":
        return device
    try:
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    except ImportError:
        return "cpu"


# ---------------------------------------------------------------------------- main
def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 short rounds, 1 warm-up iteration (a smoke run)")
    parser.add_argument("--workloads", help=f"comma-separated subset of {','.join(w.name for w in WORKLOADS)}")
    parser.add_argument("--modes", default=",".join(MODES), help="forward,train (train = forward+backward)")
    parser.add_argument("--contestants", help=f"layers: {','.join(CONTESTANTS)}; models: {','.join(MODEL_CONTESTANTS)}")
    parser.add_argument("--models", nargs="?", const="all",
                        help=f"whole-model benchmarks instead of layers: 'all' or a comma-separated subset of "
                             f"{','.join(w.name for w in MODEL_WORKLOADS)} (writes results/models.{{json,md}})")
    parser.add_argument("--threads", type=int, default=os.cpu_count(),
                        help="threads for every framework (default: all cores)")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--rounds", type=int, help="interleaved timing rounds (default 7, --quick 3)")
    parser.add_argument("--round-seconds", type=float, help="timed seconds per contestant per round")
    parser.add_argument("--warmup", type=int, help="warm-up iterations per contestant")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS, help="directory for the .md/.json/.png reports")
    parser.add_argument("--name", help="report file stem (default: 'latest', or 'quick' with --quick)")
    parser.add_argument("--update", action="store_true",
                        help="with --models: replace this run's rows in the existing report and keep its other rows")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.models is not None:
        from . import model_run

        return model_run.main(args, argv)
    started = time.perf_counter()
    profile = dict(PROFILES["quick" if args.quick else "full"])
    for key in ("rounds", "warmup", "round_seconds"):
        if getattr(args, key) is not None:
            profile[key] = getattr(args, key)
    device = _resolve_device(args.device)
    contestants = [c.strip() for c in (args.contestants or ",".join(CONTESTANTS)).split(",") if c.strip()]
    unknown = sorted(set(contestants) - set(CONTESTANTS))
    if unknown:
        raise SystemExit(f"unknown contestants {unknown}; choose from {CONTESTANTS}")
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if set(modes) - set(MODES):
        raise SystemExit(f"unknown modes {sorted(set(modes) - set(MODES))}; choose from {MODES}")
    chosen = WORKLOADS
    if args.workloads:
        names = [n.strip() for n in args.workloads.split(",") if n.strip()]
        known = {w.name: w for w in WORKLOADS}
        if set(names) - set(known):
            raise SystemExit(f"unknown workloads {sorted(set(names) - set(known))}; choose from {sorted(known)}")
        chosen = [known[n] for n in names]

    load_start = _load()
    print(f"benchmarks: device {device}, {args.threads} threads for every framework "
          f"(torch.set_num_threads, TF intra/inter-op, OMP/MKL), {profile['rounds']} interleaved rounds of "
          f"~{profile['round_seconds']} s per contestant, {profile['warmup']} warm-up iterations; "
          f"load average at start {load_start}", flush=True)
    log_dir = Path(tempfile.mkdtemp(prefix="tkl-bench-"))
    workers, cells, skipped = {}, [], []
    try:
        for name in contestants:  # started together: the imports overlap
            workers[name] = WorkerProcess(name, args.threads, device, log_dir)
        for name in list(workers):
            try:
                workers[name].wait_ready()
            except WorkerError as err:
                print(f"  skipping {LABELS[name]}: {err}", flush=True)
                workers.pop(name).close()
                skipped.append({"contestant": name, "reason": str(err).splitlines()[0]})
        print(f"  workers ready after {time.perf_counter() - started:.1f} s: "
              + ", ".join(f"{n} ({', '.join(f'{k} {v}' for k, v in w.info.items())})" for n, w in workers.items()),
              flush=True)
        for workload in chosen:
            for mode in modes:
                print(f"  {workload.name} / {mode}: {workload.title}", flush=True)
                cell = run_cell(workers, workload, mode, profile, args.seed)
                cells.append(cell)
                print("    " + report.cell_line(cell), flush=True)
        result = {
            "machine": machine_info(args.threads, device, workers),
            "settings": {**profile, "seed": args.seed,
                         "command": "python -m benchmarks " + " ".join(argv if argv is not None else sys.argv[1:]),
                         "load_average_start": load_start, "load_average_end": _load(),
                         "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
                         "duration_s": round(time.perf_counter() - started, 1)},
            "cells": cells,
            "skipped": skipped,
        }
        result["summary"] = report.summary(cells)
        stem = args.name or ("quick" if args.quick else "latest")
        paths = report.write_all(result, args.out, stem)
        print(report.markdown_table(result), flush=True)
        print(f"wrote {', '.join(str(p) for p in paths)} in {result['settings']['duration_s']} s "
              f"(load average at end {result['settings']['load_average_end']})", flush=True)
        return 0
    finally:
        for worker in workers.values():
            worker.close()
        failed = skipped or any(e.get("error") for c in cells for e in c["contestants"].values())
        if failed:
            print(f"worker logs: {log_dir}", flush=True)
        else:
            shutil.rmtree(log_dir, ignore_errors=True)
