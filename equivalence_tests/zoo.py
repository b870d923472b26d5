"""The keras.applications zoo through `from_keras`: every constructor of Keras 3.15 (`weights=None`), converted
and compared with Keras.

    python -m equivalence_tests.zoo [--models ResNet50,EfficientNetB0] [--size 32] [--compile] [--markdown FILE]

Per model: the Keras model with random biases and BatchNormalization statistics (so that every weight
matters), logits (`classifier_activation=None`), Dropout rates set to 0 (so that training mode is
deterministic on both sides); then `from_keras`, and the largest absolute difference from Keras of the
inference outputs, the training-mode outputs (BatchNormalization on batch statistics), the gradient of a
random linear function of the outputs with respect to the input, and the inference outputs of
`to_keras(ours)`; with `--compile`, `torch.compile(fullgraph=True)` against eager. `ok` says every
comparison is within the suite's float32 tolerances (`tolerances.FORWARD` / `GRADIENT`).
The markdown file holds the table without timings (timings vary from run to run and are printed only).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from dataclasses import dataclass, field

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

# Smallest square input each application accepts (Keras' `min_size`); the others take 32.
MIN_SIZE = {"InceptionV3": 75, "InceptionResNetV2": 75, "Xception": 71}
BATCH = 4
CLASSES = 10


@dataclass
class ZooResult:
    model: str
    size: int
    params: int = 0
    inference: float | None = None
    training: float | None = None
    gradient: float | None = None
    round_trip: float | None = None
    compiled: float | None = None
    ok: bool = False
    error: str | None = None
    times: dict = field(default_factory=dict)


def application_names() -> list[str]:
    import keras

    return sorted(n for n in dir(keras.applications) if n[0].isupper() and callable(getattr(keras.applications, n)))


def randomize(keras_model, rng: np.random.Generator, size: int) -> None:
    """Random biases, BatchNormalization scales, offsets and statistics (the constructors' are zeros and
    ones); Dropout off. The statistics are those of a calibration batch, perturbed: with the constructors'
    (or purely random) statistics the signal of a randomly initialised deep network dies out (outputs that
    do not depend on the input, gradients of 1e-13), which would make the comparison say nothing."""
    import keras

    layers = list(keras_model._flatten_layers(include_self=False, recursive=True))
    norms = [layer for layer in layers if isinstance(layer, keras.layers.BatchNormalization)]
    for layer in layers:
        if isinstance(layer, keras.layers.Dropout):
            layer.rate = 0.0
        for variable in layer.weights:
            leaf = variable.path.rsplit("/", 1)[-1]
            if leaf in ("bias", "beta"):
                variable.assign(rng.normal(0.0, 0.1, tuple(variable.shape)).astype(variable.dtype))
            elif leaf == "gamma":
                variable.assign(rng.uniform(0.5, 1.5, tuple(variable.shape)).astype(variable.dtype))
    momenta = [layer.momentum for layer in norms]
    for layer in norms:
        layer.momentum = 0.0  # one training-mode call sets the moving statistics to the batch's
    keras_model(rng.uniform(0.0, 255.0, (8, size, size, 3)).astype("float32"), training=True)
    for layer, momentum in zip(norms, momenta):
        layer.momentum = momentum
        mean, variance = layer.moving_mean, layer.moving_variance
        shift = rng.normal(0.0, 0.05, tuple(mean.shape)) * np.sqrt(variance.numpy())
        mean.assign((mean.numpy() + shift).astype(mean.dtype))
        variance.assign(variance.numpy() * rng.uniform(0.8, 1.25, tuple(variance.shape)).astype(variance.dtype))


def build_application(name: str, size: int | None = None, seed: int = 0):
    """The Keras application `name` (weights=None, logits, `CLASSES` classes) at `size`x`size`, randomized."""
    import keras

    size = size or MIN_SIZE.get(name, 32)
    keras.utils.set_random_seed(seed)
    model = getattr(keras.applications, name)(weights=None, input_shape=(size, size, 3), classes=CLASSES,
                                               classifier_activation=None)
    randomize(model, np.random.default_rng(seed), size)
    return model


def _max_diff(ours, reference) -> float:
    ours = ours.detach().cpu().numpy() if hasattr(ours, "detach") else np.asarray(ours)
    return float(np.max(np.abs(ours.astype(np.float64) - np.asarray(reference, dtype=np.float64))))


def _within(ours, reference, tol: dict) -> bool:
    from .tolerances import compare_arrays

    ours = ours.detach().cpu().numpy() if hasattr(ours, "detach") else np.asarray(ours)
    return compare_arrays(ours, np.asarray(reference), **tol)[1] <= 1.0


def check_application(name: str, size: int | None = None, compile: bool = False, seed: int = 0) -> ZooResult:
    import keras
    import tensorflow as tf
    import torch

    import torchkeras_layers as tkl

    from .tolerances import FORWARD, GRADIENT

    size = size or MIN_SIZE.get(name, 32)
    result = ZooResult(name, size)
    try:
        keras_model = build_application(name, size, seed)
        result.params = keras_model.count_params()
        rng = np.random.default_rng(seed + 1)
        x = rng.uniform(0.0, 255.0, (BATCH, size, size, 3)).astype("float32")  # the applications' pixel range
        cotangent = rng.standard_normal((BATCH, CLASSES)).astype("float32")

        start = time.perf_counter()
        ours = tkl.from_keras(keras_model)
        result.times["convert"] = time.perf_counter() - start
        ours.eval()
        xt = torch.from_numpy(x)
        checks = {}

        expected = keras_model(x, training=False).numpy()
        with torch.no_grad():
            got = ours(xt, training=False)
        result.inference = _max_diff(got, expected)
        checks["inference"] = _within(got, expected, FORWARD["float32"])
        result.times["keras"] = _timed(lambda: keras_model(x, training=False))
        with torch.no_grad():
            result.times["ours"] = _timed(lambda: ours(xt, training=False))

        back = tkl.to_keras(ours)
        round_trip = back(x, training=False).numpy()
        result.round_trip = _max_diff(round_trip, expected)
        checks["to_keras"] = _within(round_trip, expected, FORWARD["float32"])
        del back

        if compile:
            compiled = torch.compile(ours, fullgraph=True)
            with torch.no_grad():
                compiled_out = compiled(xt, training=False)
            result.compiled = _max_diff(compiled_out, got)
            checks["compiled"] = _within(compiled_out, got, FORWARD["float32"])

        xv = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(xv)
            value = tf.reduce_sum(keras_model(xv, training=False) * cotangent)
        expected_grad = tape.gradient(value, xv).numpy()
        xg = xt.clone().requires_grad_()
        (ours(xg, training=False) * torch.from_numpy(cotangent)).sum().backward()
        result.gradient = _max_diff(xg.grad, expected_grad)
        checks["input gradient"] = _within(xg.grad, expected_grad, GRADIENT["float32"])

        # Last: training mode updates the BatchNormalization statistics (once, on both sides).
        expected_training = keras_model(x, training=True).numpy()
        with torch.no_grad():
            got_training = ours(xt, training=True)
        result.training = _max_diff(got_training, expected_training)
        checks["training"] = _within(got_training, expected_training, FORWARD["float32"])
        failed = [what for what, ok in checks.items() if not ok]
        result.ok = not failed
        result.error = f"outside tolerance: {', '.join(failed)}" if failed else None
    except Exception as err:  # noqa: BLE001 - the zoo reports every failure and goes on
        result.error = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"[:300]
        traceback.print_exc(file=sys.stderr)
    finally:
        keras.backend.clear_session()
    return result


def _timed(fn) -> float:
    fn()  # warm-up
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.2e}"


def table(results: list[ZooResult], timings: bool) -> str:
    head = ["model", "input", "params", "inference", "training", "input gradient", "to_keras", "compiled", "ok"]
    if timings:
        head += ["convert s", "ours s", "Keras s"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in results:
        row = [r.model, f"{r.size}x{r.size}", f"{r.params:,}", _fmt(r.inference), _fmt(r.training), _fmt(r.gradient),
               _fmt(r.round_trip), _fmt(r.compiled), "yes" if r.ok else f"**no**: {r.error}"]
        if timings:
            row += [f"{r.times.get(k, float('nan')):.2f}" for k in ("convert", "ours", "keras")]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


MARKDOWN_HEAD = """# keras.applications through `from_keras`

