"""BatchNormalization behaviour the Keras registry cannot express: dtype paths (float16/bfloat16,
mixed precision, `.double()`, torch.autocast), `trainable=False` and `training=` in torch's
train/eval modes, state_dict, no hidden copies on the hot path, torch.compile and ONNX export.

Expected values come from torch's own `F.batch_norm` / `torch.var_mean`, never from our layer.
"""

import copy

import pytest
import torch
import torch.nn.functional as F
from torch.utils._python_dispatch import TorchDispatchMode

from torchkeras_layers.layers import BatchNormalization

MOMENTUM = 0.9
EPS = 1e-3


def _nchw(x):
    return x.permute(0, 3, 1, 2)


def _reference_train(x, gamma, beta, moving_mean, moving_var, momentum=MOMENTUM, eps=EPS):
    """Keras training step on NHWC float32 data: output, then the biased moving-variance update."""
    out = _nchw_back(F.batch_norm(_nchw(x), None, None, gamma, beta, True, 0.0, eps))
    var, mean = torch.var_mean(x, dim=(0, 1, 2), correction=0)
    return out, moving_mean * momentum + mean * (1 - momentum), moving_var * momentum + var * (1 - momentum)


def _nchw_back(y):
    return y.permute(0, 2, 3, 1)


def _built(x, **config):
    layer = BatchNormalization(momentum=MOMENTUM, epsilon=EPS, **config)
    layer.build(tuple(x.shape))
    with torch.no_grad():  # non-trivial weights and statistics
        for name in ("gamma", "beta", "moving_mean"):
            getattr(layer, name).uniform_(-0.5, 1.5)
        layer.moving_variance.uniform_(0.5, 2.0)
    return layer


