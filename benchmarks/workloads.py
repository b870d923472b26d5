"""The benchmark workloads: one realistic shape each, the same computation written four ways.

Contestants:

* ``ours``        -- the torchkeras_layers module (eager);
* ``keras_tf``    -- the same Keras layer/model on the TensorFlow backend, inside ``tf.function``;
* ``keras_torch`` -- the same Keras layer/model on the Keras torch backend (its own process:
  Keras picks its backend once per process);
* ``torch``       -- the best plain-PyTorch idiom for the same math (``nn.BatchNorm2d`` on a
  channels_last view, ``nn.MultiheadAttention`` (fused projections + SDPA), ...).

Modes: ``forward`` is inference (``torch.inference_mode`` / ``training=False``); ``train`` is
forward+backward in training mode: for a layer, the gradients of the input and of every trainable
weight for a fixed random cotangent; for the CIFAR model, a whole step (loss, backward, Adam update).

Every contestant gets the same inputs and the same weights (Keras layout and order, filled from a
seeded generator), so their first outputs must agree: ``check()`` returns arrays that the runner
compares before it times anything. Framework imports stay inside the builders: this module is
imported by the runner and by every worker, whatever its framework.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

CONTESTANTS = ("ours", "keras_tf", "keras_torch", "torch")
LABELS = {"ours": "ours", "keras_tf": "Keras (TF, tf.function)", "keras_torch": "Keras (torch backend)",
          "torch": "plain torch"}
MODES = ("forward", "train")


@dataclass
class Context:
    """What a builder needs to know about the process it runs in."""

    contestant: str
    mode: str  # "forward" or "train"
    device: str  # "cpu" or "cuda"
    seed: int = 0


@dataclass
class Bench:
    """A built workload: `step()` is one timed iteration; `check()` (called once, before any timing)
    returns numpy arrays that must agree across contestants."""

    step: Callable[[], Any]
    check: Callable[[], list]
    info: dict = field(default_factory=dict)  # measured during the build (compile_s, ...), reported as is
    # check()'s outputs computed by Keras in float64 (whole models), with Keras' float32 program's largest
    # distance from them: the yardstick for contestants whose float32 programs round differently
    reference: list | None = None
    reference_keras_error: float | None = None


@dataclass
class Workload:
    name: str
    title: str
    weight_shapes: list  # Keras layout and `get_weights()` order
    make_inputs: Callable[[np.random.Generator], list]
    ours: Callable[[Context, list, list], Bench]
    keras: Callable[[Context, list, list], Bench]
    torch: Callable[[Context, list, list], Bench]
    notes: dict = field(default_factory=dict)  # contestant -> what exactly it runs

    def builder(self, contestant: str):
        return {"ours": self.ours, "keras_tf": self.keras, "keras_torch": self.keras, "torch": self.torch}[contestant]


# ---------------------------------------------------------------------------- shared helpers
def fill_weights(shapes, seed: int) -> list:
    """Weights in Keras layout: kernels uniform with variance 1/fan_in, vectors in [0.5, 1.5]
    (positive, so BatchNormalization's moving variance is valid)."""
    rng = np.random.default_rng([seed, 17])
    out = []
    for shape in shapes:
        if len(shape) >= 2:
            limit = math.sqrt(3.0 / math.prod(shape[:-1]))
            out.append(rng.uniform(-limit, limit, shape).astype(np.float32))
        else:
            out.append(rng.uniform(0.5, 1.5, shape).astype(np.float32))
    return out


def cotangent(shape, seed: int) -> np.ndarray:
    return np.random.default_rng([seed, 29]).standard_normal(tuple(shape)).astype(np.float32)


def _set_keras_layout_weights(layer, weights, shapes) -> None:
    found = [tuple(w.shape) for w in layer.get_weights()]
    if found != [tuple(s) for s in shapes]:
        raise RuntimeError(f"{type(layer).__name__}: weight shapes {found} differ from the workload's {shapes}")
    layer.set_weights(weights)


def _np(t) -> np.ndarray:
    if hasattr(t, "detach"):
        return t.detach().float().cpu().numpy()
    return np.asarray(t)


def torch_layer_bench(ctx: Context, call: Callable, inputs: list, params: list) -> Bench:
    """A torch-side layer benchmark. `call(*tensors)` runs the layer in the mode the caller set;
    `params` are the tensors whose gradients are computed (and reset each step) in train mode."""
    import torch

    xs = [torch.from_numpy(a).to(ctx.device) for a in inputs]
    if ctx.mode == "forward":
        def step():
            with torch.inference_mode():
                return call(*xs)

        return Bench(step, lambda: [_np(step())])

    xs = [x.requires_grad_() if x.is_floating_point() else x for x in xs]
    with torch.no_grad():
        shape = tuple(call(*xs).shape)
    cot = torch.from_numpy(cotangent(shape, ctx.seed)).to(ctx.device)
    grads_of = [x for x in xs if x.requires_grad] + list(params)

    def step():
        for t in grads_of:
            t.grad = None
        y = call(*xs)
        y.backward(cot)
        return y

    def check():
        y = step()
        return [_np(y)] + [_np(t.grad) for t in xs if t.requires_grad]

    return Bench(step, check)


def keras_layer_bench(ctx: Context, layer, inputs: list, call: Callable) -> Bench:
    """The Keras side, on whichever backend this process runs. `call(*tensors, training=...)`."""
    import keras

    if keras.backend.backend() == "tensorflow":
        return _keras_tf_layer_bench(ctx, layer, inputs, call)
    # On the torch backend a Keras layer is timed exactly like ours: same step, same gradient resets.
    training = ctx.mode != "forward"
    return torch_layer_bench(ctx, lambda *xs: call(*xs, training=training), inputs,
                             [v.value for v in layer.trainable_weights])


def _keras_tf_layer_bench(ctx: Context, layer, inputs: list, call: Callable) -> Bench:
    import tensorflow as tf

    xs = [tf.constant(a) for a in inputs]
    if ctx.mode == "forward":
        forward = tf.function(lambda *t: call(*t, training=False))
        return Bench(lambda: forward(*xs), lambda: [np.asarray(forward(*xs))])
    # The cotangent's shape comes from an eager call (it may update moving statistics: every
    # contestant makes the same extra call).
    shape = tuple(call(*xs, training=True).shape)
    cot = tf.constant(cotangent(shape, ctx.seed))

    @tf.function
    def train(*t):
        with tf.GradientTape() as tape:
            tape.watch(t)
            y = call(*t, training=True)
        return y, tape.gradient(y, list(t) + layer.trainable_variables, output_gradients=cot)

    def check():
        y, grads = train(*xs)
        return [np.asarray(y)] + [np.asarray(g) for g in grads[: len(xs)]]

    return Bench(lambda: train(*xs), check)


def _ours_layer(ctx: Context, layer, inputs, weights, shapes, call=None):
    """Build our layer on the inputs' shapes, load the workload weights, set the mode."""
    import torch

    call = call or layer
    layer.to(ctx.device).eval()
    with torch.no_grad():
        call(*[torch.from_numpy(a).to(ctx.device) for a in inputs])  # build
    _set_keras_layout_weights(layer, weights, shapes)
    layer.train(ctx.mode == "train")
    params = [p for p in layer.parameters() if p.requires_grad]
    return torch_layer_bench(ctx, call, inputs, params)


def _keras_layer(ctx: Context, layer, inputs, weights, shapes, call=None):
    import keras

    call = call or (lambda *t, training: layer(*t, training=training))
    call(*[keras.ops.convert_to_tensor(a) for a in inputs], training=False)  # build
    _set_keras_layout_weights(layer, weights, shapes)
    return keras_layer_bench(ctx, layer, inputs, call)


def _plain_module(ctx: Context, module, call, inputs):

    module.to(ctx.device).train(ctx.mode == "train")
    params = [p for p in module.parameters() if p.requires_grad]
    return torch_layer_bench(ctx, call, inputs, params)


def _assign(param, array, memory_format=None) -> None:
    import torch

    with torch.no_grad():
        value = torch.as_tensor(np.ascontiguousarray(array), device=param.device)
        param.copy_(value)
    if memory_format is not None:
        param.data = param.data.contiguous(memory_format=memory_format)


def _nhwc_images(shape):
    return lambda rng: [rng.standard_normal(shape).astype(np.float32)]


# ---------------------------------------------------------------------------- BatchNormalization
BN_SHAPE = (64, 32, 32, 64)
BN_WEIGHTS = [(64,), (64,), (64,), (64,)]  # gamma, beta, moving_mean, moving_variance


def _bn_ours(ctx, inputs, weights):
    from torchkeras_layers.layers import BatchNormalization

    return _ours_layer(ctx, BatchNormalization(), inputs, weights, BN_WEIGHTS)


def _bn_keras(ctx, inputs, weights):
    import keras

    return _keras_layer(ctx, keras.layers.BatchNormalization(), inputs, weights, BN_WEIGHTS)


def _bn_torch(ctx, inputs, weights):
    from torch import nn

    bn = nn.BatchNorm2d(BN_SHAPE[-1], eps=1e-3, momentum=0.01)  # Keras' defaults (momentum 0.99)
    for param, array in zip((bn.weight, bn.bias, bn.running_mean, bn.running_var), weights):
        _assign(param, array)

    def call(x):  # NHWC data as a channels_last NCHW view: no copy either way
        return bn(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)

    return _plain_module(ctx, bn, call, inputs)


# ---------------------------------------------------------------------------- MultiHeadAttention
MHA_SHAPE, MHA_HEADS, MHA_KEY_DIM = (16, 128, 256), 8, 32
MHA_WEIGHTS = [(256, 8, 32), (8, 32)] * 3 + [(8, 32, 256), (256,)]  # query, key, value, attention_output


def _mha_ours(ctx, inputs, weights):
    from torchkeras_layers.layers import MultiHeadAttention

    layer = MultiHeadAttention(num_heads=MHA_HEADS, key_dim=MHA_KEY_DIM)
    return _ours_layer(ctx, layer, inputs, weights, MHA_WEIGHTS, call=lambda x: layer(x, x))


def _mha_keras(ctx, inputs, weights):
    import keras

    layer = keras.layers.MultiHeadAttention(num_heads=MHA_HEADS, key_dim=MHA_KEY_DIM)
    return _keras_layer(ctx, layer, inputs, weights, MHA_WEIGHTS,
                        call=lambda x, training: layer(x, x, training=training))


def _mha_torch(ctx, inputs, weights):
    from torch import nn

    embed = MHA_SHAPE[-1]
    mha = nn.MultiheadAttention(embed, MHA_HEADS, batch_first=True)
    wq, bq, wk, bk, wv, bv, wo, bo = weights
    # Keras kernels (E, N, H) -> torch's (N*H, E) rows; output (N, H, E) -> (E, N*H).
    _assign(mha.in_proj_weight, np.concatenate([w.reshape(embed, -1).T for w in (wq, wk, wv)]))
    _assign(mha.in_proj_bias, np.concatenate([b.reshape(-1) for b in (bq, bk, bv)]))
    _assign(mha.out_proj.weight, wo.reshape(-1, embed).T)
    _assign(mha.out_proj.bias, bo)

    def call(x):  # self-attention, need_weights=False: one fused QKV matmul + SDPA (native fast path at inference)
        return mha(x, x, x, need_weights=False)[0]

    return _plain_module(ctx, mha, call, inputs)


# ---------------------------------------------------------------------------- MaxPooling2D
POOL_SHAPE = (64, 32, 32, 64)


def _pool_ours(ctx, inputs, weights):
    from torchkeras_layers.layers import MaxPooling2D

    return _ours_layer(ctx, MaxPooling2D(3, 2, padding="same"), inputs, weights, [])


def _pool_keras(ctx, inputs, weights):
    import keras

    return _keras_layer(ctx, keras.layers.MaxPooling2D(3, 2, padding="same"), inputs, weights, [])


def _pool_torch(ctx, inputs, weights):
    import torch
    import torch.nn.functional as F

    # TF 'same' for 32 -> 16 with window 3 stride 2 pads (0, 1): exactly ceil_mode's extra window,
    # whose out-of-range cells the kernel ignores (no padded copy).
    def call(x):
        return F.max_pool2d(x.permute(0, 3, 1, 2), 3, 2, ceil_mode=True).permute(0, 2, 3, 1)

    return _plain_module(ctx, torch.nn.Module(), call, inputs)


# ---------------------------------------------------------------------------- Conv2D
CONV_SHAPE = (64, 32, 32, 64)
CONV_WEIGHTS = [(3, 3, 64, 64), (64,)]


def _conv_ours(ctx, inputs, weights):
    from torchkeras_layers.layers import Conv2D

    return _ours_layer(ctx, Conv2D(64, 3, padding="same"), inputs, weights, CONV_WEIGHTS)


def _conv_keras(ctx, inputs, weights):
    import keras

    return _keras_layer(ctx, keras.layers.Conv2D(64, 3, padding="same"), inputs, weights, CONV_WEIGHTS)


def _conv_torch(ctx, inputs, weights):
    import torch
    from torch import nn

    conv = nn.Conv2d(64, 64, 3, padding=1)
    _assign(conv.weight, weights[0].transpose(3, 2, 0, 1), memory_format=torch.channels_last)
    _assign(conv.bias, weights[1])

    def call(x):
        return conv(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)

    return _plain_module(ctx, conv, call, inputs)


# ---------------------------------------------------------------------------- Dense
DENSE_SHAPE = (4096, 1024)
DENSE_WEIGHTS = [(1024, 1024), (1024,)]


def _dense_ours(ctx, inputs, weights):
    from torchkeras_layers.layers import Dense

    return _ours_layer(ctx, Dense(1024), inputs, weights, DENSE_WEIGHTS)


def _dense_keras(ctx, inputs, weights):
    import keras

    return _keras_layer(ctx, keras.layers.Dense(1024), inputs, weights, DENSE_WEIGHTS)


def _dense_torch(ctx, inputs, weights):
    from torch import nn

    linear = nn.Linear(1024, 1024)
    _assign(linear.weight, weights[0].T)
    _assign(linear.bias, weights[1])
    return _plain_module(ctx, linear, linear, inputs)


# ---------------------------------------------------------------------------- LSTM, GRU
RNN_SHAPE, RNN_UNITS = (32, 100, 64), 128  # batch, steps, features; the last output (return_sequences=False)
LSTM_WEIGHTS = [(64, 4 * RNN_UNITS), (RNN_UNITS, 4 * RNN_UNITS), (4 * RNN_UNITS,)]
GRU_WEIGHTS = [(64, 3 * RNN_UNITS), (RNN_UNITS, 3 * RNN_UNITS), (2, 3 * RNN_UNITS)]  # reset_after=True
# Right-padded rows (what Embedding(mask_zero=True) gives for padded token ids): lengths 5..steps, one full row.
RNN_LENGTHS = np.random.default_rng(11).integers(5, RNN_SHAPE[1] + 1, RNN_SHAPE[0])
RNN_LENGTHS[0] = RNN_SHAPE[1]
RNN_MASK = np.arange(RNN_SHAPE[1])[None, :] < RNN_LENGTHS[:, None]


def _rnn_ours(kind: str, masked: bool):
    def build(ctx, inputs, weights):
        import torch

        from torchkeras_layers import layers

        layer = getattr(layers, kind)(RNN_UNITS)
        shapes = LSTM_WEIGHTS if kind == "LSTM" else GRU_WEIGHTS
        if not masked:
            return _ours_layer(ctx, layer, inputs, weights, shapes)
        mask = torch.from_numpy(RNN_MASK).to(ctx.device)
        return _ours_layer(ctx, layer, inputs, weights, shapes, call=lambda x: layer(x, mask=mask))

    return build


def _rnn_keras(kind: str, masked: bool):
    def build(ctx, inputs, weights):
        import keras

        layer = getattr(keras.layers, kind)(RNN_UNITS)
        shapes = LSTM_WEIGHTS if kind == "LSTM" else GRU_WEIGHTS
        if not masked:
            return _keras_layer(ctx, layer, inputs, weights, shapes)
        mask = keras.ops.convert_to_tensor(RNN_MASK)
        return _keras_layer(ctx, layer, inputs, weights, shapes,
                            call=lambda x, training: layer(x, mask=mask, training=training))

    return build


def _rnn_torch(kind: str, masked: bool):
    def build(ctx, inputs, weights):
        import torch
        from torch import nn

        kernel, recurrent_kernel, bias = weights
        if kind == "LSTM":  # Keras gate blocks i, f, c, o are torch's i, f, g, o
            module = nn.LSTM(RNN_SHAPE[-1], RNN_UNITS, batch_first=True)
            biases = (bias, np.zeros_like(bias))
        else:  # Keras z, r, h -> torch r, z, n; Keras' 2-row bias is torch's (input, recurrent) pair
            module = nn.GRU(RNN_SHAPE[-1], RNN_UNITS, batch_first=True)
            order = np.concatenate([np.arange(RNN_UNITS, 2 * RNN_UNITS), np.arange(RNN_UNITS),
                                    np.arange(2 * RNN_UNITS, 3 * RNN_UNITS)])
            kernel, recurrent_kernel, biases = kernel[:, order], recurrent_kernel[:, order], bias[:, order]
        for param, array in zip((module.weight_ih_l0, module.weight_hh_l0, module.bias_ih_l0, module.bias_hh_l0),
                                (kernel.T, recurrent_kernel.T, *biases)):
            _assign(param, array)
        lengths = torch.from_numpy(RNN_LENGTHS)  # pack_padded_sequence takes the lengths on the CPU

        def call(x):  # the last state h_n: each row's last valid step when packed
            if masked:
                x = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            hidden = module(x)[1]
            return (hidden[0] if kind == "LSTM" else hidden)[0]

        return _plain_module(ctx, module, call, inputs)

    return build


def _rnn_workload(kind: str, masked: bool) -> Workload:
    name = kind.lower() + ("_masked" if masked else "")
    title = f"{kind} 64->{RNN_UNITS}, batch {RNN_SHAPE[0]}, {RNN_SHAPE[1]} steps" + (
        f", right-padded mask (lengths 5-{RNN_SHAPE[1]})" if masked else "")
    plain = f"nn.{kind}(batch_first)" + (" on pack_padded_sequence(enforce_sorted=False)" if masked else "")
    return Workload(name, title, LSTM_WEIGHTS if kind == "LSTM" else GRU_WEIGHTS, _nhwc_images(RNN_SHAPE),
                    _rnn_ours(kind, masked), _rnn_keras(kind, masked), _rnn_torch(kind, masked),
                    {"torch": plain})


# ---------------------------------------------------------------------------- the CIFAR CNN
CNN_BATCH = 32  # the Keras Tuner example's `fit(batch_size=32)`
CNN_WEIGHTS = [(3, 3, 3, 64), (64,), (15 * 15 * 64, 64), (64,), (64, 10), (10,)]


def _cnn_inputs(rng):
    images = rng.uniform(0.0, 1.0, (CNN_BATCH, 32, 32, 3)).astype(np.float32)
    labels = rng.integers(0, 10, (CNN_BATCH,)).astype(np.int64)
    return [images, labels]


def _torch_model_bench(ctx, model, forward, loss_fn, optimizer, inputs) -> Bench:
    """`forward(x)` -> probabilities; train: `loss_fn(model output, labels)`, backward, optimizer step."""
    import torch

    x = torch.from_numpy(inputs[0]).to(ctx.device)
    y = torch.from_numpy(inputs[1]).to(ctx.device)
    if ctx.mode == "forward":
        model.eval()

        def step():
            with torch.inference_mode():
                return forward(x, logits=False)

        return Bench(step, lambda: [_np(step())])
    model.train()

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(forward(x, logits=True), y)
        loss.backward()
        optimizer.step()
        return loss

    return Bench(step, lambda: [_np(step()).reshape(1)])


def _cnn_ours(ctx, inputs, weights):
    import torchkeras_layers as tkl
    from torchkeras_layers.layers import Conv2D, Dense, Flatten, MaxPooling2D
    from torchkeras_layers.losses import sparse_categorical_crossentropy

    model = tkl.Sequential([tkl.Input((32, 32, 3)), Conv2D(64, 3, activation="relu"), MaxPooling2D(2), Flatten(),
                            Dense(64, activation="relu"), Dense(10, activation="softmax")])
    model.to(ctx.device)
    _set_keras_layout_weights(model, weights, CNN_WEIGHTS)
    optimizer = tkl.optimizers.keras_adam(model.parameters())

    def loss_fn(probs, labels):  # Keras' sparse categorical cross-entropy on probabilities, mean over the batch
        return sparse_categorical_crossentropy(probs, labels).mean()

    return _torch_model_bench(ctx, model, lambda x, logits: model(x), loss_fn, optimizer, inputs)


def _cnn_torch(ctx, inputs, weights):
    import torch
    import torch.nn.functional as F
    from torch import nn

    from torchkeras_layers.config import EPSILON  # Keras' Adam epsilon, in torch's place (outside the bias correction)

    class PlainCNN(nn.Module):
        """Channels-last convolution; flattening the NHWC memory in (H, W, C) order is a free view."""

        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 64, 3)
            self.hidden = nn.Linear(15 * 15 * 64, 64)
            self.logits = nn.Linear(64, 10)

        def forward(self, x_nhwc, logits=True):
            h = F.max_pool2d(F.relu(self.conv(x_nhwc.permute(0, 3, 1, 2))), 2)
            h = F.relu(self.hidden(h.permute(0, 2, 3, 1).flatten(1)))
            out = self.logits(h)
            return out if logits else torch.softmax(out, dim=-1)

    model = PlainCNN().to(ctx.device)
    kernel, bias, w1, b1, w2, b2 = weights
    _assign(model.conv.weight, kernel.transpose(3, 2, 0, 1), memory_format=torch.channels_last)
    _assign(model.conv.bias, bias)
    _assign(model.hidden.weight, w1.T)
    _assign(model.hidden.bias, b1)
    _assign(model.logits.weight, w2.T)
    _assign(model.logits.bias, b2)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=EPSILON)
    return _torch_model_bench(ctx, model, model, F.cross_entropy, optimizer, inputs)  # fused log-softmax loss


