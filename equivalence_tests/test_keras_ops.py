"""Keras operation nodes (`x + y`, `keras.ops.*`, `x[:, 0]`) in functional models: for each operation a
tiny Keras model using it, converted with `from_keras` (same outputs and dtypes as Keras) and back with
`to_keras` (the same Keras operations, same outputs); a `.keras` file round trip; `torch.compile`."""

import keras
import numpy as np
import pytest
import torch

import torchkeras_layers as tkl
from torchkeras_layers.dtypes import dtype_name
from torchkeras_layers.models.ops import KerasOp

from .tolerances import FORWARD, GRADIENT, assert_close

ops = keras.ops

# name -> (shape without the batch axis, dtype, sampler)
INPUTS = {
    "a": ((3, 4), "float32", lambda rng, s: rng.standard_normal(s)),
    "b": ((3, 4), "float32", lambda rng, s: rng.standard_normal(s)),
    "p": ((3, 4), "float32", lambda rng, s: rng.uniform(0.5, 2.0, s)),  # positive: sqrt, log, divisors
    "i": ((3, 4), "int32", lambda rng, s: rng.integers(-5, 6, s)),
    "w": ((4, 5), "float32", lambda rng, s: rng.standard_normal(s)),
    "s": ((3, 1, 4), "float32", lambda rng, s: rng.standard_normal(s)),
}

# (id, input names, the Keras graph on those inputs)
CASES = [
    ("add", "ab", lambda a, b: a + b),
    ("add-constant", "a", lambda a: a + 1.5),
    ("add-constant-left", "a", lambda a: 1.5 + a),
    ("add-int-float", "ia", lambda i, a: i + a),
    ("subtract", "ab", lambda a, b: a - b),
    ("subtract-constant-left", "a", lambda a: 2.0 - a),
    ("multiply", "ab", lambda a, b: a * b),
    ("multiply-constant", "a", lambda a: a * 2.0),
    ("multiply-int-constant", "i", lambda i: i * 2.0),
    ("divide", "ap", lambda a, p: a / p),
    ("divide-int", "i", lambda i: ops.divide(i, 3)),
    ("true_divide", "ap", lambda a, p: ops.true_divide(a, p)),
    ("power", "p", lambda p: ops.power(p, 2.5)),
    ("power-operator", "a", lambda a: a ** 2),
    ("negative", "a", lambda a: -a),
    ("abs", "a", lambda a: ops.abs(a)),
    ("abs-int", "i", lambda i: ops.abs(i)),
    ("sqrt", "p", lambda p: ops.sqrt(p)),
    ("sqrt-int", "i", lambda i: ops.sqrt(ops.abs(i))),
    ("square", "a", lambda a: ops.square(a)),
    ("exp", "a", lambda a: ops.exp(a)),
    ("log", "p", lambda p: ops.log(p)),
    ("maximum", "ab", lambda a, b: ops.maximum(a, b)),
    ("maximum-constant", "a", lambda a: ops.maximum(a, 0.0)),
    ("minimum", "ab", lambda a, b: ops.minimum(a, b)),
    ("minimum-constant", "a", lambda a: ops.minimum(0.5, a)),
    ("matmul", "aw", lambda a, w: ops.matmul(a, w)),
    ("concatenate", "ab", lambda a, b: ops.concatenate([a, b], axis=1)),
    ("concatenate-last", "ab", lambda a, b: ops.concatenate([a, b, a], axis=-1)),
    ("stack", "ab", lambda a, b: ops.stack([a, b], axis=1)),
    ("reshape", "a", lambda a: ops.reshape(a, (-1, 12))),
    ("reshape-3d", "a", lambda a: ops.reshape(a, (-1, 2, 6))),
    ("transpose", "a", lambda a: ops.transpose(a, (0, 2, 1))),
    ("transpose-default", "a", lambda a: ops.transpose(a)),
    ("expand_dims", "a", lambda a: ops.expand_dims(a, 1)),
    ("expand_dims-last", "a", lambda a: ops.expand_dims(a, -1)),
    ("squeeze", "s", lambda s: ops.squeeze(s, axis=2)),
    ("mean", "a", lambda a: ops.mean(a, axis=1, keepdims=True)),
    ("mean-all", "a", lambda a: ops.mean(a)),
    ("mean-int", "i", lambda i: ops.mean(i, axis=-1)),
    ("sum", "a", lambda a: ops.sum(a, axis=(1, 2))),
    ("sum-int", "i", lambda i: ops.sum(i, axis=1)),
    ("max", "a", lambda a: ops.max(a, axis=-1)),
    ("max-keepdims", "a", lambda a: ops.max(a, axis=1, keepdims=True)),
    ("max-int", "i", lambda i: ops.max(i, axis=-1)),
    ("min", "a", lambda a: ops.min(a, axis=1)),
    ("clip", "a", lambda a: ops.clip(a, -0.5, 0.5)),
    ("where", "ab", lambda a, b: ops.where(a > 0, a, b)),
    ("where-constant", "a", lambda a: ops.where(a > 0, a, 0.0)),
    ("greater", "ab", lambda a, b: a > b),
    ("less_equal", "a", lambda a: a <= 0.0),
    ("equal-int", "i", lambda i: ops.equal(i, 0)),
    ("cast-to-int", "a", lambda a: ops.cast(a * 3.0, "int32")),
    ("cast-to-float", "i", lambda i: ops.cast(i, "float32")),
    ("cast-to-bool", "i", lambda i: ops.cast(i, "bool")),
    ("getitem-index", "a", lambda a: a[:, 0]),
    ("getitem-last", "a", lambda a: a[:, -1]),
    ("getitem-slices", "a", lambda a: a[:, 1:3, ::2]),
    ("getitem-ellipsis-newaxis", "a", lambda a: a[..., None]),
    ("getitem-ellipsis-index", "a", lambda a: a[..., 1]),
    ("rsqrt", "p", lambda p: ops.rsqrt(p)),
    ("erf", "a", lambda a: ops.erf(a)),
    ("relu", "a", lambda a: ops.relu(a)),
    ("relu6", "a", lambda a: ops.relu6(a * 4.0)),
    ("sigmoid", "a", lambda a: ops.sigmoid(a)),
    ("tanh", "a", lambda a: ops.tanh(a)),
    ("softmax", "a", lambda a: ops.softmax(a)),
    ("softmax-axis", "a", lambda a: ops.softmax(a, axis=1)),
    ("log_softmax", "a", lambda a: ops.log_softmax(a, axis=-1)),
    ("gelu-tanh", "a", lambda a: ops.gelu(a)),
    ("gelu-exact", "a", lambda a: ops.gelu(a, approximate=False)),
    ("silu", "a", lambda a: ops.silu(a)),
    ("swish", "a", lambda a: ops.swish(a)),
    ("hard_sigmoid", "a", lambda a: ops.hard_sigmoid(a * 3.0)),
    ("hard_silu", "a", lambda a: ops.hard_silu(a * 3.0)),
    ("hard_swish", "a", lambda a: ops.hard_swish(a * 3.0)),
    ("elu", "a", lambda a: ops.elu(a, alpha=0.7)),
    ("selu", "a", lambda a: ops.selu(a)),
    ("leaky_relu", "a", lambda a: ops.leaky_relu(a)),
    ("leaky_relu-slope", "a", lambda a: ops.leaky_relu(a, negative_slope=0.1)),
    ("softplus", "a", lambda a: ops.softplus(a)),
    ("softsign", "a", lambda a: ops.softsign(a)),
    ("log_sigmoid", "a", lambda a: ops.log_sigmoid(a)),
    ("celu", "a", lambda a: ops.celu(a, alpha=0.5)),
    ("glu", "a", lambda a: ops.glu(a)),
    ("dense-plus-input", "a", lambda a: keras.layers.Dense(4)(a) + a),
    ("chain", "ab", lambda a, b: ops.mean(ops.relu(a * 2.0 - b)[:, 1:], axis=-1)),
]


