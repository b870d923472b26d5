"""`ops.window_max`, the elementwise max pooling that torch.compile runs on the CPU, against torch's kernel.

The reference is torch's own max pooling as the layers run it eagerly (`ops.pooling.max_pool`), which the
equivalence suite proves equal to Keras. The compiled route must equal it bit for bit: the same maxima,
and each window's gradient on the same input cell (first maximum, first real cell of a window of -inf,
last NaN), summed in the same order.
"""

from __future__ import annotations

import math

import pytest
import torch
from aot_graphs import aot_graphs

import torchkeras_layers as tkl
from torchkeras_layers.ops import pooling
from torchkeras_layers.ops.window_max import MAX_WINDOW_CELLS, window_max

# (input shape (N, C, *spatial), pool size, strides, (lo, hi) padding per axis)
CASES = [
    ((2, 3, 9, 9), (3, 3), (2, 2), ((1, 1), (1, 1))),
    ((2, 3, 8, 8), (2, 2), (2, 2), ((0, 0), (0, 0))),
    ((2, 4, 7, 10), (3, 2), (1, 2), ((1, 1), (0, 1))),
    ((2, 3, 11), (3,), (2,), ((1, 1),)),
    ((1, 2, 5, 6, 7), (2, 3, 2), (2, 1, 2), ((0, 1), (1, 1), (0, 1))),
    ((2, 3, 9, 9), (5, 5), (1, 1), ((2, 2), (2, 2))),
    ((2, 3, 9, 9), (2, 2), (3, 3), ((0, 0), (0, 0))),  # strides past the window: cells no window holds
    ((3, 5, 6, 6), (3, 3), (3, 3), ((0, 0), (0, 0))),
    # lengths the stride divides, padding before: the backward's (q, r) indexing with lo > 0
    ((2, 3, 8, 8), (5, 5), (2, 2), ((1, 2), (1, 2))),
    ((2, 2, 8, 12), (4, 3), (2, 3), ((1, 1), (0, 0))),
]
VALUES = ["normal", "ties", "nan", "minus_inf"]


def _values(shape, kind, generator):
    if kind == "ties":  # many equal maxima per window: which cell gets the gradient matters
        return torch.randint(0, 3, shape, generator=generator).float()
    x = torch.randn(shape, generator=generator)
    if kind == "nan":
        x[torch.rand(shape, generator=generator) < 0.1] = math.nan
    if kind == "minus_inf":  # whole windows of -inf next to the padding
        x[torch.rand(shape, generator=generator) < 0.5] = -math.inf
    return x


def _forward_backward(fn, x, cotangent):
    x = x.clone().requires_grad_()
    y = fn(x)
    y.backward(cotangent)
    return y.detach(), x.grad


@pytest.mark.parametrize("channels_last", [False, True], ids=["contiguous", "channels_last"])
@pytest.mark.parametrize("kind", VALUES)
@pytest.mark.parametrize("shape,pool_size,strides,pads", CASES)
def test_window_max_equals_torch_kernel_bit_for_bit(shape, pool_size, strides, pads, kind, channels_last):
    generator = torch.Generator().manual_seed(0)
    x = _values(shape, kind, generator)
    if channels_last:
        x = x.movedim(1, -1).contiguous().movedim(-1, 1)  # the layers' view of channel-last data
    cotangent = torch.randn(pooling.max_pool(x, pool_size, strides, pads).shape, generator=generator)
    expected, expected_grad = _forward_backward(lambda t: pooling.max_pool(t, pool_size, strides, pads), x, cotangent)
    got, got_grad = _forward_backward(lambda t: window_max(t, pool_size, strides, pads), x, cotangent)
    assert got.shape == expected.shape
    assert torch.equal(got.isnan(), expected.isnan())
    assert torch.equal(got.nan_to_num(), expected.nan_to_num())
    assert torch.equal(got_grad, expected_grad)


@pytest.mark.parametrize("layer,shape", [(tkl.MaxPooling1D(3, 2, padding="same"), (2, 11, 3)),
                                         (tkl.MaxPooling2D(3, 2, padding="same"), (2, 9, 9, 4)),
                                         (tkl.MaxPooling3D(2, 1), (2, 5, 6, 4, 3))],
                         ids=["1d", "2d", "3d"])
def test_compiled_layer_runs_window_max_and_equals_eager(layer, shape):
    x = torch.randn(shape, generator=torch.Generator().manual_seed(1))
    layer(x)  # build
    eager, eager_grad = _forward_backward(layer, x, cotangent := torch.randn(layer(x).shape))
    xc = x.clone().requires_grad_()
    graphs, out = aot_graphs(layer, xc)
    out.backward(cotangent)
    assert len(graphs) == 2, "one forward and one backward graph"
    assert not any("max_pool" in code for code in graphs), "torch's kernel was traced, not window_max"
    assert torch.equal(out, eager) and torch.equal(xc.grad, eager_grad)


def test_torch_kernel_is_kept_eagerly_in_export_and_past_the_cell_limit():
    x = torch.randn(2, 3, 9, 9)
    assert not pooling._inductor_window_max(x, (3, 3))  # eager
    program = torch.export.export(tkl.MaxPooling2D(3, 2, padding="same"), (x.movedim(1, -1),))
    assert "max_pool" in str(program.graph)  # ONNX knows MaxPool
    big = tkl.MaxPooling2D(6, 1)  # 36 cells
    assert math.prod(big.pool_size) > MAX_WINDOW_CELLS
    graphs, _ = aot_graphs(big, torch.randn(2, 9, 9, 3))
    assert any("max_pool" in code for code in graphs)


@pytest.mark.parametrize("layer,shape", [(tkl.MaxPooling1D(2), (2, 12, 3)), (tkl.MaxPooling2D(2), (2, 8, 8, 4)),
                                         (tkl.MaxPooling2D(3, 2, padding="same"), (2, 9, 9, 4))],
                         ids=["1d_2", "2d_2", "2d_3_2_same"])
def test_inductor_saves_offsets_not_bool_masks(layer, shape):
    """Inductor's partitioner saves the cheapest tensors the backward can be computed from; bool masks
    would be computed in the forward, where inductor writes bools ~25x slower than floats. What the
    compiled training graph saves must be window_max's offsets (a float per window), never bools."""
    x = torch.randn(shape, generator=torch.Generator().manual_seed(2), requires_grad=True)
    layer(x)
    torch._dynamo.reset()
    saved = torch.compile(layer, fullgraph=True)(x).grad_fn.saved_tensors  # inductor's CompiledFunction
    assert saved and all(t.dtype.is_floating_point for t in saved), [t.dtype for t in saved]


@pytest.mark.parametrize("dtype", [torch.float64, torch.bfloat16, torch.float16], ids=str)
@pytest.mark.parametrize("shape,pool_size,strides,pads", [CASES[0], CASES[1], CASES[3]], ids=["3x3", "2x2", "1d"])
def test_window_max_equals_torch_kernel_in_other_float_dtypes(shape, pool_size, strides, pads, dtype):
    generator = torch.Generator().manual_seed(3)
    x = _values(shape, "ties", generator).to(dtype)
    cotangent = torch.randn(pooling.max_pool(x, pool_size, strides, pads).shape, generator=generator).to(dtype)
    expected, expected_grad = _forward_backward(lambda t: pooling.max_pool(t, pool_size, strides, pads), x, cotangent)
    got, got_grad = _forward_backward(lambda t: window_max(t, pool_size, strides, pads), x, cotangent)
    assert got.dtype == expected.dtype == got_grad.dtype == dtype
    assert torch.equal(got, expected) and torch.equal(got_grad, expected_grad)