Generated by `make zoo` (`python -m equivalence_tests.zoo --markdown docs/applications.md`); do not edit.

Every constructor of `keras.applications` (Keras 3.15), `weights=None`, {classes} classes, logits, batch {batch},
random biases and BatchNormalization statistics, Dropout rates 0, inputs uniform in [0, 255). Columns:
largest absolute difference from Keras (TensorFlow backend, CPU) of the inference outputs, the training-mode
outputs (batch statistics), the gradient of a random linear function of the outputs with respect to the input,
the outputs of `to_keras(from_keras(model))`, and `torch.compile(fullgraph=True)` against eager (`-`: not
run); `ok`: all within the suite's float32 tolerances (`torchkeras_layers/_tolerances.py`, scaled by the
largest reference value). Timings are left out (they vary between runs; the command prints them).

"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", help="comma-separated application names (default: all)")
    parser.add_argument("--size", type=int, help="input height and width (default: the smallest each accepts)")
    parser.add_argument("--compile", action="store_true", help="also compare torch.compile(fullgraph=True)")
    parser.add_argument("--markdown", help="write the table (without timings) to this file")
    args = parser.parse_args(argv)
    names = args.models.split(",") if args.models else application_names()
    unknown = sorted(set(names) - set(application_names()))
    if unknown:
        parser.error(f"unknown applications {unknown}; known: {application_names()}")
    results = []
    for name in names:
        result = check_application(name, args.size, compile=args.compile)
        results.append(result)
        print(table([result], timings=True).splitlines()[-1], flush=True)
        if args.markdown:  # rewritten after every model, so that an interrupted run keeps what it measured
            with open(args.markdown, "w") as f:
                f.write(MARKDOWN_HEAD.format(classes=CLASSES, batch=BATCH) + table(results, timings=False) + "\n")
    print(table(results, timings=True))
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
