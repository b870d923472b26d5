"""What the registry cannot express for the convolution and pooling layers (pure torch, no TensorFlow):
no hidden copies on the channels-last hot path, TF SAME as one F.pad of the remainder, argument checks
stricter than Keras' constructors (Keras accepts these at construction and fails, or misbehaves, at
call time), NaN-free gradients where Keras/torch give NaN, and the weight layouts.
(compile / export / ONNX / autocast / state_dict / double: equivalence_tests/test_compile_export.py.)"""

import numpy as np
import pytest
import torch

import torchkeras_layers as tkl


@pytest.mark.parametrize("factory,shape", [
    (lambda: tkl.Conv2D(4, 3, padding="same"), (2, 7, 7, 3)),  # k=3, s=1: symmetric (1, 1)
    (lambda: tkl.Conv2D(6, 3, strides=2, groups=3), (2, 7, 7, 3)),
    (lambda: tkl.Conv1D(4, 3), (2, 9, 3)),
    (lambda: tkl.Conv2D(4, 1, use_bias=False), (2, 7, 7, 3)),  # the GEMM route (with a bias, addmm copies it in)
    # (tiny 3-D inputs take torch's slow_conv3d, which copies)
    (lambda: tkl.Conv3D(4, 3, padding="same"), (2, 6, 6, 6, 8)),
    (lambda: tkl.MaxPooling2D(3, 2, padding="same"), (2, 7, 7, 3)),  # n=7: symmetric (1, 1)
    (lambda: tkl.AveragePooling1D(3, 1, padding="same"), (2, 9, 3)),
    (lambda: tkl.AdaptiveAveragePooling2D(3), (2, 7, 8, 3)),
], ids=["Conv2D", "Conv2D-groups", "Conv1D", "Conv2D-1x1-gemm", "Conv3D", "MaxPooling2D", "AveragePooling1D",
        "AdaptiveAveragePooling2D"])
def test_channels_last_hot_path_makes_no_copies(factory, shape):
    """No copy of the input, the kernel or the output (no contiguous/permute/pad copies)."""
    module = factory().eval()
    x = torch.randn(shape)
    module(x)
    with torch.profiler.profile() as prof:
        y = module(x)
    ops = {e.key for e in prof.key_averages()}
    assert not ops & {"aten::copy_", "aten::clone", "aten::contiguous", "aten::constant_pad_nd"}, ops
    assert y.shape[0] == shape[0]


@pytest.mark.parametrize("shape,route", [((2, 16, 32, 7), "aten::addmm"), ((2, 17, 32, 7), "aten::convolution")],
                         ids=["1024-positions-gemm", "1088-positions-onednn"])
def test_pointwise_convolution_route_follows_the_number_of_positions(shape, route):
    """A 1x1 convolution over at most POINTWISE_GEMM_MAX_ROWS positions is one GEMM, above it torch's
    convolution (docs/benchmarks.md, "Pointwise convolutions")."""
    from torchkeras_layers.ops.convolution import POINTWISE_GEMM_MAX_ROWS

    assert POINTWISE_GEMM_MAX_ROWS == 1024  # what the two shapes straddle
    module = tkl.Conv2D(5, 1).eval()
    x = torch.randn(shape)
    module(x)
    with torch.profiler.profile() as prof:
        module(x)
    ops = {e.key for e in prof.key_averages()}
    assert route in ops and not ops & ({"aten::addmm", "aten::convolution"} - {route}), ops


@pytest.mark.parametrize("shape,gemm", [((2, 16, 32, 7), True), ((2, 17, 32, 7), False)],
                         ids=["1024-positions-gemm", "1088-positions-onednn"])
