"""The keras.applications zoo through `from_keras`: every constructor of Keras 3.15 (`weights=None`), converted
and compared with Keras.

    python -m equivalence_tests.zoo [--models ResNet50,EfficientNetB0] [--size 32] [--compile] [--layerwise]
                                    [--markdown FILE]

Per model: the Keras model with random biases and BatchNormalization statistics (so that every weight
matters), logits (`classifier_activation=None`), Dropout rates set to 0 (so that training mode is
deterministic on both sides), and the same model (same weights) built by Keras in float64; `from_keras` of
each. Compared: the inference outputs, the training-mode outputs (BatchNormalization on batch statistics), the
gradient of a random linear function of the outputs with respect to the input, the inference outputs of
`to_keras(ours)` and, with `--compile`, of `torch.compile(fullgraph=True)`.

Why two precisions: a deep network with random BatchNormalization statistics amplifies rounding errors, so
two correct float32 programs (Keras' and ours, which differ in kernels and summation order) can be far apart
(EfficientNetB0: 0.19 between Keras float32 and Keras float64 at the logits). Keras' float64 model is the
reference, and a model is `ok` when
- float32: ours is as accurate as Keras: elementwise ``|ours32 - ref| <= 2 * max|keras32 - ref| + tol32``
  (`tol32` the suite's float32 tolerance, `tolerances.FORWARD` / `GRADIENT`) end to end or, where a deep
  network amplified rounding or crossed a kink beyond that, at every layer call fed the same inputs
  (`equivalence_tests/layerwise.py`; `--layerwise` runs that check for every model and mode), and
- float64: ours(float64) equals Keras(float64) within the suite's float64 tolerance, which a float32
  rounding anywhere in our float64 path would break;
- `to_keras(ours)` equals Keras within the float32 tolerance; the compiled model is as accurate as Keras'.
Keras' float64 models get their `Rescaling` / `Normalization(mean=, variance=)` constants as float64 arrays:
the TF backend rounds Python-float constants to float32 first (docs/deviations.md), which alone moves
EfficientNetB0's float64 logits by 0.42.
The markdown file holds the table without timings (timings vary from run to run and are printed only); rows of
models not run this time are kept from the file.
"""

from __future__ import annotations

import argparse
import contextlib
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
CHECKS = ("inference", "training", "gradient")  # what is compared, float32 and float64
KERAS_ERROR_FACTOR = 2  # ours(float32) may be off the float64 reference by twice Keras' own float32 error
# Images whose statistics become the BatchNormalization moving statistics. A small batch underestimates
# the variance where the feature maps are 1x1 (EfficientNet's last stages at 32x32: one value per image),
# and the error compounds over the blocks: calibrated on 8 images EfficientNetB7's logits reach 9e8, on
# 256 they are of order 1, as a trained network's are.
CALIBRATION_BATCH = 256


@dataclass
class Comparison:
    """Largest absolute differences from Keras' float64 model: ours and Keras' in float32; ours in float64."""

    ours32: float | None = None
    keras32: float | None = None
    float64: float | None = None


@dataclass
class ZooResult:
    model: str
    size: int
    params: int = 0
    inference: Comparison = field(default_factory=Comparison)
    training: Comparison = field(default_factory=Comparison)
    gradient: Comparison = field(default_factory=Comparison)
    round_trip: float | None = None
    compiled: float | None = None
    magnitudes: tuple = (None, None)  # largest |logit| and |input gradient| of the reference (scale the errors)
    missed: list = field(default_factory=list)  # float32 checks outside the criterion end to end
    layerwise: dict = field(default_factory=dict)  # those (or every mode) layer by layer: {mode: [CallAccuracy]}
    ok: bool = False
    error: str | None = None
    times: dict = field(default_factory=dict)


def application_names() -> list[str]:
    import keras

    return sorted(n for n in dir(keras.applications) if n[0].isupper() and callable(getattr(keras.applications, n)))


