"""tkl.Sequential and tkl.Model in pure PyTorch (no TensorFlow): building, shapes, summary, weights,
config, training/mask propagation, and the torch integrations (compile, state_dict, dtype, autocast,
ONNX). Cross-framework equality lives in equivalence_tests/test_models.py."""

import subprocess
import sys

import numpy as np
import pytest
import torch

import torchkeras_layers as tkl
from torchkeras_layers.layers import Layer
from torchkeras_layers.models import Model, Node, TensorRef
from torchkeras_layers.optimizers import keras_adam, keras_rmsprop, keras_sgd


def _mlp(**kwargs):
    return tkl.Sequential([tkl.Input((5,)), tkl.Dense(4, activation="relu"), tkl.Dense(3)], **kwargs)


# ---------------------------------------------------------------------------- building and shapes
def test_seed_example_output_shape():
    model = tkl.Sequential([tkl.Input((32,)), tkl.Dense(32), tkl.RepeatVector(3)])
    assert model.output_shape == (None, 3, 32)
    assert model.built and model.input_shape == (None, 32)
    assert model(torch.randn(4, 32)).shape == (4, 3, 32)


def test_input_builds_eagerly_and_add_keeps_building():
    model = tkl.Sequential()
    model.add(tkl.Input((6,)))
    model.add(tkl.Dense(4))
    assert model.built and len(model.get_weights()) == 2
    model.add(tkl.Dense(2))
    assert model.output_shape == (None, 2) and len(model.get_weights()) == 4
    assert [type(l).__name__ for l in model.layers] == ["Dense", "Dense"]  # the Input is not in `layers`


def test_lazy_build_on_first_call_keeps_batch_unknown():
    model = tkl.Sequential([tkl.Dense(4), tkl.Dense(2)])
    assert not model.built
    with pytest.raises(AttributeError, match="no defined output shape"):
        model.output_shape
    model(torch.randn(7, 3))
    assert model.input_shape == (None, 3) and model.output_shape == (None, 2)
    assert model(torch.randn(2, 3)).shape == (2, 2)  # another batch size still works
    assert model.get_config()["build_input_shape"] == (None, 3)


def test_explicit_build_and_legacy_input_shape_argument():
    model = tkl.Sequential([tkl.Dense(4), tkl.Dense(2)])
    model.build((None, 9))
    assert model.layers[0].kernel.shape == (9, 4)
    legacy = tkl.Sequential([tkl.Dense(4, input_shape=(9,))])
    assert legacy.built and legacy.input_shape == (None, 9)


def test_pop_and_rebuild():
    model = _mlp()
    last = model.pop()
    assert type(last).__name__ == "Dense" and last.units == 3
    assert model.output_shape == (None, 4) and len(model.get_weights()) == 2
    model.pop()
    with pytest.raises(IndexError, match="no layers"):
        model.pop()


def test_add_and_build_errors_name_the_model_and_argument():
    model = _mlp(name="m")
    with pytest.raises(ValueError, match="unique names"):
        model.add(tkl.Dense(2, name=model.layers[0].name))
    with pytest.raises(ValueError, match="already been configured to use input shape"):
        model.add(tkl.Input((5,)))
    with pytest.raises(ValueError, match="only torchkeras_layers layers"):
        model.add(torch.nn.Linear(3, 3))
    with pytest.raises(TypeError, match="argument `layers`"):
        tkl.Sequential(tkl.Dense(3))
    with pytest.raises(ValueError, match="cannot build it with input_shape"):
        model.build((None, 6))
    with pytest.raises(ValueError, match="cannot be built because it has no layers"):
        tkl.Sequential().build((None, 3))


def test_model_input_checks_like_keras():
    model = _mlp(name="m")
    with pytest.raises(ValueError, match=r"Sequential \('m'\): input 'input_layer.*' is incompatible: "
                                         r"expected shape=\(None, 5\), found shape=\(2, 6\)"):
        model(torch.randn(2, 6))
    with pytest.raises(ValueError, match="incompatible"):
        model(torch.randn(2, 5, 1))
    # Keras leaves the batch size free even for a fixed `batch_shape`, and casts to the Input dtype.
    fixed = tkl.Sequential([tkl.Input(batch_shape=(4, 5)), tkl.Dense(2)])
    assert fixed(torch.randn(3, 5, dtype=torch.float64)).dtype == torch.float32