def _cnn_keras(ctx, inputs, weights):
    import keras
    from keras import layers

    model = keras.Sequential([keras.Input((32, 32, 3)), layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2),
                              layers.Flatten(), layers.Dense(64, activation="relu"),
                              layers.Dense(10, activation="softmax")])
    _set_keras_layout_weights(model, weights, CNN_WEIGHTS)
    optimizer = keras.optimizers.Adam()
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    variables = model.trainable_variables
    optimizer.build(variables)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        x, y = tf.constant(inputs[0]), tf.constant(inputs[1])
        if ctx.mode == "forward":
            forward = tf.function(lambda t: model(t, training=False))
            return Bench(lambda: forward(x), lambda: [np.asarray(forward(x))])

        @tf.function
        def train(t, labels):  # what `fit`'s train step does
            with tf.GradientTape() as tape:
                loss = loss_fn(labels, model(t, training=True))
            optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
            return loss

        return Bench(lambda: train(x, y), lambda: [np.asarray(train(x, y)).reshape(1)])

    import torch

    x = torch.from_numpy(inputs[0]).to(ctx.device)
    y = torch.from_numpy(inputs[1]).to(ctx.device)
    if ctx.mode == "forward":
        def step():
            with torch.inference_mode():
                return model(x, training=False)

        return Bench(step, lambda: [_np(step())])

    def train():  # Keras' torch trainer's train_step, without the metrics
        probs = model(x, training=True)
        model.zero_grad()
        loss = loss_fn(y, probs)
        loss.backward()
        with torch.no_grad():
            optimizer.apply([v.value.grad for v in variables], variables)
        return loss

    return Bench(train, lambda: [_np(train()).reshape(1)])


