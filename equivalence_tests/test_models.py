"""Whole models across frameworks: from_keras / to_keras (objects and files), the two acceptance models,
Keras-default optimizers, and training-trajectory parity.

Acceptance models: the Keras Tuner example's CIFAR CNN with BatchNormalization after the conv, and a small
transformer block (MultiHeadAttention + Dense + BatchNormalization, residual Adds). Both convert in
both directions and agree on random inputs to the suite's float32 tolerances (forward, gradients).
"""

import copy

import keras
import numpy as np
import pytest
import tensorflow as tf
import torch

import torchkeras_layers as tkl
from torchkeras_layers import optimizers as tkl_optimizers
from torchkeras_layers.losses import sparse_categorical_crossentropy
from torchkeras_layers.testing import assert_equivalent

from .harness import as_numpy
from .tolerances import (
    FORWARD,
    GRADIENT,
    STATE,
    TRAJECTORY_LOSS_ATOL_PER_STEP,
    TRAJECTORY_WEIGHT_ATOL_PER_STEP,
    assert_close,
)

L = keras.layers
F32 = dict(rtol=FORWARD["float32"]["rtol"], atol=FORWARD["float32"]["atol"],
           grad_rtol=GRADIENT["float32"]["rtol"], grad_atol=GRADIENT["float32"]["atol"])


# ---------------------------------------------------------------------------- acceptance models (Keras side)
def cifar_cnn(image=8, filters=16, units=32, name="cifar_cnn"):
    """The Keras Tuner example's CIFAR-10 CNN (small images keep the suite fast), BatchNormalization after the conv."""
    keras.utils.set_random_seed(0)
    return keras.Sequential([
        keras.Input((image, image, 3)),
        L.Conv2D(filters, 3, activation="relu", name="conv2d"),
        L.BatchNormalization(name="batch_normalization"),
        L.MaxPooling2D(2, name="max_pooling2d"),
        L.Flatten(name="flatten"),
        L.Dense(units, activation="relu", name="dense"),
        L.Dense(10, activation="softmax", name="dense_1"),
    ], name=name)


