"""The one-command CUDA check (`make gpu-check` = `python -m equivalence_tests.gpu_check`).

Keras is not needed (GPU machines rarely have TensorFlow): the reference is our own module on the CPU,
which the equivalence suite proves equal to Keras. On the device, for every layer spec:

* **float32 and float64**: each spec's first hand-picked samples (`--samples-per-spec`), the module built
  on the CPU, deep-copied and moved with `.to(device)`, called on the same inputs: outputs, input and
  weight gradients and the state after the call (moving statistics) within the float32/float64
  tolerances. TF32 is turned off, so float32 means float32. Layers that draw random numbers (dropout,
  augmentation in training) cannot give the CPU's numbers: their device outputs are checked for shape,
  dtype and finiteness only, and the table says so.
* **autocast** (`torch.autocast(device, float16 / bfloat16)`) and the **mixed_float16 / mixed_bfloat16**
  policies (the module rebuilt under the policy with the same weights): outputs within the float16 /
  bfloat16 tolerances of the float32 CPU output; variables stay float32 under a policy.
* **fused attention**: MultiHeadAttention's SDPA call under `flash_attention=None/True/False` in float16,
  which aten kernel ran (from the profiler), against the CPU float32 output.
* **BatchNormalization channels_last**: NHWC training steps on the device against the CPU (outputs and
  moving statistics), the input in torch's channels_last memory format.
* **benchmarks**: `python -m benchmarks --device cuda --contestants ours,torch` (synchronised timings),
  its report written beside this one (`--no-bench` leaves it out).

Known failures on a spec (`XFail` with checks "equivalence", "autocast", "policy") are reported as
such, not as failures. Writes `gpu-check.md` and `gpu-check.json` to `--out`; exit status 0 when every
check passed, 1 when one failed, 2 (one line) when there is no CUDA device. `--device cpu` runs the same
code on the CPU (the CPU test of this tool; its comparisons are then CPU against CPU).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import dataclasses
import json
import platform
import subprocess
import sys
import time
import traceback
from pathlib import Path

import numpy as np
import torch
from torch.utils import _pytree

from .harness import build_module, flat_tensors, make_call, to_torch
from .registry import all_specs
from .tolerances import FORWARD, GRADIENT, STATE, assert_close

REPO = Path(__file__).resolve().parents[1]
AUTOCAST_DTYPES = ("float16", "bfloat16")
POLICIES = ("mixed_float16", "mixed_bfloat16")
SDPA_KERNELS = ("flash", "efficient", "cudnn", "math")


# ---------------------------------------------------------------------------- one sample
def _to(obj, device):
    return _pytree.tree_map_only(torch.Tensor, lambda t: t.to(device), obj)


def _call(module, sample, args, kwargs, device, *, grad: bool, seed: int = 0, autocast: str | None = None):
    """(outputs, gradients) of one call on `device`; gradients of inputs and trainable weights against
    fixed cotangents (float outputs only)."""
    args_t = _to(to_torch(args, requires_grad=grad), device)
    if grad:  # leaves on the device, so their .grad is kept
        args_t = _pytree.tree_map_only(
            torch.Tensor, lambda t: t.detach().requires_grad_(t.is_floating_point()), args_t)
    kwargs_t = _to(to_torch(kwargs), device)
    if sample.training is not None:
        kwargs_t["training"] = sample.training
    torch.manual_seed(seed)
    context = torch.autocast(device, getattr(torch, autocast)) if autocast else contextlib.nullcontext()
    with context:
        outputs = flat_tensors(module(*args_t, **kwargs_t))
    if not grad:
        return [o.detach() for o in outputs], []
    inputs = [t for t in flat_tensors(args_t) if isinstance(t, torch.Tensor) and t.requires_grad]
    params = [p for p in module.parameters() if p.requires_grad]
    pairs = [(o, torch.as_tensor(np.random.default_rng(i).standard_normal(tuple(o.shape)), dtype=o.dtype,
                                 device=o.device))
             for i, o in enumerate(outputs) if o.is_floating_point() and o.requires_grad]
    if not pairs or not inputs + params:
        return [o.detach() for o in outputs], []
    loss = sum((o * c).sum() for o, c in pairs)
    grads = torch.autograd.grad(loss, inputs + params, allow_unused=True)
    return [o.detach() for o in outputs], [g for g in grads]


def _numpy(t) -> np.ndarray:
    t = t.detach()
    return (t.float() if t.dtype in (torch.float16, torch.bfloat16) else t).cpu().numpy()


def _compare(ours, ref, table, what):
    assert len(ours) == len(ref), f"{what}: {len(ours)} tensors, CPU gives {len(ref)}"
    for i, (a, b) in enumerate(zip(ours, ref)):
        assert (a is None) == (b is None), f"{what} #{i}: gradient connectivity differs from the CPU"
        if a is None:
            continue
        assert tuple(a.shape) == tuple(b.shape), f"{what} #{i}: shape {tuple(a.shape)}, CPU {tuple(b.shape)}"
        if b.is_floating_point():
            assert_close(_numpy(a), _numpy(b), table, f"{what} #{i}")
        else:
            np.testing.assert_array_equal(_numpy(a), _numpy(b), err_msg=f"{what} #{i}")


def _draws_random_numbers(spec, sample, args, kwargs) -> bool:
    """Whether the call's outputs depend on torch's random state (dropout, noise, augmentation)."""
    module = build_module(spec, sample, "float32", args, kwargs)
    module.train(bool(sample.training))
    with torch.no_grad():
        first, _ = _call(copy.deepcopy(module), sample, args, kwargs, "cpu", grad=False, seed=0)
        second, _ = _call(module, sample, args, kwargs, "cpu", grad=False, seed=1)
    return any(not torch.equal(a, b) for a, b in zip(first, second))


def check_sample(spec, sample, device: str, dtype: str) -> dict:
    """The device against the CPU for one sample in `dtype`: outputs, gradients, state."""
    args, kwargs = make_call(sample, np.random.default_rng(0), dtype)
    cpu = build_module(spec, sample, dtype, args, kwargs)
    cpu.train(bool(sample.training))
    moved = copy.deepcopy(cpu).to(device)
    random = _draws_random_numbers(spec, sample, args, kwargs) if dtype == "float32" else False
    want_grad = sample.grad and not random
    out, grads = _call(moved, sample, args, kwargs, device, grad=want_grad)
    where = f"{spec.name}[{sample.label()}] {dtype} on {device}"
    if random:
        for i, o in enumerate(out):
            assert o.device.type == torch.device(device).type, f"{where} output #{i} is on {o.device}"
            if o.is_floating_point():
                assert torch.isfinite(o).all(), f"{where} output #{i} is not finite"
        return {"status": "pass", "note": "draws random numbers: device output checked for shape and finiteness"}
    ref_out, ref_grads = _call(cpu, sample, args, kwargs, "cpu", grad=want_grad)
    _compare(out, ref_out, FORWARD[dtype], f"{where} output")
    _compare(grads, ref_grads, GRADIENT[dtype], f"{where} gradient")
    state, ref_state = moved.state_dict(), cpu.state_dict()
    for key, value in ref_state.items():
        if value.is_floating_point():
            assert_close(_numpy(state[key]), _numpy(value), STATE[dtype], f"{where} state `{key}`")
    return {"status": "pass"}


def check_reduced_precision(spec, sample, device: str, how: str) -> dict:
    """`how`: an autocast dtype ("float16", "bfloat16") or a mixed policy, against the float32 CPU output."""
    args, kwargs = make_call(sample, np.random.default_rng(0), "float32")
    kwargs = {k: v for k, v in kwargs.items() if k != "training"}
    inference = dataclasses.replace(sample, training=None)
    cpu = build_module(spec, inference, "float32", args, kwargs)
    ref, _ = _call(cpu, inference, args, kwargs, "cpu", grad=False)
    if how in POLICIES:
        module = build_module(spec, inference, how, args, kwargs)
        module.set_weights(cpu.get_weights())
        module = module.to(device)
        out, _ = _call(module, inference, args, kwargs, device, grad=False)
        assert all(w.dtype == torch.float32 for w in module.weights if w.is_floating_point()), (
            f"{spec.name} {how}: variables are not float32")
        table = FORWARD[how.removeprefix("mixed_")]
    else:
        out, _ = _call(copy.deepcopy(cpu).to(device), inference, args, kwargs, device, grad=False, autocast=how)
        table = FORWARD[how]
    where = f"{spec.name}[{sample.label()}] {how} on {device}"
    assert len(out) == len(ref), f"{where}: {len(out)} outputs, CPU float32 gives {len(ref)}"
    for i, (a, b) in enumerate(zip(out, ref)):
        if b.is_floating_point():
            assert_close(_numpy(a), _numpy(b), table, f"{where} output #{i}")
        else:
            np.testing.assert_array_equal(_numpy(a), _numpy(b), err_msg=f"{where} output #{i}")
    return {"status": "pass"}


def _outcome(fn, spec, xfail_check: str, label: str, *args) -> dict:
    reason = spec.xfail_reason(xfail_check, label)
    try:
        result = fn(*args)
    except Exception as err:  # a check's failure is a row of the report, not the end of the run
        message = f"{type(err).__name__}: {str(err).strip().splitlines()[0] if str(err).strip() else ''}"
        if reason:
            return {"status": "xfail", "note": reason}
        return {"status": "fail", "error": message[:400], "traceback": traceback.format_exc(limit=4)[-1500:]}
    if reason:
        return {"status": "xpass", "note": f"listed as a known failure ({reason}) but passed"}
    return result


# ---------------------------------------------------------------------------- the special checks
def check_attention(device: str) -> list[dict]:
    """Which SDPA kernel MultiHeadAttention runs for each `flash_attention`, and its numbers."""
    from torch.profiler import ProfilerActivity, profile

    from torchkeras_layers.layers import MultiHeadAttention

    rows = []
    gen = torch.Generator().manual_seed(0)
    query, value = torch.randn(4, 128, 64, generator=gen), torch.randn(4, 96, 64, generator=gen)
    for flash in (None, True, False):
        row = {"flash_attention": flash}
        try:
            cpu = MultiHeadAttention(num_heads=4, key_dim=32, flash_attention=flash)
            ref = cpu(query, value)
            moved = copy.deepcopy(cpu).to(device)
            dtype = torch.float16 if device == "cuda" else torch.bfloat16
            activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device == "cuda" else [])
            with torch.no_grad(), torch.autocast(device, dtype), profile(activities=activities) as prof:
                out = moved(query.to(device), value.to(device))
            names = {event.key for event in prof.key_averages()}
            row["kernels"] = [k for k in SDPA_KERNELS
                              if any(n.startswith(f"aten::_scaled_dot_product_{k}") or
                                     (k == "math" and n == "aten::_scaled_dot_product_attention_math")
                                     for n in names)]
            assert_close(_numpy(out), _numpy(ref), FORWARD[str(dtype).removeprefix("torch.")],
                         f"MultiHeadAttention flash_attention={flash} under autocast on {device}")
            row["status"] = "pass"
        except Exception as err:
            row.update(status="fail", error=f"{type(err).__name__}: {err}"[:400])
        rows.append(row)
    return rows


def check_batch_norm_channels_last(device: str) -> dict:
    from torchkeras_layers.layers import BatchNormalization

    gen = torch.Generator().manual_seed(0)
    x = torch.randn(16, 28, 28, 32, generator=gen) * 3 + 1
    try:
        cpu = BatchNormalization(momentum=0.9)
        cpu.build(x.shape)
        moved = copy.deepcopy(cpu).to(device)
        for _ in range(3):
            ref = cpu(x, training=True)
            # NHWC data held as an NCHW tensor in channels_last memory: the layout torch's kernels like.
            nhwc = x.permute(0, 3, 1, 2).to(device).contiguous(memory_format=torch.channels_last).permute(0, 2, 3, 1)
            out = moved(nhwc, training=True)
            assert_close(_numpy(out), _numpy(ref), FORWARD["float32"], f"BatchNormalization channels_last on {device}")
        for key in ("moving_mean", "moving_variance"):
            assert_close(_numpy(getattr(moved, key)), _numpy(getattr(cpu, key)), STATE["float32"], key)
        return {"status": "pass"}
    except Exception as err:
        return {"status": "fail", "error": f"{type(err).__name__}: {err}"[:400]}


def run_benchmarks(device: str, out: Path, quick: bool) -> dict:
    command = [sys.executable, "-m", "benchmarks", "--device", device, "--contestants", "ours,torch",
               "--out", str(out), "--name", "gpu-check-bench"] + (["--quick"] if quick else [])
    started = time.perf_counter()
    try:
        done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=420)
    except subprocess.TimeoutExpired:
        return {"status": "fail", "error": "the benchmark run did not finish in 420 s", "command": " ".join(command)}
    result = {"status": "pass" if done.returncode == 0 else "fail", "command": " ".join(command),
              "seconds": round(time.perf_counter() - started, 1), "tail": (done.stdout + done.stderr)[-3000:]}
    if done.returncode != 0:
        result["error"] = f"exit status {done.returncode}"
    return result


# ---------------------------------------------------------------------------- the run
def run(device: str, out: Path, *, samples_per_spec: int, names: set[str] | None, bench: bool,
        quick_bench: bool, log=print) -> dict:
    if device == "cuda":  # float32 means float32 (TF32 would change the last 10 bits of every product)
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    environment = {"torch": torch.__version__, "python": platform.python_version(), "device": device}
    if device == "cuda":
        environment.update(gpu=torch.cuda.get_device_name(0), cuda=torch.version.cuda,
                           cudnn=torch.backends.cudnn.version())
    rows = []
    started = time.perf_counter()
    for spec in all_specs():
        if names and spec.name not in names:
            continue
        picked = [s for s in spec.samples if "float32" in s.dtypes][:samples_per_spec]
        for sample in picked:
            label = sample.label()
            row = {"layer": spec.name, "sample": label}
            for dtype in ("float32", "float64"):
                if dtype in sample.dtypes:
                    row[dtype] = _outcome(check_sample, spec, "equivalence", label, spec, sample, device, dtype)
            for how in AUTOCAST_DTYPES:
                row[f"autocast {how}"] = _outcome(check_reduced_precision, spec, "autocast", label, spec, sample,
                                                  device, how)
            for policy in POLICIES:
                row[policy] = _outcome(check_reduced_precision, spec, "policy", policy, spec, sample, device,
                                       policy)
            rows.append(row)
        log(f"{spec.name}: {len(picked)} samples ({time.perf_counter() - started:.0f} s)")
    results = {"environment": environment, "layers": rows, "attention": check_attention(device),
               "batch_norm_channels_last": check_batch_norm_channels_last(device)}
    if bench:
        results["benchmarks"] = run_benchmarks(device, out, quick_bench)
    results["seconds"] = round(time.perf_counter() - started, 1)
    return results


def _statuses(results: dict) -> list[str]:
    found = [cell["status"] for row in results["layers"] for key, cell in row.items() if isinstance(cell, dict)]
    found += [row["status"] for row in results["attention"]]
    found.append(results["batch_norm_channels_last"]["status"])
    if "benchmarks" in results:
        found.append(results["benchmarks"]["status"])
    return found


def markdown(results: dict) -> str:
    env = results["environment"]
    statuses = _statuses(results)
    counts = {s: statuses.count(s) for s in ("pass", "fail", "xfail", "xpass") if statuses.count(s)}
    lines = ["# GPU check", "", "Generated by `make gpu-check` (`python -m equivalence_tests.gpu_check`); "
             "reference: our modules on the CPU (proven equal to Keras by the equivalence suite).", "",
             "Environment: " + ", ".join(f"{k} {v}" for k, v in env.items()) + f"; {results['seconds']} s.", "",
             "Checks: " + ", ".join(f"{n} {s}" for s, n in counts.items()) + ".", ""]
    columns = ["float32", "float64", "autocast float16", "autocast bfloat16", *POLICIES]
    lines += ["| layer | sample | " + " | ".join(columns) + " |", "|---" * (2 + len(columns)) + "|"]
    for row in results["layers"]:
        cells = [_cell(row.get(c)) for c in columns]
        lines.append(f"| {row['layer']} | `{row['sample']}` | " + " | ".join(cells) + " |")
    problems = [(row["layer"], row["sample"], c, row[c]) for row in results["layers"] for c in columns
                if isinstance(row.get(c), dict) and row[c]["status"] in ("fail", "xpass")]
    if problems:
        lines += ["", "## Failures", ""]
        lines += [f"- {layer} `{sample}` {column}: {cell.get('error') or cell.get('note')}"
                  for layer, sample, column, cell in problems]
    lines += ["", "## Fused attention (MultiHeadAttention, autocast)", "", "| flash_attention | kernels run | result |",
              "|---|---|---|"]
    for row in results["attention"]:
        lines.append(f"| {row['flash_attention']} | {', '.join(row.get('kernels', [])) or '-'} | "
                     f"{row['status']}{': ' + row['error'] if 'error' in row else ''} |")
    bn = results["batch_norm_channels_last"]
    lines += ["", f"BatchNormalization, NHWC in channels_last memory, 3 training steps: {bn['status']}"
              + (f" ({bn['error']})" if "error" in bn else "") + "."]
    if "benchmarks" in results:
        bench = results["benchmarks"]
        lines += ["", f"Benchmarks (`{bench['command']}`): {bench['status']}"
                  + (f" ({bench['error']})" if "error" in bench else "")
                  + "; report: gpu-check-bench.md beside this file."]
    return "\n".join(lines) + "\n"


def _cell(cell) -> str:
    if cell is None:
        return "-"
    return {"pass": "ok", "fail": "**FAIL**", "xfail": "known", "xpass": "**XPASS**"}[cell["status"]]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m equivalence_tests.gpu_check", description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda", choices=["cuda", "cpu"], help="cpu: a dry run of this tool")
    parser.add_argument("--out", type=Path, default=REPO / "runs" / "gpu-check", help="folder for the reports")
    parser.add_argument("--samples-per-spec", type=int, default=2)
    parser.add_argument("--layers", help="comma-separated layer names (default: every spec)")
    parser.add_argument("--no-bench", action="store_true", help="leave the benchmark run out")
    parser.add_argument("--full-bench", action="store_true", help="the benchmarks' full profile, not --quick")
    args = parser.parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        print("gpu-check: no CUDA device here (torch.cuda.is_available() is False); run it on a machine with an "
              "NVIDIA GPU, or pass --device cpu for a dry run", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    names = {n.strip() for n in args.layers.split(",")} if args.layers else None
    results = run(args.device, args.out, samples_per_spec=args.samples_per_spec, names=names,
                  bench=not args.no_bench, quick_bench=not args.full_bench)
    (args.out / "gpu-check.json").write_text(json.dumps(results, indent=1, default=str) + "\n")
    (args.out / "gpu-check.md").write_text(markdown(results))
    statuses = _statuses(results)
    failed = statuses.count("fail") + statuses.count("xpass")
    print(f"gpu-check: {statuses.count('pass')} passed, {failed} failed, {statuses.count('xfail')} known failures; "
          f"report in {args.out / 'gpu-check.md'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
