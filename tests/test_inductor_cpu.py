"""`ops.inductor_cpu`: rectifiers whose compiled CPU training graphs save floats, not bool masks.

The reference is torch's own op (`F.relu`, `F.relu6`, `F.leaky_relu`), which the equivalence suite
proves equal to Keras: the gradient must be the same bit for bit, at the kinks, for NaN and inf inputs
and for NaN and inf gradients, and what inductor's compiled graph saves for the backward must be floats.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from aot_graphs import aot_graphs

import torchkeras_layers as tkl
from torchkeras_layers.ops import inductor_cpu

RECTIFIERS = {
    "relu": (inductor_cpu._Relu.apply, F.relu),
    "relu6": (inductor_cpu._Relu6.apply, F.relu6),
    "leaky_relu_0.2": (lambda x: inductor_cpu._LeakyRelu.apply(x, 0.2), lambda x: F.leaky_relu(x, 0.2)),
    "leaky_relu_0.3": (lambda x: inductor_cpu._LeakyRelu.apply(x, 0.3), lambda x: F.leaky_relu(x, 0.3)),
}
SPECIAL = [0.0, -0.0, 6.0, -6.0, 5.999999, 6.000001, 1e-30, -1e-30, math.inf, -math.inf, math.nan]


def _input_and_cotangent(dtype):
    generator = torch.Generator().manual_seed(0)
    x = torch.cat([torch.tensor(SPECIAL), torch.randn(200, generator=generator) * 4]).to(dtype)
    cotangent = torch.randn(x.shape, generator=generator).to(dtype)
    cotangent[:3] = torch.tensor([math.nan, math.inf, -math.inf])  # the gradient's bits feed the mask
    cotangent[-3:] = torch.tensor([math.nan, math.inf, -math.inf])
    return x, cotangent


def _gradient(fn, x, cotangent):
    x = x.clone().requires_grad_()
    y = fn(x)
    y.backward(cotangent)
    return y.detach(), x.grad


def _assert_bit_equal(got, expected):
    assert torch.equal(got.isnan(), expected.isnan())
    assert torch.equal(got.nan_to_num().view(torch.int8), expected.nan_to_num().view(torch.int8))  # -0.0 too


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16, torch.float16], ids=str)
@pytest.mark.parametrize("name", list(RECTIFIERS))
def test_rectifier_gradient_equals_torch_bit_for_bit(name, dtype):
    ours, reference = RECTIFIERS[name]
    x, cotangent = _input_and_cotangent(dtype)
    out, grad = _gradient(ours, x, cotangent)
    expected_out, expected_grad = _gradient(reference, x, cotangent)
    _assert_bit_equal(out, expected_out)
    _assert_bit_equal(grad, expected_grad)


LAYERS = {
    "ReLU": lambda: tkl.ReLU(),
    "ReLU_max_value_6": lambda: tkl.ReLU(max_value=6.0),
    "LeakyReLU": lambda: tkl.LeakyReLU(),
    "Activation_relu6": lambda: tkl.Activation("relu6"),
    "Dense_relu": lambda: tkl.Dense(5, activation="relu"),
}


def _pre_activation(layer):
    """`layer` after a scaling: the rectifier's input is then an intermediate the partitioner may not
    keep (a graph input is kept anyway), as a convolution's output before a ReLU is."""
    return lambda x: layer(x * 2.0)


@pytest.mark.parametrize("name", list(LAYERS))
def test_compiled_training_saves_floats_and_equals_eager(name):
    """Inductor saves the cheapest tensors the backward can be computed from; for a rectifier that is
    its bool mask, computed in the forward, where inductor writes bools element by element. The
    compiled graph must save floats, and give eager's gradient."""
    layer = LAYERS[name]()
    generator = torch.Generator().manual_seed(3)
    x = torch.randn(4, 6, 7, generator=generator) * 4
    x[0, 0, :3] = torch.tensor([0.0, 3.0, math.nan])  # kinks of x * 2: 0 and 6
    layer(x)  # build
    fn = _pre_activation(layer)
    cotangent = torch.randn(fn(x).shape, generator=generator)
    expected_out, expected_grad = _gradient(fn, x, cotangent)
    torch._dynamo.reset()
    compiled = torch.compile(fn, fullgraph=True)
    xc = x.clone().requires_grad_()
    out = compiled(xc)
    saved = out.grad_fn.saved_tensors  # inductor's CompiledFunction
    assert saved and all(t.dtype.is_floating_point for t in saved), [t.dtype for t in saved]
    out.backward(cotangent)
    _assert_bit_equal(out.detach(), expected_out)
    _assert_bit_equal(xc.grad, expected_grad)


