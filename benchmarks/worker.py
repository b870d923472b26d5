"""One contestant's process: ``python -m benchmarks.worker CONTESTANT --threads N --device D``.

Every contestant runs in its own process, so that the Keras backend can differ (``keras_torch`` is
started with ``KERAS_BACKEND=torch``, ``keras_tf``/``keras_xla`` with ``KERAS_BACKEND=tensorflow``, ours
with the torch backend too, so that converting a Keras model does not load TensorFlow; Keras picks its
backend once per process), thread pools are set before the framework starts, and peak memory is
measured per process. The runner drives the workers in turns over JSON lines (stdin -> requests,
the original stdout -> replies; anything libraries print goes to stderr), so the timed runs of the
four contestants interleave without running at the same time:

    {"cmd": "setup", "workload": ..., "mode": ..., "seed": ..., "warmup": n} -> check arrays, warm-up times
    {"cmd": "time", "iters": k}    -> k per-iteration times in seconds (device-synchronised)
    {"cmd": "memory"}              -> peak memory since setup began
    {"cmd": "teardown"} / {"cmd": "quit"}
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import os
import re
import resource
import sys
import time
import traceback

import numpy as np

from .models import TF_CONTESTANTS


def _protocol_stream():
    """Replies go to the original stdout; fd 1 is pointed at stderr so library prints cannot corrupt them."""
    stream = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return stream


class CpuMemory:
    """Peak RSS growth over the RSS at `start()` (the kernel's high-water mark, reset through
    /proc/self/clear_refs; freed heap is trimmed first so earlier workloads do not hide this one's)."""

    def __init__(self):
        self.base = None

    @staticmethod
    def _status(key: str) -> int | None:
        try:
            with open("/proc/self/status") as f:
                match = re.search(rf"^{key}:\s+(\d+) kB", f.read(), re.M)
            return int(match.group(1)) * 1024 if match else None
        except OSError:
            return None

    def start(self) -> None:
        gc.collect()
        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):
            pass
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
            self.base = self._status("VmRSS")
        except OSError:
            self.base = None

    def peak(self) -> int | None:
        high = self._status("VmHWM")
        return None if self.base is None or high is None else max(high - self.base, 0)