def test_separable_pointwise_step_follows_the_same_rule(shape, gemm):
    """SeparableConv2D's pointwise step is a 1x1 convolution of the depthwise output: the same rule, and
    the GEMM reads the depthwise output's channels-last buffer without a copy (no bias: addmm copies a
    bias into its output before the product)."""
    module = tkl.SeparableConv2D(5, 3, padding="same", use_bias=False).eval()
    x = torch.randn(shape)
    module(x)
    with torch.profiler.profile() as prof:
        module(x)
    counts = {e.key: e.count for e in prof.key_averages()}
    assert counts.get("aten::convolution") == (1 if gemm else 2), counts
    assert ("aten::mm" in counts) == gemm, counts
    assert "aten::copy_" not in counts and "aten::clone" not in counts, counts


def test_asymmetric_same_padding_pads_once():
    """TF SAME with the extra unit at the end is one F.pad of the remainder, not torch's symmetric padding."""
    module = tkl.Conv2D(2, 2, padding="same").eval()  # k=2: (0, 1) on each axis
    x = torch.randn(1, 4, 4, 1)
    module(x)
    with torch.profiler.profile() as prof:
        module(x)
    assert sum(e.count for e in prof.key_averages() if e.key == "aten::constant_pad_nd") == 1


def test_max_pooling_same_with_end_unit_makes_no_padded_copy():
    """3/2 'same' on an even size pads (0, 1): torch's ceil_mode window gives exactly that, no F.pad."""
    module = tkl.MaxPooling2D(3, strides=2, padding="same").eval()
    x = torch.randn(2, 8, 8, 4)
    y = module(x)
    with torch.profiler.profile() as prof:
        module(x)
    assert not any(e.key in ("aten::constant_pad_nd", "aten::copy_") for e in prof.key_averages())
    padded = torch.nn.functional.pad(x.permute(0, 3, 1, 2), (0, 1, 0, 1), value=-float("inf"))
    torch.testing.assert_close(y, torch.nn.functional.max_pool2d(padded, 3, 2).permute(0, 2, 3, 1), rtol=0, atol=0)


@pytest.mark.parametrize("factory,arg", [
    (lambda: tkl.MaxPooling2D(2, strides=0), "strides"),
    (lambda: tkl.AveragePooling1D(2, padding="full"), "padding"),
    (lambda: tkl.MaxPooling1D(2, padding=None), "padding"),
    (lambda: tkl.AdaptiveAveragePooling2D(0), "output_size"),
    (lambda: tkl.AdaptiveMaxPooling1D(-1), "output_size"),
])
def test_stricter_than_keras_constructor_checks(factory, arg):
    """Keras 3.15 accepts these at construction and fails later with a backend error (or, for
    output_size=0, returns an empty tensor); we fail at construction, naming layer and argument."""
    with pytest.raises(ValueError, match=rf"`{arg}`"):
        factory()


def test_global_average_pooling_fully_masked_row_is_zero_with_finite_gradient():
    x = torch.randn(2, 4, 3, requires_grad=True)
    mask = torch.tensor([[False] * 4, [True, False, True, False]])
    y = tkl.GlobalAveragePooling1D()(x, mask=mask)
    assert torch.equal(y[0], torch.zeros(3))
    torch.testing.assert_close(y[1], (x[1, 0] + x[1, 2]) / 2)
    y.sum().backward()
    assert torch.isfinite(x.grad).all()