def randomize(keras_model, rng: np.random.Generator, size: int) -> None:
    """Random biases, BatchNormalization scales, offsets and statistics (the constructors' are zeros and
    ones); Dropout off. The statistics are those of a calibration batch (`CALIBRATION_BATCH` images),
    perturbed: with the constructors' (or purely random) statistics the signal of a randomly initialised
    deep network dies out (outputs that do not depend on the input, gradients of 1e-13) or explodes, which
    would make the comparison say nothing."""
    import keras

    layers = list(keras_model._flatten_layers(include_self=False, recursive=True))
    norms = [layer for layer in layers if isinstance(layer, keras.layers.BatchNormalization)]
    _dropout_off(keras_model)
    for layer in layers:
        for variable in layer.weights:
            leaf = variable.path.rsplit("/", 1)[-1]
            if leaf in ("bias", "beta"):
                variable.assign(rng.normal(0.0, 0.1, tuple(variable.shape)).astype(variable.dtype))
            elif leaf == "gamma":
                variable.assign(rng.uniform(0.5, 1.5, tuple(variable.shape)).astype(variable.dtype))
    momenta = [layer.momentum for layer in norms]
    for layer in norms:
        layer.momentum = 0.0  # one training-mode call sets the moving statistics to the batch's
    keras_model(rng.uniform(0.0, 255.0, (CALIBRATION_BATCH, size, size, 3)).astype("float32"), training=True)
    for layer, momentum in zip(norms, momenta):
        layer.momentum = momentum
        mean, variance = layer.moving_mean, layer.moving_variance
        shift = rng.normal(0.0, 0.05, tuple(mean.shape)) * np.sqrt(variance.numpy())
        mean.assign((mean.numpy() + shift).astype(mean.dtype))
        variance.assign(variance.numpy() * rng.uniform(0.8, 1.25, tuple(variance.shape)).astype(variance.dtype))


def _dropout_off(keras_model) -> None:
    import keras

    for layer in keras_model._flatten_layers(include_self=False, recursive=True):
        if isinstance(layer, keras.layers.Dropout):
            layer.rate = 0.0


def build_application(name: str, size: int | None = None, seed: int = 0):
    """The Keras application `name` (weights=None, logits, `CLASSES` classes) at `size`x`size`, randomized."""
    import keras

    size = size or MIN_SIZE.get(name, 32)
    keras.utils.set_random_seed(seed)
    model = _construct(name, size)
    randomize(model, np.random.default_rng(seed), size)
    return model


def _construct(name: str, size: int):
    import keras

    return getattr(keras.applications, name)(weights=None, input_shape=(size, size, 3), classes=CLASSES,
                                             classifier_activation=None)


@contextlib.contextmanager
def keras_floatx(dtype: str):
    """Keras' floatx and global dtype policy `dtype` (the policy too: once read, Keras keeps the policy it made
    from the floatx of that time)."""
    import keras

    previous, previous_policy = keras.config.floatx(), keras.config.dtype_policy()
    keras.config.set_floatx(dtype)
    keras.config.set_dtype_policy(dtype)
    try:
        yield
    finally:
        keras.config.set_floatx(previous)
        keras.config.set_dtype_policy(previous_policy)


def build_float64_twin(construct, weights: list):
    """The Keras model `construct()` builds, built in float64 (call it under `keras_floatx("float64")`), with
    `weights` (another build's `get_weights()`), Dropout off as `randomize` turns it off, and its
    Python-float constants as float64 arrays (see the module doc)."""
    import keras

    model = construct()
    not_float64 = [layer.name for layer in model._flatten_layers(include_self=False, recursive=True)
                   if layer.weights and layer.compute_dtype != "float64"]
    if not_float64:
        raise RuntimeError(f"{model.name} built for float64 has layers computing in another dtype: "
                           f"{not_float64[:5]}")
    model.set_weights([w.astype(np.float64) if np.issubdtype(w.dtype, np.floating) else w for w in weights])
    _dropout_off(model)
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if isinstance(layer, keras.layers.Rescaling):
            layer.scale = np.asarray(layer.scale, np.float64)
            layer.offset = np.asarray(layer.offset, np.float64)
        elif isinstance(layer, keras.layers.Normalization):
            if layer.input_mean is None:
                layer.finalize_state()  # the statistics its call reads, from the weights just set
            else:
                pairs = ((layer.input_mean, layer.mean), (layer.input_variance, layer.variance))
                layer.mean, layer.variance = (keras.ops.convert_to_tensor(_broadcast_like(value, like))
                                              for value, like in pairs)
    return model