# ---------------------------------------------------------------------------- summary
def test_summary_table(capsys):
    model = tkl.Sequential([tkl.Input((32,)), tkl.Dense(32, name="d"), tkl.RepeatVector(3, name="r")], name="seq")
    model.summary()
    text = capsys.readouterr().out
    assert 'Model: "seq"' in text
    assert "│ d (Dense)" in text and "(None, 32)" in text and "1,056" in text
    assert "r (RepeatVector)" in text and "(None, 3, 32)" in text
    assert " Total params: 1,056 (4.12 KB)" in text
    assert " Trainable params: 1,056 (4.12 KB)" in text
    assert " Non-trainable params: 0 (0.00 B)" in text


def test_summary_counts_non_trainable_and_unbuilt(capsys):
    model = tkl.Sequential([tkl.Input((4, 4, 2)), tkl.BatchNormalization(), tkl.Flatten(), tkl.Dense(3)])
    model.summary()
    text = capsys.readouterr().out
    # BN: gamma, beta (2+2) trainable, moving mean/variance (2+2) not; Dense on 32 features: 32*3 + 3
    assert " Total params: 107 (428.00 B)" in text
    assert " Trainable params: 103 (412.00 B)" in text and " Non-trainable params: 4 (16.00 B)" in text
    unbuilt = tkl.Sequential([tkl.Dense(3)])
    unbuilt.summary()
    assert "0 (unbuilt)" in capsys.readouterr().out


# ---------------------------------------------------------------------------- weights
def test_get_set_weights_layer_by_layer_in_keras_order():
    model = tkl.Sequential([tkl.Input((4, 4, 2)), tkl.Dense(3), tkl.BatchNormalization(), tkl.Dense(2)])
    shapes = [w.shape for w in model.get_weights()]
    # Dense kernel, bias; BN gamma, beta, moving_mean, moving_variance; Dense kernel, bias
    assert shapes == [(2, 3), (3,), (3,), (3,), (3,), (3,), (3, 2), (2,)]
    new = [np.full(s, i, dtype=np.float32) for i, s in enumerate(shapes)]
    model.set_weights(new)
    assert torch.equal(model.layers[1].moving_mean, torch.full((3,), 4.0))
    for a, b in zip(model.get_weights(), new):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="expected a list of 8 weights"):
        model.set_weights(new[:-1])
    with pytest.raises(ValueError, match="weight `dense_.*/kernel` expects shape"):
        model.set_weights([np.zeros((5, 5), np.float32)] + new[1:])


def test_trainable_false_freezes_every_layer():
    model = _mlp()
    model.trainable = False
    assert not any(p.requires_grad for p in model.parameters())
    assert model.trainable_weights == [] and len(model.non_trainable_weights) == 4
    assert model.get_config()["trainable"] is False


def test_regularization_losses_are_collected():
    model = tkl.Sequential([tkl.Input((3,)), tkl.Dense(2, kernel_regularizer="l2", activity_regularizer="l1")])
    x = torch.randn(4, 3)
    y = model(x)
    kernel = model.layers[0].kernel
    expected = 0.01 * (kernel ** 2).sum() + 0.01 * y.abs().sum() / 4
    torch.testing.assert_close(tkl.regularization_loss(model), expected)


# ---------------------------------------------------------------------------- config
def test_config_round_trip_rebuilds_the_same_model():
    model = _mlp(name="mlp")
    config = model.get_config()
    assert config["name"] == "mlp" and config["build_input_shape"] == (None, 5)
    assert [e["class_name"] for e in config["layers"]] == ["InputLayer", "Dense", "Dense"]
    assert config["layers"][1]["build_config"] == {"input_shape": (None, 5)}
    clone = tkl.Sequential.from_config(config)
    assert clone.get_config() == config
    clone.set_weights(model.get_weights())
    x = torch.randn(3, 5)
    torch.testing.assert_close(clone(x), model(x))
    with pytest.raises(ValueError, match="'name' and 'layers'"):
        tkl.Sequential.from_config({"layers": []})