@pytest.mark.parametrize("norm_type", [2, 3, 2.5])
def test_lp_pooling_gradient_is_the_analytic_one_and_zero_on_all_zero_windows(norm_type):
    """d/dx_i (sum_W |x|^p)^(1/p) = sign(x_i) |x_i|^(p-1) s^(1/p-1) in numpy, with one all-zero window
    (common after a ReLU) whose gradient is 0 (torch's LPPool gives NaN there)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 6, 6, 2))
    x[0, :2, :2, :] = 0.0  # the first 2x2 window of batch 0, every channel
    x[1, 2, 2, 0] = 0.0  # a zero inside a non-zero window
    x_t = torch.tensor(x, requires_grad=True)
    y = tkl.LPPooling2D(norm_type, 2, dtype="float64")(x_t)
    cotangent = rng.standard_normal(tuple(y.shape))
    (y * torch.from_numpy(cotangent)).sum().backward()

    windows = x.reshape(2, 3, 2, 3, 2, 2)  # (batch, row, dy, col, dx, channel): 2x2 windows, stride 2
    sums = (np.abs(windows) ** norm_type).sum(axis=(2, 4), keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        derivative = np.sign(windows) * np.abs(windows) ** (norm_type - 1) * sums ** (1 / norm_type - 1)
        local = np.where(sums > 0, derivative, 0.0)
    expected = (local * cotangent[:, :, None, :, None, :]).reshape(x.shape)
    np.testing.assert_allclose(x_t.grad.numpy(), expected, rtol=1e-12, atol=1e-12)
    assert np.all(x_t.grad.numpy()[0, :2, :2] == 0.0)


@pytest.mark.parametrize("norm_type", [1, 2, 3, 2.5])
def test_lp_pooling_gradcheck_float64_away_from_zero(norm_type):
    rng = np.random.default_rng(1)
    x = rng.uniform(0.5, 2.0, (2, 7, 6, 2)) * rng.choice([-1.0, 1.0], (2, 7, 6, 2))  # |x| >= 0.5: |x|^p smooth
    layer = tkl.LPPooling2D(norm_type, 3, strides=2, padding="same", dtype="float64")
    assert torch.autograd.gradcheck(layer, (torch.tensor(x, requires_grad=True),))


def test_aliases_are_the_keras_classes():
    layers = tkl.layers
    assert layers.MaxPool2D is layers.MaxPooling2D and layers.AvgPool3D is layers.AveragePooling3D
    assert layers.GlobalMaxPool1D is layers.GlobalMaxPooling1D
    assert layers.GlobalAvgPool2D is layers.GlobalAveragePooling2D
    assert layers.Convolution2D is layers.Conv2D


def test_conv_kernel_storage_and_keras_layout():
    layer = tkl.Conv2D(6, (3, 2), groups=2)
    layer(torch.randn(1, 6, 6, 4))
    assert layer.kernel.shape == (6, 2, 3, 2)  # torch layout (filters, in/groups, kh, kw)
    kernel, bias = layer.get_weights()
    assert kernel.shape == (3, 2, 2, 6) and bias.shape == (6,)
    np.testing.assert_array_equal(kernel, layer.kernel.detach().permute(2, 3, 1, 0).numpy())


@pytest.mark.parametrize("make", [lambda: tkl.Conv2D(2, 3, padding="same"),
                                  lambda: tkl.DepthwiseConv2D(3, padding="same"),
                                  lambda: tkl.SeparableConv2D(2, 3, padding="same"),
                                  lambda: tkl.MaxPooling2D(3, 2, padding="same")],
                         ids=["Conv2D", "DepthwiseConv2D", "SeparableConv2D", "MaxPooling2D"])
def test_window_layers_work_out_their_paddings_once_per_input_size(monkeypatch, make):
    from torchkeras_layers.layers.convolutional import base_window_conv
    from torchkeras_layers.layers.pooling import base_pooling

    sizes = []
    for module in (base_window_conv, base_pooling):
        real = module.window_paddings
        monkeypatch.setattr(module, "window_paddings", lambda *args, real=real: sizes.append(args[1]) or real(*args))
    layer = make()
    layer(torch.randn(1, 5, 5, 3))
    computed = len(sizes)
    layer(torch.randn(1, 5, 5, 3)), layer(torch.randn(4, 5, 5, 3))  # the same spatial sizes, any batch
    assert len(sizes) == computed
    assert layer(torch.randn(1, 6, 7, 3)).shape[1:3] == make()(torch.randn(1, 6, 7, 3)).shape[1:3]
    assert len(sizes) > computed and sizes[-1] == (6, 7)
    for _ in range(2):  # a refused size is refused every time: nothing is kept for it
        with pytest.raises(ValueError, match="too small|smaller than"):
            layer(torch.randn(1, 0, 5, 3))
    for n in range(8, 8 + 70):  # variable sizes keep at most a bounded number of entries
        layer(torch.randn(1, n, 5, 3))
    assert len(layer._per_shape_memo) <= 64
