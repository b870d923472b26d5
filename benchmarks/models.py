"""Whole-model workloads: real architectures, built once in Keras, run by every contestant with the same weights.

Every contestant's process builds the Keras original (``keras.applications`` or a small Keras model)
and fills its weights from one seeded generator, in ``model.weights`` order, so the Keras TF, Keras
XLA and Keras torch processes all hold the same numbers; ours converts that model with
``tkl.from_keras`` and checks its inference output against the Keras model in the same process
(float32 tolerance of ``torchkeras_layers/_tolerances.py``; a mismatch fails the setup) before the
Keras original is dropped. The runner compares every contestant's inference output with ours again
(`check()` returns the inference output in both modes: dropout makes training outputs differ).

Contestants (``MODEL_CONTESTANTS``):

* ``ours``          -- the converted module, eager;
* ``ours_compiled`` -- the same under ``torch.compile`` (inductor); its first call (the compile) is
  reported as ``compile_s`` and excluded from the step time. Inference compiles with inductor's
  ``freezing`` (PyTorch's advice for CPU inference: weights become constants, BatchNormalization folds
  into the convolution before it, convolution weights are prepacked), the counterpart of TensorFlow's
  grappler, which fuses Conv2D + BatchNormalization + activation in Keras' inference graph;
* ``keras_tf``      -- the Keras model on TensorFlow inside ``tf.function``;
* ``keras_xla``     -- the same with ``jit_compile=True`` (XLA), first call reported as ``compile_s``;
* ``keras_torch``   -- the Keras model on its torch backend (its own process, ``KERAS_BACKEND=torch``);
* ``torchvision``   -- torchvision's own network (``channels_last``), where torchvision is installed
  and has one; its weights are its own (a different parametrisation), so it is timed, not checked.

Modes: ``forward`` is inference; ``train`` is a full step: forward in training mode, Keras' sparse
categorical cross-entropy on the softmax output (mean over the batch), backward, Keras-default Adam
(``torchkeras_layers.optimizers.keras_adam``; ``keras.optimizers.Adam()`` on the Keras side).

A workload whose layers torchkeras_layers does not have yet (``needs``) is skipped with a row that
says so; a Keras model that ``from_keras`` cannot convert yet is skipped with the converter's message.
Adding an architecture is one ``ModelWorkload(...)`` line in ``MODEL_WORKLOADS``.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .workloads import Bench, Context, _np

MODEL_CONTESTANTS = ("ours", "ours_compiled", "keras_tf", "keras_xla", "keras_torch", "torchvision")
MODEL_LABELS = {"ours": "ours (eager)", "ours_compiled": "ours (torch.compile)", "keras_tf": "Keras (TF, tf.function)",
                "keras_xla": "Keras (TF, XLA)", "keras_torch": "Keras (torch backend)",
                "torchvision": "torchvision (channels_last)"}
TF_CONTESTANTS = ("keras_tf", "keras_xla")
WEIGHTS_CACHE_ENV = "TKL_BENCH_WEIGHTS_DIR"  # set by the runner: one folder of model weights per run


@dataclass
class ModelWorkload:
    name: str
    title: str
    build: Callable  # keras module -> a built keras.Model (softmax output)
    input_shape: tuple  # one sample's shape
    batch: int
    classes: int
    tokens: int | None = None  # integer token inputs in [0, tokens) instead of images in [0, 1)
    needs: tuple = ()  # torchkeras_layers layer classes the model uses that may not exist yet
    torchvision: str | None = None  # torchvision.models constructor with the same architecture
    notes: dict = field(default_factory=dict)
    weight_shapes: tuple = ()  # the worker's generic setup: model weights come from the Keras model

    def make_inputs(self, rng: np.random.Generator) -> list:
        shape = (self.batch, *self.input_shape)
        if self.tokens:
            x = rng.integers(0, self.tokens, shape).astype(np.int64)
        else:
            x = rng.uniform(0.0, 1.0, shape).astype(np.float32)
        return [x, rng.integers(0, self.classes, (self.batch,)).astype(np.int64)]

    def builder(self, contestant: str):
        return lambda ctx, inputs, weights: BUILDERS[contestant](self, ctx, inputs)


def _application(constructor: str, **kwargs):
    def build(keras, input_shape, classes):
        return getattr(keras.applications, constructor)(weights=None, input_shape=input_shape, classes=classes,
                                                        **kwargs)

    build.__name__ = constructor
    return build


def _cifar_cnn(keras, input_shape, classes):
    from keras import layers

    return keras.Sequential([keras.Input(input_shape), layers.Conv2D(64, 5, activation="relu"),
                             layers.MaxPooling2D(2), layers.Flatten(), layers.Dense(96, activation="relu"),
                             layers.Dense(classes, activation="softmax")])


def _lstm_text(keras, input_shape, classes):
    from keras import layers

    return keras.Sequential([keras.Input(input_shape, dtype="int32"), layers.Embedding(TEXT_VOCAB, 64),
                             layers.LSTM(64), layers.Dense(classes, activation="softmax")])


def _transformer_encoder(keras, input_shape, classes):
    from keras import layers

    tokens = keras.Input(input_shape, dtype="int32")
    x = layers.Embedding(TEXT_VOCAB, 128)(tokens)
    attended = layers.MultiHeadAttention(num_heads=4, key_dim=32)(x, x)
    x = layers.LayerNormalization()(layers.Add()([x, attended]))
    ffn = layers.Dense(128)(layers.Dense(256, activation="relu")(x))
    x = layers.LayerNormalization()(layers.Add()([x, ffn]))
    x = layers.GlobalAveragePooling1D()(x)
    return keras.Model(tokens, layers.Dense(classes, activation="softmax")(x))


TEXT_VOCAB = 10000
MODEL_WORKLOADS = [
    ModelWorkload("cifar_cnn", "CIFAR CNN: Conv2D(64, 5, relu), MaxPooling2D(2), Flatten, Dense(96, relu), "
                  "Dense(10, softmax), 32x32x3, batch 32", _cifar_cnn, (32, 32, 3), 32, 10),
    ModelWorkload("resnet50", "ResNet50, 64x64x3, batch 8", _application("ResNet50"), (64, 64, 3), 8, 10,
                  torchvision="resnet50"),
    ModelWorkload("mobilenet_v2", "MobileNetV2, 64x64x3, batch 16", _application("MobileNetV2"), (64, 64, 3), 16, 10,
                  torchvision="mobilenet_v2"),
    ModelWorkload("efficientnet_b0", "EfficientNetB0, 64x64x3, batch 16", _application("EfficientNetB0"),
                  (64, 64, 3), 16, 10),
    ModelWorkload("densenet121", "DenseNet121, 64x64x3, batch 8", _application("DenseNet121"), (64, 64, 3), 8, 10),
    ModelWorkload("convnext_tiny", "ConvNeXtTiny, 64x64x3, batch 8", _application("ConvNeXtTiny"), (64, 64, 3), 8, 10),
    ModelWorkload("mobilenet_v3_small", "MobileNetV3Small, 64x64x3, batch 16", _application("MobileNetV3Small"),
                  (64, 64, 3), 16, 10),
    ModelWorkload("lstm_text", "LSTM text classifier: Embedding(10000, 64), LSTM(64), Dense(2, softmax), "
                  "100 tokens, batch 32", _lstm_text, (100,), 32, 2, tokens=TEXT_VOCAB, needs=("Embedding", "LSTM")),
    ModelWorkload("transformer_encoder", "Transformer encoder block: Embedding(10000, 128), MultiHeadAttention(4x32) "
                  "+ Add + LayerNormalization, Dense 256 relu/128 + Add + LayerNormalization, GlobalAveragePooling1D, "
                  "Dense(2, softmax), 64 tokens, batch 32", _transformer_encoder, (64,), 32, 2, tokens=TEXT_VOCAB,
                  needs=("Embedding", "MultiHeadAttention", "LayerNormalization", "GlobalAveragePooling1D")),
]


def by_name() -> dict:
    return {w.name: w for w in MODEL_WORKLOADS}


def missing_layers(workload: ModelWorkload) -> list:
    """The `needs` classes torchkeras_layers does not have (imports torch: call it in a worker or the runner)."""
    import torchkeras_layers.layers as layers

    return [name for name in workload.needs if not hasattr(layers, name)]


# ---------------------------------------------------------------------------- weights
def fill_model_weights(model, seed: int) -> None:
    """Seeded weights in `model.weights` order, the same on every backend: kernels uniform with variance
    1/fan_in (a depthwise kernel's fan-in is its window), BatchNormalization statistics near (0, 1) and
    scales near 1, so a deep network's activations neither vanish nor explode and its softmax is far
    from uniform. Variables other layers own (Normalization's mean/variance, ...) keep their values."""
    rng = np.random.default_rng([seed, 41])
    for variable in model.weights:
        shape = tuple(variable.shape)
        name = variable.name
        if name in ("kernel", "depthwise_kernel", "pointwise_kernel", "recurrent_kernel", "embeddings"):
            fan_in = math.prod(shape[:-2]) if name == "depthwise_kernel" else math.prod(shape[:-1])
            limit = math.sqrt(3.0 / max(fan_in, 1))
            value = rng.uniform(-limit, limit, shape)
        elif name in ("gamma", "moving_variance"):
            value = rng.uniform(0.8, 1.2, shape)
        elif name in ("beta", "bias", "moving_mean"):
            value = rng.uniform(-0.1, 0.1, shape)
        else:
            continue
        variable.assign(value.astype(np.float32))


def calibrate_batch_statistics(model, images) -> None:
    """Moving statistics = the statistics of `images` at every BatchNormalization (momentum 0 for one
    training-mode call): with random weights a deep network's inference output would otherwise not
    depend on its input (vanishing) or saturate its softmax (exploding), and a check would prove little."""
    import keras

    norms = [layer for layer in model._flatten_layers() if isinstance(layer, keras.layers.BatchNormalization)]
    if not norms:
        return
    momenta = [layer.momentum for layer in norms]
    for layer in norms:
        layer.momentum = 0.0
    model(images, training=True)
    for layer, momentum in zip(norms, momenta):
        layer.momentum = momentum


def _keras_model(workload: ModelWorkload, seed: int):
    """The Keras model with the workload's weights. The first process to build it (ours: the runner sets
    ours up first) saves the weights to WEIGHTS_CACHE_ENV's folder and the others load them, so the
    calibrated statistics are bit-identical in every process whatever backend computed them."""
    import keras

    model = workload.build(keras, workload.input_shape, workload.classes)
    cache = os.environ.get(WEIGHTS_CACHE_ENV)
    path = os.path.join(cache, f"{workload.name}-{seed}.npz") if cache else None
    if path and os.path.exists(path):
        with np.load(path) as saved:
            model.set_weights([saved[f"w{i}"] for i in range(len(saved.files))])
        return model
    fill_model_weights(model, seed)
    if not workload.tokens:
        calibration = workload.make_inputs(np.random.default_rng([seed, 5]))[0]
        calibrate_batch_statistics(model, calibration)
    if path:
        weights = model.get_weights()
        np.savez(path + ".tmp.npz", **{f"w{i}": w for i, w in enumerate(weights)})
        os.replace(path + ".tmp.npz", path)
    return model


def _first_call(step) -> float:
    start = time.perf_counter()
    step()
    return time.perf_counter() - start


# ---------------------------------------------------------------------------- torch-side contestants
def _torch_bench(ctx: Context, module, inputs, forward, loss_of, optimizer, info: dict, compiled: bool = False):
    """`forward(x)` -> probabilities (inference); `loss_of(x, y)` -> the mean loss in training mode. The
    check is the inference output before any step changes the weights; with `compiled`, the first call
    of the timed function (the compile) is reported as compile_s and is not a timed step."""
    import torch

    x = torch.from_numpy(inputs[0]).to(ctx.device)
    y = torch.from_numpy(inputs[1]).to(ctx.device)

    def infer(fn):
        module.eval()
        with torch.inference_mode():
            return fn(x)

    if ctx.mode == "forward":
        start = time.perf_counter()
        initial = [_np(infer(forward))]
        if compiled:
            info["compile_s"] = time.perf_counter() - start
        return Bench(lambda: infer(forward), lambda: initial, info)

    initial = [_np(infer(module))]
    module.train()

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = loss_of(x, y)
        loss.backward()
        optimizer.step()
        return loss

    if compiled:
        info["compile_s"] = _first_call(step)
    return Bench(step, lambda: initial, info)


def _ours(workload: ModelWorkload, ctx: Context, inputs: list, compiled: bool = False) -> Bench:
    import torch

    import torchkeras_layers as tkl
    from equivalence_tests.zoo import as_accurate, max_diff
    from torchkeras_layers._tolerances import FORWARD, compare_arrays
    from torchkeras_layers.losses import sparse_categorical_crossentropy

    missing = missing_layers(workload)
    if missing:
        raise NotImplementedError(f"needs {', '.join(missing)}")
    original = _keras_model(workload, ctx.seed)
    model = tkl.from_keras(original).to(ctx.device)
    # Same weights, same computation: our inference output against the Keras model's, in full.
    reference = np.asarray(_np(original(inputs[0], training=False)))
    weights = original.get_weights()
    del original
    model.eval()
    with torch.no_grad():
        got = _np(model(torch.from_numpy(inputs[0]).to(ctx.device)))
    largest, ratio = compare_arrays(got, reference, **FORWARD["float32"])
    info = {"check_vs_keras_max_abs": float(largest), "check_vs_keras_tolerance_ratio": float(ratio)}
    # Keras' float64 model: the runner checks the other contestants against it (through ours eager's setup),
    # and ours falls back to it where float32 rounding is amplified past the tolerance.
    float64 = _keras_float64_output(workload, weights, inputs[0]) if not compiled or not ratio <= 1.0 else None
    if float64 is not None:
        info["check_vs_keras_float64_max_abs"] = {"ours": max_diff(got, float64), "keras": max_diff(reference, float64)}
    if not ratio <= 1.0 and not as_accurate(got, reference, float64, FORWARD["float32"]):
        raise AssertionError(f"{workload.name}: from_keras output differs from Keras' by {largest:.3g} "
                             f"({ratio:.3g}x the float32 tolerance {FORWARD['float32']}), and is less accurate "
                             f"than Keras' own against Keras' float64 model")
    optimizer = tkl.optimizers.keras_adam(model.parameters())

    def loss_of(x, y):
        return sparse_categorical_crossentropy(model(x), y).mean()

    forward = model
    if compiled:
        if ctx.mode == "forward":
            import torch._inductor.config as inductor_config

            inductor_config.freezing = True  # applies under no_grad/inference_mode only
            info["inductor_freezing"] = True
        forward = torch.compile(model)
        if ctx.mode == "train":
            from torchkeras_layers.ops.inductor_cpu import TRAINING_COMPILE_OPTIONS

            loss_of = torch.compile(loss_of, options=TRAINING_COMPILE_OPTIONS)
            info["inductor_options"] = TRAINING_COMPILE_OPTIONS
        else:
            loss_of = torch.compile(loss_of)
    bench = _torch_bench(ctx, model, inputs, forward, loss_of, optimizer, info, compiled)
    if float64 is not None:
        bench.reference, bench.reference_keras_error = [float64], info["check_vs_keras_float64_max_abs"]["keras"]
    return bench


def _keras_float64_output(workload: ModelWorkload, weights: list, x) -> np.ndarray:
    """The inference output of the same model built by Keras in float64: the yardstick of the zoo's
    criterion (`equivalence_tests/zoo.py`) for deep random networks whose float32 rounding every
    framework amplifies past the float32 tolerance."""
    import keras

    from equivalence_tests.zoo import build_float64_twin, keras_floatx, to_numpy

    with keras_floatx("float64"):
        twin = build_float64_twin(lambda: workload.build(keras, workload.input_shape, workload.classes),
                                  weights)
        return to_numpy(twin(x.astype(np.float64), training=False))


def _ours_compiled(workload, ctx, inputs) -> Bench:
    return _ours(workload, ctx, inputs, compiled=True)


def _keras_torch(workload: ModelWorkload, ctx: Context, inputs: list) -> Bench:
    import keras
    import torch

    model = _keras_model(workload, ctx.seed)
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    optimizer = keras.optimizers.Adam()
    variables = model.trainable_variables
    optimizer.build(variables)
    x = torch.from_numpy(inputs[0]).to(ctx.device)
    y = torch.from_numpy(inputs[1]).to(ctx.device)

    def infer():
        with torch.inference_mode():
            return model(x, training=False)

    if ctx.mode == "forward":
        return Bench(infer, lambda: [_np(infer())])

    def step():  # Keras' torch trainer's train_step, without the metrics
        probs = model(x, training=True)
        model.zero_grad()
        loss = loss_fn(y, probs)
        loss.backward()
        with torch.no_grad():
            optimizer.apply([v.value.grad for v in variables], variables)
        return loss

    return Bench(step, lambda: [_np(infer())])


def _torchvision(workload: ModelWorkload, ctx: Context, inputs: list) -> Bench:
    import torch

    if workload.torchvision is None:
        raise NotImplementedError("torchvision has no counterpart of this model")
    import torchvision

    model = getattr(torchvision.models, workload.torchvision)(num_classes=workload.classes)
    model = model.to(ctx.device, memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    nchw = [np.ascontiguousarray(inputs[0].transpose(0, 3, 1, 2)), inputs[1]]

    def forward(x):
        return torch.softmax(model(x.contiguous(memory_format=torch.channels_last)), dim=-1)

    def loss_of(x, y):  # logits + the fused log-softmax loss: torch's idiom
        return torch.nn.functional.cross_entropy(model(x.contiguous(memory_format=torch.channels_last)), y)

    bench = _torch_bench(ctx, model, nchw, forward, loss_of, optimizer, {"unchecked": "torchvision's own weights"})
    return Bench(bench.step, lambda: [], bench.info)


# ---------------------------------------------------------------------------- Keras on TensorFlow
def _keras_tf(workload: ModelWorkload, ctx: Context, inputs: list, jit_compile: bool = False) -> Bench:
    import keras
    import tensorflow as tf

    model = _keras_model(workload, ctx.seed)
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    optimizer = keras.optimizers.Adam()
    variables = model.trainable_variables
    optimizer.build(variables)
    x, y = tf.constant(inputs[0]), tf.constant(inputs[1])
    infer = tf.function(lambda t: model(t, training=False), jit_compile=jit_compile)

    @tf.function(jit_compile=jit_compile)
    def train(t, labels):  # what `fit`'s train step does
        with tf.GradientTape() as tape:
            loss = loss_fn(labels, model(t, training=True))
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    # The first call traces (and, with XLA, compiles); it is reported as compile_s, not timed as a step.
    info = {}
    start = time.perf_counter()
    check = [np.asarray(infer(x))]  # before any training step changes the weights
    if ctx.mode == "forward":
        info["compile_s"] = time.perf_counter() - start
        step = lambda: infer(x)  # noqa: E731
    else:
        step = lambda: train(x, y)  # noqa: E731
        info["compile_s"] = _first_call(lambda: train(x, y).numpy())
    return Bench(step, lambda: check, info)


def _keras_xla(workload, ctx, inputs) -> Bench:
    return _keras_tf(workload, ctx, inputs, jit_compile=True)


BUILDERS = {"ours": _ours, "ours_compiled": _ours_compiled, "keras_tf": _keras_tf, "keras_xla": _keras_xla,
            "keras_torch": _keras_torch, "torchvision": _torchvision}