def transformer_block(length=6, dim=8, heads=2, ff=16):
    keras.utils.set_random_seed(1)
    tokens = keras.Input((length, dim), name="tokens")
    attended = L.MultiHeadAttention(num_heads=heads, key_dim=dim // heads, name="mha")(tokens, tokens)
    h = L.BatchNormalization(name="bn1")(L.Add(name="res1")([tokens, attended]))
    f = L.Dense(ff, activation="relu", name="ff1")(h)
    f = L.Dense(dim, name="ff2")(f)
    out = L.BatchNormalization(name="bn2")(L.Add(name="res2")([h, f]))
    return keras.Model(tokens, out, name="transformer_block")


def _randomize_bn_statistics(model):
    """Non-trivial moving statistics, so inference mode really uses them."""
    rng = np.random.default_rng(7)
    for layer in model.layers:
        if isinstance(layer, L.BatchNormalization):
            mean, var = layer.moving_mean, layer.moving_variance
            mean.assign(rng.standard_normal(mean.shape).astype("float32") * 0.1)
            var.assign(rng.uniform(0.5, 1.5, var.shape).astype("float32"))


ACCEPTANCE = {
    "cifar_cnn": (cifar_cnn, (4, 8, 8, 3)),
    "transformer_block": (transformer_block, (3, 6, 8)),
}


def _inputs(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


def _assert_same_weights(ours, keras_model):
    ours_w, keras_w = ours.get_weights(), keras_model.get_weights()
    assert len(ours_w) == len(keras_w)
    for a, b in zip(ours_w, keras_w):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", sorted(ACCEPTANCE))
def test_acceptance_keras_to_torch(name):
    make, shape = ACCEPTANCE[name]
    keras_model = make()
    _randomize_bn_statistics(keras_model)
    module = tkl.from_keras(keras_model)
    assert type(module) is (tkl.Sequential if isinstance(keras_model, keras.Sequential) else tkl.Model)
    _assert_same_weights(module, keras_model)  # whole-model Keras weight order
    x = _inputs(shape)
    report = assert_equivalent(keras_model, module, x, gradients=True, **F32)
    assert len(report.nodes) == len([layer for layer in keras_model.layers if not isinstance(layer, L.InputLayer)])
    # training mode: batch statistics, moving-statistics update, gradients, then the updated state
    assert_equivalent(keras_model, module, _inputs(shape, 1), training=True, gradients=True, **F32)
    for a, b in zip(module.get_weights(), keras_model.get_weights()):
        assert_close(a, b, STATE["float32"], f"{name} state after a training step")
    module.eval()
    compiled = torch.compile(module, fullgraph=True, backend="aot_eager")  # one graph, no breaks
    torch.testing.assert_close(compiled(torch.from_numpy(x)), module(torch.from_numpy(x)))


@pytest.mark.parametrize("name", sorted(ACCEPTANCE))
def test_acceptance_torch_to_keras(name):
    make, shape = ACCEPTANCE[name]
    source = make()
    module = tkl.from_keras(source)
    with torch.no_grad():  # our own weights, not Keras' initial ones
        for p in module.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    back = tkl.to_keras(module)
    assert type(back) is type(source)
    assert back.get_config() == module.get_config()
    _assert_same_weights(module, back)
    assert_equivalent(back, module, _inputs(shape, 2), gradients=True, **F32)


@pytest.mark.parametrize("name", sorted(ACCEPTANCE))
def test_keras_config_round_trip(name):
    """Keras rebuilds our config into the same config (the per-layer test, for whole models)."""
    keras_model = ACCEPTANCE[name][0]()
    module = tkl.from_keras(keras_model)
    config = module.get_config()
    keras_cls = keras.Sequential if isinstance(keras_model, keras.Sequential) else keras.Model
    assert keras_cls.from_config(copy.deepcopy(config)).get_config() == config  # Keras pops keys from its argument
    assert config == keras_model.get_config()


# ---------------------------------------------------------------------------- graph features
def _graph_model():
    """Two inputs, a shared layer called twice, a nested Sequential and a nested functional model,
    a merge, and two outputs."""
    keras.utils.set_random_seed(3)
    a, b = keras.Input((4,), name="a"), keras.Input((5,), name="b")
    shared = L.Dense(6, activation="tanh", name="shared")
    inner_seq = keras.Sequential([L.Dense(6, name="seq_dense"), L.Activation("relu", name="seq_act")], name="inner_seq")
    inner_in = keras.Input((6,), name="inner_in")
    inner_fn = keras.Model(inner_in, L.Dense(6, name="fn_dense")(inner_in), name="inner_fn")
    x = shared(L.Dense(6, name="proj_a")(a))
    y = shared(L.Dense(6, name="proj_b")(b))
    merged = L.Concatenate(name="concat")([inner_seq(x), inner_fn(y)])
    out = L.Dense(3, activation="softmax", name="head")(merged)
    return keras.Model([a, b], [out, merged], name="graph")


def test_functional_graph_both_ways():
    keras_model = _graph_model()
    module = tkl.from_keras(keras_model)
    inputs = [_inputs((5, 4)), _inputs((5, 5), 1)]
    report = assert_equivalent(keras_model, module, inputs, gradients=True, **F32)
    assert {"shared", "shared[1]", "inner_seq", "inner_fn", "concat"} <= {n.name for n in report.nodes}
    by_name = module({"a": torch.from_numpy(inputs[0]), "b": torch.from_numpy(inputs[1])})
    for ours, theirs in zip(by_name, keras_model(inputs)):
        assert_close(as_numpy(ours), np.asarray(theirs), FORWARD["float32"], "dict inputs")
    back = tkl.to_keras(module)
    assert back.get_config() == module.get_config()
    assert_equivalent(back, module, inputs, **F32)
    compiled = torch.compile(module, fullgraph=True, backend="aot_eager")
    t_inputs = [torch.from_numpy(i) for i in inputs]
    for c, e in zip(compiled(t_inputs), module(t_inputs)):
        torch.testing.assert_close(c, e)


def test_mask_propagates_like_keras():
    """A mask made by a Lambda reaches BatchNormalization, which uses it for its training moments."""
    keras.utils.set_random_seed(4)
    keras_model = keras.Sequential([
        keras.Input((5, 3)),
        L.Lambda(lambda x: x * 1.0, mask=lambda x, m: x[..., 0] > 0, name="make_mask"),
        L.BatchNormalization(name="bn"),
        L.Dense(2, name="d"),
    ])
    module = tkl.from_keras(keras_model)
    x = _inputs((4, 5, 3), 5)
    assert_equivalent(keras_model, module, x, training=True, **F32)
    for a, b in zip(module.get_weights(), keras_model.get_weights()):
        assert_close(a, b, STATE["float32"], "masked moving statistics")
    # The mask does change BatchNormalization's training output, so the comparison above would fail
    # if either side dropped it.
    bn = keras_model.get_layer("bn")
    mask = tf.constant(x[..., 0] > 0)
    masked = np.asarray(bn(tf.constant(x), mask=mask, training=True))
    unmasked = np.asarray(bn(tf.constant(x), training=True))
    assert np.max(np.abs(masked - unmasked)) > 1e-2


def test_assert_equivalent_reports_the_first_diverging_layer():
    keras_model = cifar_cnn()
    module = tkl.from_keras(keras_model)
    with torch.no_grad():
        module.get_layer("dense").kernel.add_(0.05)
    with pytest.raises(AssertionError) as info:
        assert_equivalent(keras_model, module, _inputs((4, 8, 8, 3)))
    message = str(info.value)
    assert "first divergence at node 'dense' (Dense)" in message
    lines = message.splitlines()
    assert any(line.strip().startswith("conv2d") for line in lines)  # earlier layers are shown as passing
    assert "<-- first divergence" in next(line for line in lines if line.strip().startswith("dense "))
    assert not any(line.strip().startswith("dense_1") and "<--" in line for line in lines)


# ---------------------------------------------------------------------------- files and errors
def test_keras_file_round_trip(tmp_path):
    keras_model = cifar_cnn()
    path = str(tmp_path / "cnn.keras")
    keras_model.save(path)
    module = tkl.from_keras(path)
    _assert_same_weights(module, keras_model)
    back_path = str(tmp_path / "back.keras")
    tkl.to_keras(module).save(back_path)
    reloaded = keras.saving.load_model(back_path)
    assert_equivalent(reloaded, module, _inputs((2, 8, 8, 3)), **F32)


def test_weights_h5_file(tmp_path):
    keras_model = transformer_block()
    _randomize_bn_statistics(keras_model)
    path = str(tmp_path / "block.weights.h5")
    keras_model.save_weights(path)
    fresh = tkl.from_keras(transformer_block())  # same architecture, other (re-seeded equal) weights
    with torch.no_grad():
        for p in fresh.parameters():
            p.zero_()
    loaded = tkl.from_keras(path, model=fresh)
    assert loaded is fresh
    _assert_same_weights(loaded, keras_model)
    with pytest.raises(ValueError, match="holds weights only; pass the architecture as `model=`"):
        tkl.from_keras(path)


def test_unsupported_layers_are_all_listed():
    inner = keras.Sequential([keras.Input((4, 5, 3)), L.RandomBrightness(0.2, name="inner_brightness")],
                             name="inner")
    x = keras.Input((4, 5, 3), name="x")
    y = L.RandomGrayscale(name="my_grayscale")(x)
    z = L.Dense(2, name="ok_dense")(y)
    model = keras.Model(x, [z, inner(x)], name="mixed")
    with pytest.raises(NotImplementedError) as info:
        tkl.from_keras(model)
    message = str(info.value)
    assert "'my_grayscale' (RandomGrayscale)" in message and "'inner_brightness' (RandomBrightness)" in message
    assert "2 layer(s)" in message
    assert "ok_dense" not in message


def test_subclassed_model_is_refused():
    class Custom(keras.Model):
        def call(self, x):
            return x

    with pytest.raises(NotImplementedError, match="subclassed keras.Model"):
        tkl.from_keras(Custom())


# ---------------------------------------------------------------------------- optimizers
OPTIMIZER_CASES = [
    ("Adam", "keras_adam", {}),
    ("Adam", "keras_adam", {"amsgrad": True, "beta_1": 0.8}),
    ("AdamW", "keras_adamw", {}),
    ("Adam", "keras_adam", {"clipnorm": 0.5}),
    ("Adam", "keras_adam", {"global_clipnorm": 0.5, "weight_decay": 0.05}),
    ("SGD", "keras_sgd", {}),
    ("SGD", "keras_sgd", {"momentum": 0.9}),
    ("SGD", "keras_sgd", {"momentum": 0.9, "nesterov": True, "clipvalue": 0.3}),
    ("SGD", "keras_sgd", {"weight_decay": 0.1}),
    ("RMSprop", "keras_rmsprop", {}),
    ("RMSprop", "keras_rmsprop", {"momentum": 0.5, "centered": True}),
    ("Adagrad", "keras_adagrad", {}),
]


def _optimizer_run(keras_name, ours_name, kwargs, dtype, steps=10, torch_kwargs=None):
    rng = np.random.default_rng(0)
    start = [rng.standard_normal((6, 4)).astype(dtype), rng.standard_normal((4,)).astype(dtype)]
    grads = [[rng.standard_normal(w.shape).astype(dtype) for w in start] for _ in range(steps)]
    variables = [keras.Variable(w.copy(), dtype=dtype) for w in start]
    keras_opt = getattr(keras.optimizers, keras_name)(**kwargs)
    params = [torch.nn.Parameter(torch.from_numpy(w.copy())) for w in start]
    ours_opt = getattr(tkl_optimizers, ours_name)(params, **kwargs, **(torch_kwargs or {}))
    for step_grads in grads:
        keras_opt.apply_gradients([(tf.constant(g), v) for g, v in zip(step_grads, variables)])
        for p, g in zip(params, step_grads):
            p.grad = torch.from_numpy(g.copy())
        ours_opt.step()
    return [p.detach().numpy() for p in params], [np.asarray(v) for v in variables]


@pytest.mark.parametrize("keras_name,ours_name,kwargs", OPTIMIZER_CASES,
                         ids=[f"{k}-{','.join(kw) or 'defaults'}" for k, _, kw in OPTIMIZER_CASES])
def test_optimizer_matches_keras(keras_name, ours_name, kwargs):
    """10 updates from the same gradients: the same variables to float32 state tolerance."""
    ours, theirs = _optimizer_run(keras_name, ours_name, kwargs, "float32")
    for a, b in zip(ours, theirs):
        assert_close(a, b, STATE["float32"], f"{keras_name}{kwargs} after 10 steps")


@pytest.mark.parametrize("torch_kwargs,fused", [({}, True), ({"foreach": False}, None), ({"foreach": True}, None)],
                         ids=["default-fused", "single-tensor", "foreach"])
@pytest.mark.parametrize("kwargs", [{}, {"amsgrad": True, "weight_decay": 0.1}], ids=["defaults", "amsgrad-wd"])
def test_keras_adam_matches_keras_on_each_torch_kernel(kwargs, torch_kwargs, fused):
    """keras_adam runs torch's fused Adam by default on CPU (one pass per tensor); the single-tensor and
    foreach kernels, chosen explicitly, give Keras' update too."""
    ours, theirs = _optimizer_run("Adam", "keras_adam", kwargs, "float32", torch_kwargs=torch_kwargs)
    for a, b in zip(ours, theirs):
        assert_close(a, b, STATE["float32"], f"Adam{kwargs} on {torch_kwargs or 'the default'} after 10 steps")
    params = [torch.nn.Parameter(torch.zeros(3))]
    assert tkl_optimizers.keras_adam(params, **torch_kwargs).param_groups[0]["fused"] is fused
    groups = [{"params": iter(params), "lr": 0.1}]  # param groups with a one-shot iterator, as torch accepts
    assert tkl_optimizers.keras_adam(groups, **torch_kwargs).param_groups[0]["params"] == params
    meta = [torch.nn.Parameter(torch.zeros(3, device="meta"))]  # no fused kernel there: torch's default
    assert tkl_optimizers.keras_adam(meta).param_groups[0]["fused"] is None


def test_adam_float64_follows_keras_formula():
    """In float64 our Adam is Keras' documented update to float64 precision. (Keras' own float64 run
    differs by ~1e-8: `ops.cast(0.999, "float64")` rounds the betas through float32 in its bias
    correction, and its learning-rate variable is float32; see the README's deviations.)"""
    rng = np.random.default_rng(0)
    w = rng.standard_normal((6, 4))
    grads = [rng.standard_normal(w.shape) for _ in range(10)]
    p = torch.nn.Parameter(torch.from_numpy(w.copy()))
    opt = tkl_optimizers.keras_adam([p])
    m, v = np.zeros_like(w), np.zeros_like(w)
    for t, g in enumerate(grads, 1):  # keras/src/optimizers/adam.py, update_step
        m += (g - m) * (1 - 0.9)
        v += (g * g - v) * (1 - 0.999)
        alpha = 0.001 * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
        w = w - m * alpha / (np.sqrt(v) + 1e-7)
        p.grad = torch.from_numpy(g.copy())
        opt.step()
    assert_close(p.detach().numpy(), w, STATE["float64"], "Adam float64 vs Keras' formula")


def test_plain_torch_adam_is_not_keras_adam():
    """The reason keras_adam exists: torch's epsilon placement gives a different trajectory."""
    rng = np.random.default_rng(0)
    w = rng.standard_normal(50).astype("float32")
    grads = [rng.standard_normal(50).astype("float32") * 1e-6 for _ in range(5)]  # eps matters for small g
    keras_var, keras_opt = keras.Variable(w.copy()), keras.optimizers.Adam()
    p = torch.nn.Parameter(torch.from_numpy(w.copy()))
    torch_opt = torch.optim.Adam([p], lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
    for g in grads:
        keras_opt.apply_gradients([(tf.constant(g), keras_var)])
        p.grad = torch.from_numpy(g.copy())
        torch_opt.step()
    with pytest.raises(AssertionError):
        assert_close(p.detach().numpy(), np.asarray(keras_var), STATE["float32"], "plain torch Adam")


# ---------------------------------------------------------------------------- training-trajectory parity
TRAJECTORY_STEPS = 20
# Tolerances: equivalence_tests/tolerances.py (TRAJECTORY_*), with why they grow with the step count.
# For scale: running the same test with torch.optim.Adam (eps=1e-7 outside the bias correction) or
# with epsilon=1e-8 misses these bounds by 25x-30x (weights off by 5e-4 - 7e-4).



def test_training_trajectory_parity():
    keras_model = cifar_cnn()
    module = tkl.from_keras(keras_model)
    rng = np.random.default_rng(0)
    batches = [(rng.standard_normal((16, 8, 8, 3)).astype("float32"), rng.integers(0, 10, 16))
               for _ in range(TRAJECTORY_STEPS)]

    keras_opt = keras.optimizers.Adam()
    keras_loss_fn = keras.losses.SparseCategoricalCrossentropy()
    keras_losses = []
    for x, y in batches:
        with tf.GradientTape() as tape:
            loss = keras_loss_fn(y, keras_model(x, training=True))
        grads = tape.gradient(loss, keras_model.trainable_weights)
        keras_opt.apply_gradients(zip(grads, keras_model.trainable_weights))
        keras_losses.append(float(loss))

    ours_opt = tkl_optimizers.keras_adam(module.parameters())
    ours_losses = []
    module.train()
    for x, y in batches:
        # Keras' SparseCategoricalCrossentropy (from_logits=False): the per-sample loss, mean over the batch.
        loss = sparse_categorical_crossentropy(module(torch.from_numpy(x), training=True), torch.from_numpy(y)).mean()
        ours_opt.zero_grad()
        loss.backward()
        ours_opt.step()
        ours_losses.append(loss.item())

    for step, (a, b) in enumerate(zip(ours_losses, keras_losses)):
        bound = (step + 1) * TRAJECTORY_LOSS_ATOL_PER_STEP * max(1.0, abs(b))
        assert abs(a - b) <= bound, f"step {step}: loss ours {a} vs Keras {b} (|diff| {abs(a - b):.2e} > {bound:.2e})"
    bound = TRAJECTORY_STEPS * TRAJECTORY_WEIGHT_ATOL_PER_STEP
    for (path, _, _), a, b in zip(module.keras_weights(), module.get_weights(), keras_model.get_weights()):
        diff = float(np.max(np.abs(a - b)))
        assert diff <= bound, f"{path} after {TRAJECTORY_STEPS} steps: max |diff| {diff:.2e} > {bound:.2e}"
    assert keras_losses[-1] != keras_losses[0]  # the models did train