class Worker:
    def __init__(self, contestant: str, threads: int, device: str):
        self.contestant = contestant
        self.device = device
        self.bench = None
        self.sync = lambda: None
        self.memory = None
        self.framework = self._start_framework(threads)

    def _start_framework(self, threads: int) -> dict:
        info = {}
        if self.contestant in TF_CONTESTANTS:
            import tensorflow as tf

            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
            gpus = tf.config.list_physical_devices("GPU")
            if self.device == "cuda" and not gpus:
                info["unavailable"] = "TensorFlow sees no GPU"
            if self.device == "cpu" and gpus:
                tf.config.set_visible_devices([], "GPU")
            import keras

            info.update(tensorflow=tf.__version__, keras=keras.__version__, keras_backend=keras.backend.backend(),
                        tf_intra_op_threads=tf.config.threading.get_intra_op_parallelism_threads(),
                        tf_inter_op_threads=tf.config.threading.get_inter_op_parallelism_threads())
            if self.device == "cuda" and gpus:
                self.sync = tf.test.experimental.sync_devices
        else:
            import torch

            torch.set_num_threads(threads)
            info.update(torch=torch.__version__, torch_threads=torch.get_num_threads())
            if self.device == "cuda":
                torch.cuda.init()
                self.sync = torch.cuda.synchronize
            if self.contestant == "keras_torch":
                import keras

                info.update(keras=keras.__version__, keras_backend=keras.backend.backend())
            elif self.contestant in ("ours", "ours_compiled"):
                import torchkeras_layers

                info.update(torchkeras_layers=torchkeras_layers.__version__)
            elif self.contestant == "torchvision":
                try:
                    import torchvision
                except ImportError:
                    info["unavailable"] = "torchvision is not installed"
                else:
                    info.update(torchvision=torchvision.__version__)
        return info

    # ------------------------------------------------------------------ memory
    def _memory_start(self) -> None:
        if self.device == "cuda" and self.contestant not in TF_CONTESTANTS:
            import torch

            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            self.memory = ("torch", torch.cuda.memory_allocated())
        elif self.device == "cuda":
            import tensorflow as tf

            tf.config.experimental.reset_memory_stats("GPU:0")
            self.memory = ("tf", tf.config.experimental.get_memory_info("GPU:0")["current"])
        else:
            cpu = CpuMemory()
            cpu.start()
            self.memory = ("cpu", cpu)

    def _memory_peak(self) -> int | None:
        kind, base = self.memory
        if kind == "torch":
            import torch

            return torch.cuda.max_memory_allocated() - base
        if kind == "tf":
            import tensorflow as tf

            return tf.config.experimental.get_memory_info("GPU:0")["peak"] - base
        return base.peak()

    # ------------------------------------------------------------------ commands
    def setup(self, workload: str, mode: str, seed: int, warmup: int, suite: str = "layers") -> dict:
        from . import models, workloads
        from .workloads import Context, fill_weights

        if "unavailable" in self.framework:
            return {"skip": self.framework["unavailable"]}
        spec = (models if suite == "models" else workloads).by_name()[workload]  # the suites share names
        self.bench = None
        self._memory_start()
        inputs = spec.make_inputs(np.random.default_rng([seed, 3]))
        weights = fill_weights(spec.weight_shapes, seed)
        ctx = Context(self.contestant, mode, self.device, seed)
        self.bench = spec.builder(self.contestant)(ctx, inputs, weights)
        check = [np.asarray(a, dtype=np.float64) for a in self.bench.check()]
        self.sync()
        warm = self.time(warmup)["times"]
        reply = {"check": [_summary(a) for a in check], "warmup_times": warm, "info": self.bench.info}
        if self.bench.reference is not None:
            reply["reference"] = {"check": [_summary(np.asarray(a, np.float64)) for a in self.bench.reference],
                                  "keras_error": self.bench.reference_keras_error}
        return reply

    def time(self, iters: int) -> dict:
        step, sync, clock = self.bench.step, self.sync, time.perf_counter
        times = []
        for _ in range(iters):
            start = clock()
            step()
            sync()
            times.append(clock() - start)
        return {"times": times}

    def teardown(self) -> dict:
        self.bench = None
        gc.collect()
        return {}


def _summary(array: np.ndarray, points: int = 256) -> dict:
    """A compact, comparable picture of an output: shape, sums and evenly spaced elements."""
    flat = array.reshape(-1)
    count = min(points, flat.size)
    index = np.linspace(0, flat.size - 1, count).astype(np.int64) if count else np.zeros(0, np.int64)
    return {"shape": list(array.shape), "sum": float(flat.sum()), "abs_sum": float(np.abs(flat).sum()),
            "max_abs": float(np.abs(flat).max()) if flat.size else 0.0, "samples": flat[index].tolist()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.worker")
    parser.add_argument("contestant")
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    out = _protocol_stream()

    def reply(payload: dict) -> None:
        out.write(json.dumps(payload) + "\n")
        out.flush()

    try:
        worker = Worker(args.contestant, args.threads, args.device)
    except Exception as err:  # noqa: BLE001 -- reported to the runner, which skips this contestant
        reply({"ok": False, "error": f"{type(err).__name__}: {err}", "traceback": traceback.format_exc()})
        return 1
    reply({"ok": True, "ready": worker.framework, "pid": os.getpid()})
    for line in sys.stdin:
        request = json.loads(line)
        cmd = request.pop("cmd")
        if cmd == "quit":
            break
        try:
            if cmd == "memory":
                # getrusage's high-water mark is the kernel's VmHWM, which setup reset (CPU): this workload's peak
                result = {"peak_bytes": worker._memory_peak(),
                          "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}
            else:
                result = getattr(worker, cmd)(**request)
            reply({"ok": True, **result})
        except Exception as err:  # noqa: BLE001
            worker.bench = None
            reply({"ok": False, "error": f"{type(err).__name__}: {err}", "traceback": traceback.format_exc()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