def test_unsupported_layer_in_config_lists_every_one():
    config = _mlp().get_config()
    config["layers"].insert(1, {"module": "keras.layers", "class_name": "Hashing", "config": {"name": "hash"}})
    config["layers"].append({"module": "keras.layers", "class_name": "StringLookup", "config": {"name": "lookup"}})
    with pytest.raises(NotImplementedError, match=r"2 layer\(s\).*'hash' \(Hashing\).*'lookup' \(StringLookup\)"):
        tkl.Sequential.from_config(config)


# ---------------------------------------------------------------------------- forward: training and masks
class _Probe(Layer):
    """Records what the container passed (test-only)."""

    supports_masking = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen = []

    def forward(self, inputs, training=None, mask=None):
        self.seen.append((training, None if mask is None else mask.clone()))
        return inputs

    def compute_output_shape(self, input_shape):  # no meta-device forward while building
        return input_shape


class _NoKwargs(Layer):
    def forward(self, inputs):
        return inputs * 1.0

    def compute_output_shape(self, input_shape):
        return input_shape


def test_training_goes_only_to_layers_that_take_it():
    probe = _Probe()
    model = tkl.Sequential([tkl.Input((3,)), _NoKwargs(), probe])
    model(torch.ones(2, 3), training=True)
    model(torch.ones(2, 3))
    assert [t for t, _ in probe.seen] == [True, None]


def test_training_flag_controls_dropout_regardless_of_mode():
    model = tkl.Sequential([tkl.Input((1000,)), tkl.Dropout(0.5)])
    model.eval()
    x = torch.ones(2, 1000)
    assert torch.equal(model(x), x)
    dropped = model(x, training=True)
    assert (dropped == 0).any() and torch.allclose(dropped[dropped != 0], torch.tensor(2.0))
    model.train()
    assert (model(x) == 0).any()
    assert torch.equal(model(x, training=False), x)


def test_mask_propagates_through_compute_mask():
    first, second = _Probe(), _Probe()
    make_mask = tkl.Lambda(lambda x: x, mask=lambda x, m: x[..., 0] > 0)
    model = tkl.Sequential([tkl.Input((4, 2)), make_mask, first, _NoKwargs(), second])
    x = torch.tensor([[[1.0, 0], [-1, 0], [2, 0], [-3, 0]]])
    model(x)
    torch.testing.assert_close(first.seen[0][1], torch.tensor([[True, False, True, False]]))
    assert second.seen[0][1] is None  # a layer without masking support drops the mask, as in Keras
    out, out_mask = model.forward_with_mask(x)
    assert out_mask is None
    given = torch.tensor([[True, True, False, False]])
    tkl.Sequential([tkl.Input((4, 2)), first])(x, mask=given)
    torch.testing.assert_close(first.seen[-1][1], given)


# ---------------------------------------------------------------------------- torch integrations
def _cnn():
    return tkl.Sequential([
        tkl.Input((8, 8, 3)), tkl.Conv2D(4, 3, activation="relu"), tkl.BatchNormalization(), tkl.MaxPooling2D(2),
        tkl.Flatten(), tkl.Dense(8, activation="relu"), tkl.Dropout(0.5), tkl.Dense(10, activation="softmax"),
    ])


def test_compile_fullgraph_matches_eager():
    model = _cnn().eval()
    x = torch.randn(2, 8, 8, 3)
    compiled = torch.compile(model, fullgraph=True, backend="aot_eager")
    torch.testing.assert_close(compiled(x), model(x))
    torch.testing.assert_close(compiled(x, training=False), model(x))


def test_state_dict_round_trip_and_keras_weight_names():
    model = _cnn()
    keys = list(model.state_dict())
    assert keys[:6] == ["layers.0.kernel", "layers.0.bias", "layers.1.gamma", "layers.1.beta",
                        "layers.1.moving_mean", "layers.1.moving_variance"]
    other = _cnn()
    other.load_state_dict(model.state_dict())
    x = torch.randn(2, 8, 8, 3)
    torch.testing.assert_close(other.eval()(x), model.eval()(x))