def _broadcast_like(value, like) -> np.ndarray:
    """`value` (a Normalization's given statistic) in float64, laid out as Keras laid out `like` from it."""
    value, shape = np.asarray(value, np.float64), tuple(like.shape)
    return value.reshape(shape) if value.size == np.prod(shape) else np.broadcast_to(value, shape)


def to_numpy(value) -> np.ndarray:
    return value.detach().cpu().numpy() if hasattr(value, "detach") else np.asarray(value)


def max_diff(ours, reference) -> float:
    return float(np.max(np.abs(to_numpy(ours).astype(np.float64) - np.asarray(reference, dtype=np.float64))))


def _within(ours, reference, tol: dict) -> bool:
    from .tolerances import compare_arrays

    return compare_arrays(to_numpy(ours), np.asarray(reference), **tol)[1] <= 1.0


def as_accurate(ours, keras32, reference, tol: dict) -> bool:
    """Ours (float32) is as accurate as Keras (float32) against the float64 `reference` (`accuracy_ratio`)."""
    return accuracy_ratio(ours, reference, max_diff(keras32, reference), tol) <= 1.0


def accuracy_ratio(ours, reference, keras_error: float, tol: dict) -> float:
    """The largest ``|ours - ref| / (KERAS_ERROR_FACTOR * keras_error + atol * scale + rtol * |ref|)``, with
    `keras_error` Keras' largest float32 error against the float64 `reference` and `tol` the suite's float32
    tolerance, scaled as `compare_arrays` scales it: at most 1 is as accurate as Keras."""
    from .tolerances import compare_arrays

    reference = np.asarray(reference, np.float64)
    scale = max(1.0, float(np.abs(reference).max()))
    atol = tol["atol"] + KERAS_ERROR_FACTOR * keras_error / scale
    return compare_arrays(to_numpy(ours), reference, rtol=tol["rtol"], atol=atol)[1]


def _input_gradient(keras_model, x, cotangent):
    import tensorflow as tf

    xv = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xv)
        value = tf.reduce_sum(keras_model(xv, training=False) * cotangent)
    return tape.gradient(value, xv).numpy()


def _our_input_gradient(module, x, cotangent):
    import torch

    xg = torch.from_numpy(x).requires_grad_()
    (module(xg, training=False) * torch.from_numpy(cotangent)).sum().backward()
    return xg.grad.numpy()


def _run_keras(keras_model, x, cotangent) -> dict:
    """Inference, input gradient, then training mode (last: it updates the BatchNormalization statistics)."""
    return {"inference": keras_model(x, training=False).numpy(),
            "gradient": _input_gradient(keras_model, x, cotangent),
            "training": keras_model(x, training=True).numpy()}


def _run_ours(module, x, cotangent) -> dict:
    import torch

    xt = torch.from_numpy(x)
    with torch.no_grad():
        inference = module(xt, training=False).numpy()
    gradient = _our_input_gradient(module, x, cotangent)
    with torch.no_grad():
        training = module(xt, training=True).numpy()
    return {"inference": inference, "gradient": gradient, "training": training}