def _keras_model(names, graph):
    keras.utils.set_random_seed(0)
    inputs = [keras.Input(INPUTS[n][0], dtype=INPUTS[n][1], name=f"in_{n}") for n in names]
    return keras.Model(inputs, graph(*inputs))


def _data(names, batch=2, seed=0):
    rng = np.random.default_rng(seed)
    return [np.asarray(INPUTS[n][2](rng, (batch, *INPUTS[n][0])), dtype=INPUTS[n][1]) for n in names]


def _assert_same(ours, reference, what):
    ours = ours.detach().cpu().numpy() if isinstance(ours, torch.Tensor) else np.asarray(ours)
    reference = np.asarray(reference)
    assert ours.dtype == reference.dtype, f"{what}: dtype {ours.dtype}, Keras {reference.dtype}"
    if reference.dtype == bool or np.issubdtype(reference.dtype, np.integer):
        np.testing.assert_array_equal(ours, reference, err_msg=what)
    else:
        assert_close(ours, reference, FORWARD[reference.dtype.name], what)


@pytest.mark.parametrize("names, graph", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_operation_from_keras_and_back(names, graph):
    keras_model = _keras_model(names, graph)
    data = _data(names)
    expected = keras_model(data)

    ours = tkl.from_keras(keras_model)
    assert any(isinstance(layer, KerasOp) for layer in ours.layers), "the case records no Keras operation"
    _assert_same(ours([torch.from_numpy(x) for x in data]), expected, "from_keras")
    for layer in ours.layers:  # our graph says what Keras recorded for every node
        if isinstance(layer, KerasOp):
            keras_op = keras_model.get_config()["layers"][[n.name for n in ours.layers].index(layer.name)]
            assert (keras_op["module"], keras_op["class_name"]) == (layer.spec.keras_module, layer.spec.keras_name)

    back = tkl.to_keras(ours)
    keras_ops = [(type(op).__module__, type(op).__name__) for op in back._operations
                 if not isinstance(op, keras.layers.Layer)]
    assert keras_ops == [(type(op).__module__, type(op).__name__) for op in keras_model._operations
                         if not isinstance(op, keras.layers.Layer)]
    _assert_same(back(data), expected, "to_keras")


def test_operation_gradients_match_keras():
    import tensorflow as tf

    keras_model = _keras_model("ab", lambda a, b: ops.softmax(ops.gelu(a) * b + 1.0)[:, 1:] / 2.0)
    data = _data("ab")
    tensors = [tf.constant(x) for x in data]
    with tf.GradientTape() as tape:
        tape.watch(tensors)
        total = tf.reduce_sum(keras_model(tensors) ** 2)
    expected = tape.gradient(total, tensors)

    ours = tkl.from_keras(keras_model)
    inputs = [torch.from_numpy(x).requires_grad_() for x in data]
    (ours(inputs) ** 2).sum().backward()
    for x, g in zip(inputs, expected):
        assert_close(x.grad.numpy(), g.numpy(), GRADIENT["float32"], "input gradient")


def test_dense_plus_input():
    a = keras.Input((4,))
    keras_model = keras.Model(a, keras.layers.Dense(4)(a) + a)
    ours = tkl.from_keras(keras_model)
    x = np.random.default_rng(1).standard_normal((3, 4)).astype("float32")
    _assert_same(ours(torch.from_numpy(x)), keras_model(x), "Dense(4)(a) + a")
    assert ours.count_params() == keras_model.count_params() == 20
    add = keras_model._operations[-1]
    assert f"{add.name} (Add)" in _summary(ours)  # as Keras' summary shows the operation
    assert f"{add.name} (Add)" in _summary(keras_model)


def _summary(model):
    lines = []
    model.summary(print_fn=lines.append)
    return "\n".join(lines)


def test_keras_file_round_trip(tmp_path):
    keras_model = _keras_model("ab", lambda a, b: ops.concatenate([(a * 2.0)[:, :2], ops.relu(b)[..., 1:3, :]], 1))
    path = tmp_path / "ops.keras"
    keras_model.save(path)
    ours = tkl.from_keras(str(path))
    data = _data("ab")
    _assert_same(ours([torch.from_numpy(x) for x in data]), keras_model(data), "from a .keras file")
    saved = tmp_path / "back.keras"
    tkl.to_keras(ours).save(saved)
    _assert_same(keras.saving.load_model(saved)(data), keras_model(data), "to_keras, saved and loaded")


def test_compile_fullgraph_and_state_dict():
    keras_model = _keras_model("ab", lambda a, b: ops.mean(ops.where(a > 0, a, b)[:, 1:] * 2.0, axis=-1))
    ours = tkl.from_keras(keras_model)
    data = [torch.from_numpy(x) for x in _data("ab")]
    eager = ours(data)
    compiled = torch.compile(ours, fullgraph=True)(data)
    torch.testing.assert_close(compiled, eager, rtol=0, atol=0)
    assert ours.state_dict().keys() == tkl.from_keras(keras_model).state_dict().keys()
    assert ours.double()([x.double() for x in data]).dtype == torch.float64


def test_output_dtypes_recorded_like_keras():
    keras_model = _keras_model("ai", lambda a, i: [a > 0, ops.cast(a, "int32"), ops.mean(i), i * 2.0])
    ours = tkl.from_keras(keras_model)
    ours_config = {entry["name"]: entry for entry in ours.get_config()["layers"]}
    for entry in keras_model.get_config()["layers"]:
        for node, ours_node in zip(entry["inbound_nodes"], ours_config[entry["name"]]["inbound_nodes"]):
            for arg, ours_arg in zip(node["args"], ours_node["args"]):
                if isinstance(arg, dict) and arg.get("class_name") == "__keras_tensor__":
                    assert ours_arg["config"]["dtype"] == arg["config"]["dtype"]
                    assert tuple(ours_arg["config"]["shape"]) == tuple(arg["config"]["shape"])
    outputs = ours([torch.zeros(2, 3, 4), torch.zeros(2, 3, 4, dtype=torch.int32)])
    assert [dtype_name(t.dtype) for t in outputs] == [t.dtype for t in keras_model.outputs]


def test_unsupported_operation_names_itself():
    a = keras.Input((3, 4))
    keras_model = keras.Model(a, ops.cumsum(a, axis=1) + 1.0)
    with pytest.raises(NotImplementedError, match=r"'cumsum' \(keras\.src\.ops\.numpy\.Cumsum\)"):
        tkl.from_keras(keras_model)