# ---------------------------------------------------------------------------- the list
WORKLOADS = [
    Workload("batch_norm", "BatchNormalization, NHWC 64x32x32x64", BN_WEIGHTS,
             _nhwc_images(BN_SHAPE), _bn_ours, _bn_keras, _bn_torch,
             {"torch": "nn.BatchNorm2d on a channels_last view"}),
    Workload("mha", "MultiHeadAttention self-attention, 16x128x256, 8 heads of 32", MHA_WEIGHTS,
             _nhwc_images(MHA_SHAPE), _mha_ours, _mha_keras, _mha_torch,
             {"torch": "nn.MultiheadAttention(batch_first, need_weights=False): fused QKV + SDPA"}),
    Workload("max_pool", "MaxPooling2D 3/2 'same', NHWC 64x32x32x64", [],
             _nhwc_images(POOL_SHAPE), _pool_ours, _pool_keras, _pool_torch,
             {"torch": "F.max_pool2d(ceil_mode=True) on a channels_last view"}),
    Workload("conv2d", "Conv2D 64->64 3x3 'same', NHWC 64x32x32x64", CONV_WEIGHTS,
             _nhwc_images(CONV_SHAPE), _conv_ours, _conv_keras, _conv_torch,
             {"torch": "nn.Conv2d(padding=1), channels_last weights and input view"}),
    Workload("dense", "Dense 4096x1024 -> 1024", DENSE_WEIGHTS,
             _nhwc_images(DENSE_SHAPE), _dense_ours, _dense_keras, _dense_torch, {"torch": "nn.Linear"}),
    Workload("cifar_cnn",
             f"CIFAR CNN (Conv2D 64 relu, MaxPool 2, Flatten, Dense 64 relu, Dense 10 softmax), batch {CNN_BATCH}",
             CNN_WEIGHTS, _cnn_inputs, _cnn_ours, _cnn_keras, _cnn_torch,
             {"torch": "channels_last nn.Conv2d, free NHWC flatten, logits + F.cross_entropy, torch.optim.Adam",
              "ours": "tkl.Sequential, tkl.optimizers.keras_adam, Keras' cross-entropy on probabilities",
              "keras_tf": "tf.function train step: GradientTape + Adam.apply_gradients"}),
    *[_rnn_workload(kind, masked) for kind in ("LSTM", "GRU") for masked in (False, True)],
]


def by_name() -> dict:
    return {w.name: w for w in WORKLOADS}