def check_application(name: str, size: int | None = None, compile: bool = False, seed: int = 0,
                      layerwise: bool = False) -> ZooResult:
    """Application `name` against Keras (the module doc). Float32 checks it misses end to end are checked
    layer by layer (`layerwise_checks`); `layerwise=True` checks every mode layer by layer, for the record."""
    import keras
    import torch

    import torchkeras_layers as tkl

    from .tolerances import FORWARD, GRADIENT

    size = size or MIN_SIZE.get(name, 32)
    result = ZooResult(name, size)
    try:
        rng = np.random.default_rng(seed + 1)
        x = rng.uniform(0.0, 255.0, (BATCH, size, size, 3)).astype("float32")  # the applications' pixel range
        cotangent = rng.standard_normal((BATCH, CLASSES)).astype("float32")
        x64, cotangent64 = x.astype(np.float64), cotangent.astype(np.float64)
        checks = {}

        # float32: Keras, ours, to_keras(ours), compiled
        keras_model = build_application(name, size, seed)
        result.params = keras_model.count_params()
        weights = keras_model.get_weights()  # before training mode moves the statistics
        start = time.perf_counter()
        ours = tkl.from_keras(keras_model)
        result.times["convert"] = time.perf_counter() - start
        ours.eval()
        xt = torch.from_numpy(x)
        result.times["keras"] = _timed(lambda: keras_model(x, training=False))
        with torch.no_grad():
            result.times["ours"] = _timed(lambda: ours(xt, training=False))
        back = tkl.to_keras(ours)
        round_trip = back(x, training=False).numpy()
        del back
        compiled_out = None
        if compile:
            # torch caches compiled code per code object, at most `recompile_limit` (8) variants: the ninth
            # different model compiled in one process fails under fullgraph=True, for nn.Sequential as for
            # ours. The zoo's models are unrelated programs: each starts from an empty cache.
            torch._dynamo.reset()
            with torch.no_grad():
                compiled_out = torch.compile(ours, fullgraph=True)(xt, training=False).numpy()
        keras32 = _run_keras(keras_model, x, cotangent)
        ours32 = _run_ours(ours, x, cotangent)
        keras_model = ours = None  # freed before the float64 twins are built
        keras.backend.clear_session()

        # float64: the same weights
        with keras_floatx("float64"):
            keras_model = build_float64_twin(lambda: _construct(name, size), weights)
            ours = tkl.from_keras(keras_model)
            ours.eval()
            reference = _run_keras(keras_model, x64, cotangent64)
            ours64 = _run_ours(ours, x64, cotangent64)

        for what, table in (("inference", FORWARD), ("training", FORWARD), ("gradient", GRADIENT)):
            setattr(result, what, Comparison(ours32=max_diff(ours32[what], reference[what]),
                                             keras32=max_diff(keras32[what], reference[what]),
                                             float64=max_diff(ours64[what], reference[what])))
            checks[f"{what} float32"] = as_accurate(ours32[what], keras32[what], reference[what], table["float32"])
            checks[f"{what} float64"] = _within(ours64[what], reference[what], table["float64"])
        result.magnitudes = tuple(float(np.abs(reference[what]).max()) for what in ("inference", "gradient"))
        result.round_trip = max_diff(round_trip, keras32["inference"])
        checks["to_keras"] = _within(round_trip, keras32["inference"], FORWARD["float32"])
        if compiled_out is not None:
            result.compiled = max_diff(compiled_out, reference["inference"])
            checks["compiled"] = as_accurate(compiled_out, keras32["inference"], reference["inference"],
                                              FORWARD["float32"])
        result.missed = [what for what in CHECKS if not checks[f"{what} float32"]]
        if result.missed or layerwise:
            keras_model = ours = None
            keras.backend.clear_session()
            modes = CHECKS if layerwise else result.missed
            result.layerwise = layerwise_checks(name, size, weights, x64, cotangent64, modes)
            for what in result.missed:
                checks[f"{what} float32"] = all(call.ok for call in result.layerwise[what])
        failed = [what for what, ok in checks.items() if not ok]
        result.ok = not failed
        result.error = f"outside tolerance: {', '.join(failed)}" if failed else None
    except Exception as err:  # noqa: BLE001 - the zoo reports every failure and goes on
        result.error = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"[:300]
        traceback.print_exc(file=sys.stderr)
    finally:
        keras.backend.clear_session()
    return result


def layerwise_checks(name: str, size: int, weights: list, x64, cotangent64, modes: list) -> dict:
    """{mode: [layerwise.CallAccuracy]}: every layer call of application `name` (with `weights`) checked alone,
    ours against Keras in float32 (`equivalence_tests/layerwise.py`), for each of `modes` ("training" last:
    it moves the BatchNormalization statistics)."""
    import torchkeras_layers as tkl

    from .layerwise import layerwise

    keras32 = _construct(name, size)
    keras32.set_weights(weights)
    _dropout_off(keras32)
    ours = tkl.from_keras(keras32)
    with keras_floatx("float64"):
        keras64 = build_float64_twin(lambda: _construct(name, size), weights)
    return {mode: layerwise(keras32, ours, keras64, x64, mode, cotangent64)
            for mode in sorted(modes, key=lambda m: m == "training")}