def test_double_keeps_float64_end_to_end():
    model = _cnn().eval()
    x = torch.randn(2, 8, 8, 3, dtype=torch.float64)
    reference = model(x.float()).double()
    model.double()
    out = model(x)
    assert out.dtype == torch.float64
    torch.testing.assert_close(out, reference, rtol=1e-5, atol=1e-6)


def test_autocast_runs_in_lower_precision():
    model = _cnn().eval()
    x = torch.randn(2, 8, 8, 3)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = model(x)
    torch.testing.assert_close(out.float(), model(x), rtol=3e-2, atol=3e-2)


def test_onnx_export_matches():
    onnx = pytest.importorskip("onnxruntime")
    model = _cnn().eval()
    x = torch.randn(2, 8, 8, 3)
    program = torch.onnx.export(model, (x,), dynamo=True, verbose=False)
    session = onnx.InferenceSession(program.model_proto.SerializeToString())
    out = session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]
    np.testing.assert_allclose(out, model(x).detach().numpy(), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------- functional Model
def _graph():
    a, b = tkl.Input((4,), name="a"), tkl.Input((4,), name="b")
    layers = [a, b, tkl.Dense(3, name="d1"), tkl.Dense(3, name="d2"), tkl.Add(name="add"),
              tkl.Dense(3, name="shared"), tkl.Dense(2, name="head")]
    nodes = [Node("d1", ("a",)), Node("d2", ("b",)), Node("add", ([TensorRef("d1"), TensorRef("d2")],)),
             Node("shared", ("add",)), Node("shared", (TensorRef("shared", 0),)),
             Node("head", (TensorRef("shared", 1),))]
    return Model(layers, nodes, inputs=["a", "b"], outputs=["head", "add"], name="g")


def test_functional_graph_runs_like_the_hand_written_computation():
    model = _graph()
    a, b = torch.randn(5, 4), torch.randn(5, 4)
    head, add = model([a, b])
    L = {l.name: l for l in model.layers}
    expected_add = L["d1"](a) + L["d2"](b)
    expected_head = L["head"](L["shared"](L["shared"](expected_add)))
    torch.testing.assert_close(add, expected_add)
    torch.testing.assert_close(head, expected_head)
    by_name = model({"a": a, "b": b})
    torch.testing.assert_close(by_name[0], head)
    assert model.output_shape == [(None, 2), (None, 3)] and model.input_shape == [(None, 4), (None, 4)]
    assert "shared[1][0] = shared:Dense(shared)" in model.graph
    assert "graph:" in repr(model)


def test_functional_weights_config_and_compile():
    model = _graph()
    assert [w.shape for w in model.get_weights()] == [(4, 3), (3,), (4, 3), (3,), (3, 3), (3,), (3, 2), (2,)]
    config = model.get_config()
    assert config["input_layers"] == [["a", 0, 0], ["b", 0, 0]]
    assert config["output_layers"] == [["head", 0, 0], ["add", 0, 0]]
    clone = Model.from_config(config)
    assert clone.get_config() == config
    clone.set_weights(model.get_weights())
    a, b = torch.randn(2, 4), torch.randn(2, 4)
    for x, y in zip(clone([a, b]), model([a, b])):
        torch.testing.assert_close(x, y)
    compiled = torch.compile(model, fullgraph=True, backend="aot_eager")
    for x, y in zip(compiled([a, b]), model([a, b])):
        torch.testing.assert_close(x, y)


def test_call_node_runs_one_layer_call_on_given_inputs():
    model = _graph()
    assert model.node_keys() == ["d1", "d2", "add", "shared", "shared[1]", "head"]
    assert model.node_inputs("add") == [TensorRef("d1"), TensorRef("d2")]
    assert model.node_inputs("shared[1]") == [TensorRef("shared", 0)]
    L = {l.name: l for l in model.layers}
    fed = {ref: torch.randn(5, 3) for ref in (TensorRef("d1"), TensorRef("d2"), TensorRef("shared", 0))}
    torch.testing.assert_close(model.call_node("add", fed.__getitem__), fed[TensorRef("d1")] + fed[TensorRef("d2")])
    torch.testing.assert_close(model.call_node("shared[1]", fed.__getitem__), L["shared"](fed[TensorRef("shared", 0)]))
    with pytest.raises(ValueError, match=r"no layer call 'shared\[2\]'; the calls are \['d1'"):
        model.call_node("shared[2]", fed.__getitem__)


def test_functional_summary_lists_connections(capsys):
    _graph().summary()
    text = capsys.readouterr().out
    assert "Connected to" in text and "add (Add)" in text and "d1[0][0], d2[0][0]" in text
    assert "shared (Dense)" in text and "add[0][0], shared[0][0]" in text


def test_functional_graph_errors():
    x = tkl.Input((4,), name="x")
    with pytest.raises(ValueError, match="unknown layer 'nope'"):
        Model([x, tkl.Dense(2, name="d")], [Node("d", ("nope",))], inputs="x", outputs="d")
    with pytest.raises(ValueError, match="loops or references tensors that are never produced"):
        Model([x, tkl.Dense(4, name="p"), tkl.Dense(4, name="q")],
              [Node("p", ("q",)), Node("q", ("p",))], inputs="x", outputs="q")
    with pytest.raises(ValueError, match="must reference Input layers"):
        Model([x, tkl.Dense(2, name="d")], [Node("d", ("x",))], inputs="d", outputs="d")
    with pytest.raises(ValueError, match="layer names must be unique"):
        Model([x, tkl.Dense(2, name="x")], [], inputs="x", outputs="x")
    model = Model([x, tkl.Dense(2, name="d")], [Node("d", ("x",))], inputs="x", outputs="d")
    with pytest.raises(ValueError, match="must hold 1 tensors"):
        model([torch.randn(1, 4), torch.randn(1, 4)])


def test_nested_sequential_inside_functional():
    inner = tkl.Sequential([tkl.Input((4,)), tkl.Dense(4, name="inner_d")], name="inner")
    x = tkl.Input((4,), name="x")
    model = Model([x, inner, tkl.Dense(1, name="out")], [Node("inner", ("x",)), Node("out", ("inner",))],
                  inputs="x", outputs="out")
    t = torch.randn(3, 4)
    torch.testing.assert_close(model(t), model.layers[2](inner(t)))
    assert len(model.get_weights()) == 4
    clone = Model.from_config(model.get_config())
    assert clone.get_config() == model.get_config()


# ---------------------------------------------------------------------------- optimizers (pure torch checks)
def test_optimizer_argument_validation():
    params = [torch.nn.Parameter(torch.zeros(2))]
    with pytest.raises(ValueError, match="only one of `clipnorm`, `clipvalue` and `global_clipnorm`"):
        keras_adam(params, clipnorm=1.0, clipvalue=1.0)
    with pytest.raises(ValueError, match="SGD: argument `momentum`"):
        keras_sgd(params, momentum=1.5)
    with pytest.raises(ValueError, match="RMSprop: argument `rho`"):
        keras_rmsprop(params, rho=2.0)


def test_keras_adam_defaults_and_state_dict_round_trip():
    p = torch.nn.Parameter(torch.ones(3))
    opt = keras_adam([p])
    group = opt.param_groups[0]
    assert group["lr"] == 0.001 and group["betas"] == (0.9, 0.999) and group["keras_epsilon"] == 1e-7
    p.grad = torch.ones(3)
    opt.step()
    saved = opt.state_dict()
    other = keras_adam([torch.nn.Parameter(p.detach().clone())])
    other.load_state_dict(saved)
    assert other.param_groups[0]["iterations"] == 1


def test_import_does_not_load_tensorflow():
    code = ("import sys, torchkeras_layers as tkl; tkl.Sequential; tkl.Model; tkl.from_keras; tkl.optimizers; "
            "tkl.testing; assert not {'tensorflow', 'keras', 'tf_keras'} & set(sys.modules), sorted(sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