class _Module(torch.nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


@pytest.mark.parametrize("name,aten,aten_backward", [("relu", "relu", "threshold_backward"),
                                                     ("relu6", "hardtanh", "hardtanh_backward"),
                                                     ("leaky_relu_0.2", "leaky_relu", "leaky_relu_backward")])
def test_torch_op_is_kept_eagerly_for_inference_and_in_export(name, aten, aten_backward):
    """Eager calls, inference graphs (inductor's freezing fuses convolution + ReLU there) and exported
    programs (ONNX has Relu) keep torch's op and its backward; a compiled CPU training graph has torch's
    forward op and our backward."""
    public = {"relu": inductor_cpu.relu, "relu6": inductor_cpu.relu6,
              "leaky_relu_0.2": lambda t: inductor_cpu.leaky_relu(t, 0.2)}[name]
    fn = _Module(lambda t: public(t * 2))
    x = torch.randn(3, 5, requires_grad=True)
    assert type(fn(x).grad_fn).__name__ != "BackwardCFunction"  # eager: torch's autograd node
    (forward, backward), _ = aot_graphs(fn, x, backward=True)
    assert f"aten.{aten}" in forward and f"aten.{aten_backward}" not in backward and "bitwise_and" in backward
    with torch.no_grad():
        (inference,), _ = aot_graphs(fn, x.detach())
    assert f"aten.{aten}" in inference and "bitwise_and" not in inference
    program = torch.export.export(fn, (x.detach(),))
    assert f"aten.{name.split('_0')[0]}.default" in str(program.graph)  # not decomposed: aten.relu6 here
    torch_op = {"relu": F.relu, "relu6": F.relu6, "leaky_relu_0.2": lambda u: F.leaky_relu(u, 0.2)}[name]
    (_, reference_backward), _ = aot_graphs(_Module(lambda t: torch_op(t * 2)), x, backward=True)
    assert f"aten.{aten_backward}" in reference_backward  # the check above can fail: torch's own op traces this


@pytest.mark.parametrize("noise_shape", [None, (None, 1, None)], ids=["elementwise", "broadcast"])
def test_compiled_dropout_saves_a_float_mask_and_its_gradient_follows_it(noise_shape):
    """`F.dropout` compiles to ``rand > rate``, saved as bools; the layer's compiled CPU training graph
    draws a float mask instead. Its output is ``x * keep`` with ``keep`` in {0, 1 / (1 - rate)}, the
    gradient is the cotangent times the same mask, and about 1 - rate of the values are kept."""
    rate = 0.4
    layer = tkl.Dropout(rate, noise_shape=noise_shape)
    layer.train()
    generator = torch.Generator().manual_seed(4)
    x = torch.randn(8, 16, 500, generator=generator)
    cotangent = torch.randn(x.shape, generator=generator)
    fn = _pre_activation(layer)
    assert type(fn(x.requires_grad_()).grad_fn).__name__ != "BackwardCFunction"  # eager: torch's dropout
    torch._dynamo.reset()
    torch.manual_seed(0)
    xc = x.detach().clone().requires_grad_()
    out = torch.compile(fn, fullgraph=True)(xc)
    saved = out.grad_fn.saved_tensors
    assert saved and all(t.dtype.is_floating_point for t in saved), [t.dtype for t in saved]
    out.backward(cotangent)
    scale = torch.tensor(1.0 / (1.0 - rate))
    kept = out.detach() != 0
    assert torch.equal(out.detach()[kept], (xc.detach() * 2.0 * scale)[kept])
    assert torch.equal(xc.grad, torch.where(kept, cotangent * scale * 2.0, 0.0))
    fraction = kept.float().mean().item()
    samples = kept[:, 0].numel() if noise_shape else kept.numel()
    assert abs(fraction - (1 - rate)) < 5 * math.sqrt(rate * (1 - rate) / samples)
    if noise_shape:
        assert torch.equal(kept, kept[:, :1].expand_as(kept))  # one draw per (batch, feature), broadcast over axis 1


def _saved_activation_layouts(options):
    """What a compiled conv -> BN -> ReLU6 -> conv training graph saves, by layout: channels-last (N, H, W, C)
    tensors (C = 64 or 16, H = W = 10) and torch-layout (N, C, H, W) views of them."""
    model = tkl.Sequential([tkl.Input((10, 10, 16)), tkl.layers.Conv2D(64, 3, padding="same", use_bias=False),
                            tkl.layers.BatchNormalization(), tkl.layers.ReLU(6.0),
                            tkl.layers.Conv2D(16, 3, padding="same")])
    model.train()
    x = torch.randn(8, 10, 10, 16, generator=torch.Generator().manual_seed(5), requires_grad=True)
    model(x)  # build
    torch._dynamo.reset()
    loss = torch.compile(lambda t: model(t).square().mean(), fullgraph=True, options=options)(x)
    layouts = {"nhwc": [], "nchw": []}
    for t in loss.grad_fn.saved_tensors:  # inductor's CompiledFunction
        if t.dim() == 4 and t.shape[1] == t.shape[2] == 10:
            layouts["nhwc"].append(t.is_contiguous())
        elif t.dim() == 4 and t.shape[2] == t.shape[3] == 10:
            layouts["nchw"].append(t.is_contiguous(memory_format=torch.channels_last))
    return layouts


def test_training_compile_options_keep_channels_last_activations_dense():
    """With TRAINING_COMPILE_OPTIONS every saved activation keeps the channels-last memory eager mode
    gives it: (N, H, W, C) contiguous, and (N, C, H, W) views channels_last."""
    layouts = _saved_activation_layouts(inductor_cpu.TRAINING_COMPILE_OPTIONS)
    assert layouts["nhwc"] and all(layouts["nhwc"]) and all(layouts["nchw"]), layouts


def test_inductor_layout_optimization_still_misorders_channels_last_activations():
    """Why TRAINING_COMPILE_OPTIONS exists: by default, inductor lays an (N, H, W, C) activation that
    feeds a convolution out as if dim 1 were the channels. If this fails, torch has fixed it: measure
    the compiled training steps without the options (docs/benchmarks.md) and drop them."""
    layouts = _saved_activation_layouts({})
    assert layouts["nhwc"] and not all(layouts["nhwc"]), layouts