def _timed(fn) -> float:
    fn()  # warm-up
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.2e}"


def _fmt_float32(comparison: Comparison) -> str:
    return f"{_fmt(comparison.ours32)} / {_fmt(comparison.keras32)}"


HEAD = ["model", "input", "params", "largest logit / gradient", "inference f32 (ours / Keras)", "inference f64",
        "training f32 (ours / Keras)", "training f64", "input gradient f32 (ours / Keras)", "input gradient f64",
        "to_keras", "compiled", "ok"]


def table_rows(results: list[ZooResult], timings: bool) -> list[str]:
    lines = []
    for r in results:
        row = [r.model, f"{r.size}x{r.size}", f"{r.params:,}", " / ".join(_fmt(m) for m in r.magnitudes)]
        for comparison in (r.inference, r.training, r.gradient):
            row += [_fmt_float32(comparison), _fmt(comparison.float64)]
        row += [_fmt(r.round_trip), _fmt(r.compiled), _ok_cell(r)]
        if timings:
            row += [f"{r.times.get(k, float('nan')):.2f}" for k in ("convert", "ours", "keras")]
        lines.append("| " + " | ".join(row) + " |")
    return lines


def _ok_cell(r: ZooResult) -> str:
    if not r.ok:
        return f"**no**: {r.error}"
    return "yes" + "".join(f"; {what} float32 layer by layer" for what in r.missed)


LAYERWISE_HEAD = ["model", "float32 check", "tensors compared", "worst call", "its error (ours / Keras)", "ratio",
                  "tensors outside"]


def layerwise_rows(results: list[ZooResult]) -> list[str]:
    lines = []
    for r in results:
        for what in sorted(r.layerwise, key=CHECKS.index):
            calls = r.layerwise[what]
            worst = max(calls, key=lambda call: call.ratio)
            lines.append("| " + " | ".join([
                r.model, what, str(len(calls)), f"{worst.key} ({worst.class_name})",
                f"{_fmt(worst.ours32)} / {_fmt(worst.keras32)}", f"{worst.ratio:.2f}",
                str(sum(not call.ok for call in calls))]) + " |")
    return lines


