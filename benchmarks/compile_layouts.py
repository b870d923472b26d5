"""A whole model's CPU training step eagerly and under torch.compile, with and without inductor's layout
optimization (``torchkeras_layers.ops.inductor_cpu.TRAINING_COMPILE_OPTIONS``).

``python -m benchmarks.compile_layouts [--model mobilenet_v2] [--threads 2] [--rounds 5]``

Inductor's layout optimization gives every 4-D tensor upstream of a convolution channels_last strides
computed as if dim 1 were the channels, which lays the (N, H, W, C) activations of a Keras-layout model out
as (N, W, C, H) (docs/benchmarks.md, "Compiled training: inductor's layout optimization"). Routes, one
process, the model of ``benchmarks/models.py`` converted with ``from_keras`` (the whole-model benchmark's
weights):

* ``eager`` -- the training step as the whole-model benchmark's ``ours`` runs it;
* ``compiled_default`` -- its loss under ``torch.compile`` with inductor's defaults;
* ``compiled_options`` -- the same with ``options=TRAINING_COMPILE_OPTIONS`` (``ours_compiled``).

A step is the forward in training mode, Keras' sparse categorical cross-entropy, backward and Keras-default
Adam. Before timing, each compiled route's loss and parameter gradients, from the same weights, must be as
accurate as eager float32's against the same model run eagerly in float64 (the zoo's criterion,
``equivalence_tests/zoo.py``); then medians of interleaved rounds (compiles happen before timing and are
reported apart).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

from .conv_routes import _median_time


def _routes(workload, seed: int):
    """name -> (loss function of (x, y)), the model and its optimizer."""
    import torch

    import torchkeras_layers as tkl
    from torchkeras_layers.losses import sparse_categorical_crossentropy
    from torchkeras_layers.ops.inductor_cpu import TRAINING_COMPILE_OPTIONS

    from .models import _keras_model

    model = tkl.from_keras(_keras_model(workload, seed))
    model.train()

    def eager(x, y):
        return sparse_categorical_crossentropy(model(x), y).mean()

    def default(x, y):  # its own code object: each compiled route has its own dynamo cache entry
        return sparse_categorical_crossentropy(model(x), y).mean()

    def options(x, y):
        return sparse_categorical_crossentropy(model(x), y).mean()

    routes = {"eager": eager, "compiled_default": torch.compile(default),
              "compiled_options": torch.compile(options, options=TRAINING_COMPILE_OPTIONS)}
    return routes, model, tkl.optimizers.keras_adam(model.parameters())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.compile_layouts", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="mobilenet_v2", help="a benchmarks/models.py workload with images")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--seconds", type=float, default=1.0, help="timed seconds per route per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from .models import by_name

    workload = by_name().get(args.model)
    if workload is None or workload.tokens:
        parser.exit(2, f"compile_layouts: --model must be an image model of benchmarks/models.py, got {args.model!r}\n")
    import torch

    import torchkeras_layers as tkl
    from equivalence_tests.zoo import accuracy_ratio, max_diff
    from torchkeras_layers._tolerances import GRADIENT

    torch.set_num_threads(args.threads)
    tkl.runtime.retain_freed_memory()  # as the benchmark workers: no page faults per call
    images, labels = (torch.from_numpy(a) for a in workload.make_inputs(np.random.default_rng([args.seed, 7])))
    routes, model, optimizer = _routes(workload, args.seed)
    parameters = [p for p in model.parameters() if p.requires_grad]

    def gradients(loss_of, images=images):
        optimizer.zero_grad(set_to_none=True)
        start = time.perf_counter()
        loss = loss_of(images, labels)
        loss.backward()
        first_call = time.perf_counter() - start
        values = np.concatenate([[loss.item()], *(p.grad.flatten().double().numpy() for p in parameters)])
        return values, first_call

    # The yardstick is the zoo's (equivalence_tests/zoo.py): float32 rounding, amplified through a deep
    # network's backward, puts its gradients past the float32 tolerance of each other, so each compiled
    # step must be as accurate as eager float32 against eager float64 (the same model, .double()).
    eager32, _ = gradients(routes["eager"])
    model.double()
    float64, _ = gradients(routes["eager"], images.double())
    model.float()
    eager_error = max_diff(eager32, float64)
    compile_s = {}
    for name in ("compiled_default", "compiled_options"):
        values, compile_s[name] = gradients(routes[name])
        ratio = accuracy_ratio(values, float64, eager_error, GRADIENT["float32"])
        if not ratio <= 1.0:
            print(f"{name} MISMATCH: its loss and parameter gradients are {ratio:.3g}x as far from eager float64 "
                  f"as allowed (eager float32 is {eager_error:.3g} off)")
            return 1

    def step(loss_of):
        def run():
            optimizer.zero_grad(set_to_none=True)
            loss_of(images, labels).backward()
            optimizer.step()
        return run

    times = {name: [] for name in routes}
    for _ in range(args.rounds):  # interleaved rounds: load changes hit every route alike
        for name, loss_of in routes.items():
            times[name].append(_median_time(step(loss_of), args.seconds))
    ms = {name: statistics.median(values) * 1e3 for name, values in times.items()}
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; load average "
          f"{[round(v, 2) for v in os.getloadavg()]}")
    print(f"\n{workload.title}: training step, median of {args.rounds} interleaved rounds; compiled losses and "
          f"parameter gradients as accurate as eager's against float64\n")
    print("| route | ms | / eager | first call s |")
    print("|---|---|---|---|")
    for name in routes:
        first = f"{compile_s[name]:.0f}" if name in compile_s else "–"
        print(f"| {name} | {ms[name]:.1f} | {ms[name] / ms['eager']:.2f} | {first} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