@pytest.mark.parametrize("policy,half", [("mixed_float16", torch.float16), ("mixed_bfloat16", torch.bfloat16)])
def test_mixed_precision_computes_in_float32_with_float32_statistics(policy, half):
    x = torch.randn(4, 3, 5, 6)
    layer = _built(x, dtype=policy)
    assert layer.gamma.dtype == layer.moving_variance.dtype == torch.float32
    state = {k: v.clone() for k, v in layer.state_dict().items()}
    out = layer(x, training=True)
    # Keras autocasts the input to the 16-bit compute dtype; BN then upcasts it to float32 and casts back.
    expected, mean, var = _reference_train(x.to(half).float(), state["gamma"], state["beta"], state["moving_mean"],
                                           state["moving_variance"])
    assert out.dtype == half
    assert layer.moving_mean.dtype == layer.moving_variance.dtype == torch.float32
    torch.testing.assert_close(out, expected.to(half), rtol=0, atol=0)
    torch.testing.assert_close(layer.moving_mean, mean, rtol=1e-6, atol=1e-7)
    torch.testing.assert_close(layer.moving_variance, var, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("half", [torch.float16, torch.bfloat16])
def test_half_module_computes_in_float32(half):
    """`.half()`/`.bfloat16()` weights: the statistics are computed in float32, stored in 16 bits."""
    x = torch.randn(4, 3, 5, 6).to(half)
    layer = _built(x).to(half)
    state = {k: v.float() for k, v in layer.state_dict().items()}
    out = layer(x, training=True)
    expected, mean, var = _reference_train(x.float(), state["gamma"], state["beta"], state["moving_mean"],
                                           state["moving_variance"])
    assert out.dtype == half and layer.moving_variance.dtype == half
    torch.testing.assert_close(out, expected.to(half), rtol=0, atol=0)
    torch.testing.assert_close(layer.moving_variance, var.to(half), rtol=0, atol=0)


def test_half_input_to_float32_layer_is_autocast_like_keras():
    x = torch.randn(4, 3, 5, 6).half()
    layer = _built(x)
    state = {k: v.clone() for k, v in layer.state_dict().items()}
    out = layer(x, training=True)
    expected, _, _ = _reference_train(x.float(), state["gamma"], state["beta"], state["moving_mean"],
                                      state["moving_variance"])
    assert out.dtype == torch.float32  # Keras casts float inputs to the layer's float32 compute dtype
    torch.testing.assert_close(out, expected, rtol=0, atol=0)


def test_double_module_computes_in_float64():
    x = torch.randn(4, 3, 5, 6)
    layer = _built(x).double()
    state = {k: v.clone() for k, v in layer.state_dict().items()}
    out = layer(x, training=True)  # float32 data is autocast to the float64 weights, as in Keras
    assert out.dtype == torch.float64 and layer.moving_variance.dtype == torch.float64
    expected, mean, var = _reference_train(x.double(), state["gamma"], state["beta"], state["moving_mean"],
                                           state["moving_variance"])
    torch.testing.assert_close(out, expected, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(layer.moving_mean, mean, rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(layer.moving_variance, var, rtol=1e-12, atol=1e-14)


def test_torch_autocast_bfloat16():
    x = torch.randn(4, 3, 5, 6)
    layer = _built(x)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert layer(x.bfloat16(), training=True).dtype == torch.bfloat16
        assert layer(x, training=True).dtype == torch.float32
        assert layer(x.bfloat16(), training=False).dtype == torch.bfloat16
    assert layer.moving_variance.dtype == torch.float32 and torch.isfinite(layer.moving_variance).all()


def test_trainable_false_forces_inference_in_train_mode():
    x = torch.randn(4, 3, 5, 6)
    layer = _built(x)
    layer.trainable = False
    layer.train()
    before = {k: v.clone() for k, v in layer.state_dict().items()}
    out = layer(x, training=True)
    expected = _nchw_back(F.batch_norm(_nchw(x), before["moving_mean"], before["moving_variance"], before["gamma"],
                                       before["beta"], False, 0.0, EPS))
    torch.testing.assert_close(out, expected)
    for name, value in layer.state_dict().items():
        assert torch.equal(value, before[name]), f"{name} changed although trainable=False"
    assert not layer.gamma.requires_grad and not layer.beta.requires_grad
    assert layer.get_config()["trainable"] is False


def test_training_argument_overrides_module_mode():
    x = torch.randn(4, 3, 5, 6)
    layer = _built(x)
    before = layer.moving_mean.clone()
    layer.eval()
    layer(x)  # training=None follows .eval(): nothing moves
    assert torch.equal(layer.moving_mean, before)
    layer(x, training=True)
    assert not torch.equal(layer.moving_mean, before)
    layer.train()
    after = layer.moving_mean.clone()
    layer(x, training=False)
    assert torch.equal(layer.moving_mean, after)
    layer(x)  # training=None follows .train()
    assert not torch.equal(layer.moving_mean, after)


def test_state_dict_round_trip_uses_keras_names():
    x = torch.randn(4, 6, 3)
    layer = _built(x, renorm=True)
    layer(x, training=True)
    assert list(layer.state_dict()) == ["gamma", "beta", "moving_mean", "moving_variance", "moving_stddev",
                                        "renorm_mean", "renorm_stddev"]
    assert [name for name, _ in layer.named_parameters()] == ["gamma", "beta"]
    fresh = BatchNormalization.from_config(layer.get_config())
    fresh.build(tuple(x.shape))
    fresh.load_state_dict(layer.state_dict())
    layer.eval(), fresh.eval()
    torch.testing.assert_close(fresh(x), layer(x), rtol=0, atol=0)


class _OpRecorder(TorchDispatchMode):
    def __init__(self):
        super().__init__()
        self.calls = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        self.calls.append((func, out))
        return out


def _full_size_copies(calls, numel):
    copying = ("clone", "_to_copy", "copy_", "contiguous", "copy")
    found = []
    for func, out in calls:
        outs = out if isinstance(out, (tuple, list)) else [out]
        if func.__name__.split(".")[0] in copying and any(
            isinstance(o, torch.Tensor) and o.numel() == numel for o in outs
        ):
            found.append(func.__name__)
    return found


@pytest.mark.parametrize("shape,axis", [((4, 5, 6, 8), -1), ((2, 3, 4, 5, 8), -1), ((4, 6, 8), -1),
                                        ((4, 8, 5, 6), 1), ((4, 5, 8, 6), 2)])
@pytest.mark.parametrize("training", [True, False])
def test_hot_path_makes_no_copy_of_the_input(shape, axis, training):
    x = torch.randn(*shape, requires_grad=True)
    layer = _built(x, axis=axis)
    with _OpRecorder() as recorder:
        out = layer(x, training=training)
        # autograd.grad, not backward: accumulating into a leaf's .grad clones view-shaped gradients.
        (grad,) = torch.autograd.grad(out, [x], torch.ones_like(out))
    assert out.is_contiguous() and grad.is_contiguous()
    assert _full_size_copies(recorder.calls, x.numel()) == []


def _compiled_matches_eager(layer, x, backend, **call):
    eager = copy.deepcopy(layer)
    compiled = torch.compile(layer, fullgraph=True, backend=backend)
    for _ in range(2):  # the second call runs the cached graph, with the buffers updated in place
        x_eager = x.clone().requires_grad_()
        x_comp = x.clone().requires_grad_()
        expected = eager(x_eager, **call)
        got = compiled(x_comp, **call)
        torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)
        expected.sum().backward()
        got.sum().backward()
        torch.testing.assert_close(x_comp.grad, x_eager.grad, rtol=1e-5, atol=1e-5)
    for name, value in eager.state_dict().items():
        torch.testing.assert_close(layer.state_dict()[name], value, rtol=1e-6, atol=1e-7)


def test_compile_fullgraph_hot_path():
    x = torch.randn(4, 3, 5, 6)
    _compiled_matches_eager(_built(x), x, "inductor", training=True)
    _compiled_matches_eager(_built(x), x, "inductor", training=False)


@pytest.mark.parametrize("masked", [True, False])
def test_compile_fullgraph_renorm(masked):
    # The masked case caught torch.compile recomputing renorm_* reads after their in-place update
    # (wrong input gradients by ~1e-2); see `_pinned` in batch_normalization.py.
    x = torch.randn(4, 5, 6)
    call = {"training": True, "mask": torch.rand(4, 5) < 0.7} if masked else {"training": True}
    layer = _built(x, renorm=True, renorm_clipping={"rmax": 1.2, "dmax": 0.3})
    _compiled_matches_eager(layer, x, "aot_eager", **call)


def test_compile_fullgraph_ghost_batches():
    x = torch.randn(6, 5, 4)
    layer = BatchNormalization(virtual_batch_size=3)
    layer.build(tuple(x.shape))
    _compiled_matches_eager(layer, x, "aot_eager", training=True)


def test_onnx_export_inference():
    onnxruntime = pytest.importorskip("onnxruntime")
    x = torch.randn(4, 3, 5, 6)
    layer = _built(x).eval()
    program = torch.onnx.export(layer, (x,), dynamo=True, verbose=False)
    session = onnxruntime.InferenceSession(program.model_proto.SerializeToString())
    (out,) = session.run(None, {session.get_inputs()[0].name: x.numpy()})
    torch.testing.assert_close(torch.from_numpy(out), layer(x).detach(), rtol=1e-5, atol=1e-5)


def test_compute_output_shape():
    assert BatchNormalization(axis=1).compute_output_shape((None, 3, 4)) == (None, 3, 4)
    with pytest.raises(ValueError, match="BatchNormalization"):
        BatchNormalization(axis=3).compute_output_shape((None, 3))


def test_fused_path_ignores_masks_with_a_warning_like_tf_keras():
    x = torch.randn(4, 3, 5, 6)
    mask = torch.rand(4, 3, 5) < 0.5
    masked, plain = _built(x, fused=True), _built(x, fused=True)
    plain.load_state_dict(masked.state_dict())
    with pytest.warns(UserWarning, match="masks are ignored"):
        out = masked(x, training=True, mask=mask)
    torch.testing.assert_close(out, plain(x, training=True), rtol=0, atol=0)
    torch._dynamo.reset()  # dynamo's per-code-object cache is process-wide: earlier tests' compiles count
    compiled = torch.compile(masked, fullgraph=True, backend="aot_eager")  # no warning call inside the graph
    torch.testing.assert_close(compiled(x, training=True, mask=mask), plain(x, training=True), rtol=0, atol=0)