def table(results: list[ZooResult], timings: bool) -> str:
    head = HEAD + (["convert s", "ours s", "Keras s"] if timings else [])
    return "\n".join(["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] + table_rows(results, timings))


MARKDOWN_HEAD = """# keras.applications through `from_keras`

Generated by `make zoo` (`python -m equivalence_tests.zoo --markdown docs/applications.md`); do not edit.

Every constructor of `keras.applications` (Keras 3.15), `weights=None`, {classes} classes, logits, batch
{batch}, random biases and BatchNormalization scales and offsets, moving statistics those of {calibration}
calibration images, perturbed (a trained network's are its data's), Dropout rates 0, inputs uniform in [0, 255); each
model is also built by Keras in float64 with the same weights, the reference (its `Rescaling`/`Normalization`
constants in float64: Keras' TF backend rounds them to float32, docs/deviations.md). Columns: the reference's
largest absolute logit and input-gradient element (random networks' outputs are large; the tolerances scale
with them), then the largest absolute difference from that reference (TensorFlow backend, CPU) of the
inference outputs, the training-mode outputs (batch statistics) and the gradient of a random linear function
of the outputs with respect to the input: "f32" ours in float32 / Keras in float32, "f64" ours in float64;
then `to_keras(from_keras(model))` against Keras (float32) and `torch.compile(fullgraph=True)` against the
reference (`-`: not run). `ok`: in float32 ours is as accurate as Keras (elementwise error at most {factor}x
Keras' largest error plus the suite's float32 tolerance) end to end or, where not, at every layer call (the
second table), in float64 ours equals Keras within the suite's float64 tolerance, and `to_keras` within the
float32 one (`torchkeras_layers/_tolerances.py`, scaled by the largest reference value). Deep random networks
amplify rounding: Keras' own float32 error is the measure of what float32 can give. Timings are left out (they
vary between runs; the command prints them).

The float64 columns are the semantic check: a float32 rounding or a different formula anywhere in our float64
path shows there.

"""

LAYERWISE_TEXT = """
## Float32 misses end to end, checked layer by layer

End to end, one float32 sample cannot tell a less accurate program from a network that amplified where the
roundings fell: training mode normalises each BatchNormalization over the batch's images (at 1x1 feature maps
over 4 values), and an input gradient jumps where float32 rounding moved a ReLU's sign or a max pooling's
argmax (a kink), in one program and not the other. So where ours misses the end-to-end criterion (the `ok`
column names those checks; with `--layerwise`, for every check of a model), every layer call of the graph is
checked alone (`equivalence_tests/layerwise.py`): fed the float64 reference's own input
tensors at that point, rounded to float32 (all three programs read the same numbers, so they take the same
branches), ours in float32 must be as accurate as Keras in float32 against Keras' float64 model, with the same
criterion ({factor}x Keras' error plus the suite's float32 tolerance), on each tensor in units of its largest
element. "gradient" checks each call's vector-Jacobian product, the cotangent being the reference's gradient at
its outputs. Together with the float64 columns (the same function), that is what "as accurate as Keras" can
mean here. What was measured about these models end to end: [docs/notes/applications.md](notes/applications.md).

"""


def _kept_rows(path: str, replaced: set[str], head: list[str]) -> dict[str, list[str]]:
    """Rows of `path`'s table with columns `head` for models not in `replaced`, by model name."""
    if not os.path.exists(path):
        return {}
    rows = {}
    with open(path) as f:
        for line in f:
            cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
            if line.startswith("| ") and len(cells) == len(head) and cells[0] not in (head[0], *replaced):
                rows.setdefault(cells[0], []).append(line.rstrip("\n"))
    return rows


def _markdown_table(head: list[str], rows: dict[str, list[str]], names: list[str]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return "\n".join(lines + [line for n in names for line in rows.get(n, [])]) + "\n"


def write_markdown(path: str, results: list[ZooResult]) -> None:
    """The tables in application order: this run's rows, the file's other rows, and which models have none."""
    replaced = {r.model for r in results}
    rows = _kept_rows(path, replaced, HEAD)
    rows.update((r.model, [line]) for r, line in zip(results, table_rows(results, timings=False)))
    layerwise = _kept_rows(path, replaced, LAYERWISE_HEAD)
    for r in results:
        if r.layerwise:
            layerwise[r.model] = layerwise_rows([r])
    names = application_names()
    missing = [n for n in names if n not in rows]
    text = MARKDOWN_HEAD.format(classes=CLASSES, batch=BATCH, factor=KERAS_ERROR_FACTOR, calibration=CALIBRATION_BATCH)
    text += _markdown_table(HEAD, rows, names)
    text += f"\n{len(rows)} of {len(names)} applications run" + (
        f"; not run: {', '.join(missing)}.\n" if missing else ".\n")
    text += LAYERWISE_TEXT.format(factor=KERAS_ERROR_FACTOR) + _markdown_table(LAYERWISE_HEAD, layerwise, names)
    with open(path + ".tmp", "w") as f:  # replaced whole: an interrupted run leaves the previous table
        f.write(text)
    os.replace(path + ".tmp", path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", help="comma-separated application names (default: all)")
    parser.add_argument("--size", type=int, help="input height and width (default: the smallest each accepts)")
    parser.add_argument("--compile", action="store_true", help="also compare torch.compile(fullgraph=True)")
    parser.add_argument("--layerwise", action="store_true",
                        help="check every layer call in every mode, also where the end-to-end check passes")
    parser.add_argument("--markdown", help="write the table (without timings) to this file, keeping its rows of "
                                           "models not run")
    args = parser.parse_args(argv)
    names = args.models.split(",") if args.models else application_names()
    unknown = sorted(set(names) - set(application_names()))
    if unknown:
        parser.error(f"unknown applications {unknown}; known: {application_names()}")
    results = []
    for name in names:
        result = check_application(name, args.size, compile=args.compile, layerwise=args.layerwise)
        results.append(result)
        print(table([result], timings=True).splitlines()[-1], flush=True)
        if args.markdown:  # rewritten after every model, so that an interrupted run keeps what it measured
            write_markdown(args.markdown, results)
    print(table(results, timings=True))
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
