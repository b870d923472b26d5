"""What the registry cannot express for the depthwise, separable and transposed convolutions (pure
torch, no TensorFlow): no hidden copies on the channels-last hot path, the storage layouts behind
Keras' weight layouts, TF's transposed-convolution window taken as a view, and argument checks
stricter than Keras' constructors (Keras accepts these and fails when it builds)."""

import numpy as np
import pytest
import torch

import torchkeras_layers as tkl

COPIES = {"aten::copy_", "aten::clone", "aten::contiguous", "aten::constant_pad_nd"}


@pytest.mark.parametrize("factory,shape", [
    (lambda: tkl.layers.DepthwiseConv2D(3, padding="same", depth_multiplier=2), (2, 7, 7, 3)),
    (lambda: tkl.layers.DepthwiseConv2D(3, strides=2, dilation_rate=2), (2, 9, 9, 3)),
    (lambda: tkl.layers.DepthwiseConv1D(3, depth_multiplier=2), (2, 9, 3)),
    (lambda: tkl.layers.SeparableConv2D(4, 3, padding="same"), (2, 7, 7, 3)),
    (lambda: tkl.layers.SeparableConv1D(4, 3), (2, 9, 3)),
    (lambda: tkl.layers.Conv2DTranspose(4, 3, strides=2, padding="same"), (2, 7, 7, 3)),  # narrowed window
    (lambda: tkl.layers.Conv1DTranspose(4, 4, strides=2, padding="same"), (2, 9, 3)),
    (lambda: tkl.layers.Conv3DTranspose(4, 3, strides=2), (2, 6, 6, 6, 8)),
], ids=["DepthwiseConv2D", "DepthwiseConv2D-strided-dilated", "DepthwiseConv1D", "SeparableConv2D",
        "SeparableConv1D", "Conv2DTranspose", "Conv1DTranspose", "Conv3DTranspose"])
def test_channels_last_hot_path_makes_no_copies(factory, shape):
    module = factory().eval()
    x = torch.randn(shape)
    module(x)
    with torch.profiler.profile() as prof:
        y = module(x)
    # SeparableConv's pointwise GEMM (F.linear, as nn.Linear) adds its bias the way addmm does: the bias
    # broadcast into the output buffer first. That is addmm's own, not a copy of the data.
    copies = [e for e in prof.events() if e.name in COPIES
              and not (e.name == "aten::copy_" and e.cpu_parent is not None and e.cpu_parent.name == "aten::addmm")]
    assert not copies, [(e.name, e.cpu_parent.name if e.cpu_parent else None) for e in copies]
    assert y.shape[0] == shape[0]


def test_transpose_same_odd_total_padding_is_a_narrowed_view():
    """k=3, s=2, 'same': TF's window ends one cell before torch's full output; it is narrowed off
    (a view of the kernel's output, whose storage holds the full 2n+1 rows), never padded or copied."""
    layer = tkl.layers.Conv2DTranspose(2, 3, strides=2, padding="same", use_bias=False).eval()
    x = torch.randn(1, 4, 5, 3)
    y = layer(x)
    assert y.shape == (1, 8, 10, 2)
    full = torch.nn.functional.conv_transpose2d(x.permute(0, 3, 1, 2), layer.kernel, stride=2)
    torch.testing.assert_close(y, full[:, :, :8, :10].permute(0, 2, 3, 1), rtol=0, atol=0)


def test_depthwise_kernel_storage_and_keras_layout():
    layer = tkl.layers.DepthwiseConv2D((3, 2), depth_multiplier=2)
    layer(torch.randn(1, 6, 6, 4))
    assert layer.kernel.shape == (4, 2, 3, 2)  # (in, multiplier, kh, kw): reshapes to torch's (8, 1, 3, 2)
    kernel, bias = layer.get_weights()
    assert kernel.shape == (3, 2, 4, 2) and bias.shape == (8,)
    np.testing.assert_array_equal(kernel, layer.kernel.detach().permute(2, 3, 0, 1).numpy())


def test_separable_and_transpose_weight_names_and_layouts():
    sep = tkl.layers.SeparableConv2D(5, 3, depth_multiplier=2)
    sep(torch.randn(1, 6, 6, 3))
    assert [p for p, _, _ in sep.keras_weights()] == ["depthwise_kernel", "pointwise_kernel", "bias"]
    assert [w.shape for w in sep.get_weights()] == [(3, 3, 3, 2), (1, 1, 6, 5), (5,)]
    transpose = tkl.layers.Conv2DTranspose(5, (3, 2))
    transpose(torch.randn(1, 6, 6, 4))
    assert transpose.kernel.shape == (4, 5, 3, 2)  # torch's (in, filters, kh, kw)
    kernel, _ = transpose.get_weights()
    assert kernel.shape == (3, 2, 5, 4)
    np.testing.assert_array_equal(kernel, transpose.kernel.detach().permute(2, 3, 1, 0).numpy())


def test_aliases_are_the_keras_classes():
    layers = tkl.layers
    assert layers.SeparableConvolution1D is layers.SeparableConv1D
    assert layers.SeparableConvolution2D is layers.SeparableConv2D
    assert layers.Convolution1DTranspose is layers.Conv1DTranspose
    assert layers.Convolution2DTranspose is layers.Conv2DTranspose
    assert layers.Convolution3DTranspose is layers.Conv3DTranspose


@pytest.mark.parametrize("factory,arg", [
    (lambda: tkl.layers.DepthwiseConv2D(3, depth_multiplier=1.5), "depth_multiplier"),
    (lambda: tkl.layers.DepthwiseConv1D(3, depth_multiplier=None), "depth_multiplier"),
    (lambda: tkl.layers.SeparableConv2D(None, 3), "filters"),
    (lambda: tkl.layers.Conv2DTranspose(2.0, 3), "filters"),
])
def test_stricter_than_keras_constructor_checks(factory, arg):
    """Keras 3.15 accepts these at construction and fails when it builds ("Cannot convert ... to a
    shape", "unsupported operand type(s)"); we fail at construction, naming layer and argument."""
    with pytest.raises(TypeError, match=rf"`{arg}`"):
        factory()
