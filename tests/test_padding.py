"""Property tests of the TF padding arithmetic (`ops/padding.py`) and of the padded convolution and
pooling ops (`ops/convolution.py`, `ops/pooling.py`) against brute-force window enumeration."""

import itertools
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from torchkeras_layers.ops import padding as P
from torchkeras_layers.ops.convolution import conv
from torchkeras_layers.ops.layout import from_channels_first, to_channels_first
from torchkeras_layers.ops.pooling import avg_pool, lp_pool, max_pool, sum_pool

sizes = st.integers(1, 40)
kernels = st.integers(1, 7)
steps = st.integers(1, 4)


def _windows(n, k, s, d, lo, hi):
    """Brute force: the input indices each output window reads (negative / >= n are padding)."""
    starts = range(-lo, n + hi - ((k - 1) * d + 1) + 1, s)
    return [[start + t * d for t in range(k)] for start in starts]


@given(n=sizes, k=kernels, s=steps, d=steps)
def test_same_padding_is_tensorflow_same(n, k, s, d):
    lo, hi = P.same_padding(n, k, s, d)
    windows = _windows(n, k, s, d, lo, hi)
    assert len(windows) == math.ceil(n / s)  # SAME: ceil(n / s) outputs
    assert lo == (lo + hi) // 2 and hi - lo in (0, 1)  # the odd unit goes at the end
    assert all(w[0] < n and w[-1] >= 0 for w in windows)  # no window span lies entirely in the padding
    if d == 1:
        assert all(any(0 <= i < n for i in w) for w in windows)  # so every window reads a real cell
    assert windows[0][0] == -lo
    # minimal: one unit less of total padding loses the last output
    if lo + hi:
        assert len(_windows(n, k, s, d, (lo + hi - 1) // 2, lo + hi - 1 - (lo + hi - 1) // 2)) < len(windows)
    assert P.output_length(n, k, s, (lo, hi), d) == len(windows)


@pytest.mark.parametrize("n,k,s,d,expected", [
    # TF 'same' padding rules, verified against Keras
    (7, 2, 2, 1, (0, 1)), (6, 3, 2, 1, (0, 1)), (8, 4, 3, 1, (1, 1)), (6, 4, 3, 1, (0, 1)),
    (7, 4, 2, 1, (1, 2)), (8, 3, 2, 1, (0, 1)), (5, 2, 1, 2, (1, 1)), (5, 4, 1, 1, (1, 2)),
])
def test_same_padding_examples(n, k, s, d, expected):
    assert P.same_padding(n, k, s, d) == expected


@given(n=sizes, k=kernels, s=steps, d=steps)
def test_causal_padding(n, k, s, d):
    lo, hi = P.causal_padding(k, d)
    assert hi == 0
    windows = _windows(n, k, s, d, lo, hi)
    assert len(windows) == math.ceil(n / s)
    # output t (stride 1) ends exactly at input t: it never sees the future
    assert all(w[-1] == i * s for i, w in enumerate(windows))


@given(n=sizes, k=kernels, s=steps, d=steps)
def test_valid_output_length(n, k, s, d):
    assert P.output_length(n, k, s, (0, 0), d) == max(len(_windows(n, k, s, d, 0, 0)), 0) or (n < (k - 1) * d + 1)


@given(pads=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), min_size=1, max_size=3))
def test_split_padding_and_pad_arg(pads):
    symmetric, rest = P.split_padding(pads)
    assert [(m + a, m + b) for m, (a, b) in zip(symmetric, rest)] == list(pads)
    assert all(min(a, b) == 0 for a, b in rest)
    flat = P.torch_pad_arg(pads)
    assert [(flat[2 * i], flat[2 * i + 1]) for i in range(len(pads))] == list(reversed(pads))


def _brute_pool_1d(x, k, s, lo, hi, reduce):
    """x: (C, n) numpy; real cells only."""
    n = x.shape[-1]
    return np.stack([reduce(x[:, [i for i in w if 0 <= i < n]]) for w in _windows(n, k, s, 1, lo, hi)], -1)


pool_cases = st.tuples(st.integers(1, 12), st.integers(1, 5), st.integers(1, 4), st.integers(0, 3), st.integers(0, 3)).filter(
    lambda c: c[3] < c[1] and c[4] < c[1] and c[0] + c[3] + c[4] >= c[1])


@settings(max_examples=60, deadline=None)
@given(case=pool_cases, seed=st.integers(0, 2**16))
def test_pooling_ops_ignore_padding(case, seed):
    n, k, s, lo, hi = case
    x = np.random.default_rng(seed).standard_normal((2, n))
    t = torch.from_numpy(x)[None, :, None, :]  # (1, C, 1, n): the 2-D form the layers use
    pads = ((0, 0), (lo, hi))
    got = {name: op(t, (1, k), (1, s), pads)[0, :, 0].numpy() for name, op in
           [("max", max_pool), ("avg", avg_pool), ("sum", sum_pool)]}
    np.testing.assert_allclose(got["max"], _brute_pool_1d(x, k, s, lo, hi, lambda v: v.max(-1)), rtol=1e-12)
    np.testing.assert_allclose(got["avg"], _brute_pool_1d(x, k, s, lo, hi, lambda v: v.mean(-1)), rtol=1e-12)
    np.testing.assert_allclose(got["sum"], _brute_pool_1d(x, k, s, lo, hi, lambda v: v.sum(-1)), rtol=1e-12, atol=1e-12)
    lp = lp_pool(t, 3.0, (1, k), (1, s), pads)[0, :, 0].numpy()
    np.testing.assert_allclose(lp, _brute_pool_1d(x, k, s, lo, hi, lambda v: (np.abs(v) ** 3).sum(-1) ** (1 / 3)), rtol=1e-12)


conv_cases = st.tuples(st.integers(1, 12), st.integers(1, 4), st.integers(1, 3), st.integers(1, 3),
                       st.integers(0, 6), st.integers(0, 6)).filter(lambda c: c[0] + c[4] + c[5] >= (c[1] - 1) * c[3] + 1)


@settings(max_examples=60, deadline=None)
@given(case=conv_cases, seed=st.integers(0, 2**16))
def test_conv_with_asymmetric_padding(case, seed):
    n, k, s, d, lo, hi = case
    rng = np.random.default_rng(seed)
    x, w, b = rng.standard_normal((2, 3, n)), rng.standard_normal((4, 3, k)), rng.standard_normal(4)
    got = conv(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b), (s,), ((lo, hi),), (d,)).numpy()
    expected = []
    for window in _windows(n, k, s, d, lo, hi):
        cells = np.stack([x[:, :, i] if 0 <= i < n else np.zeros((2, 3)) for i in window], -1)  # (B, C, k)
        expected.append(np.einsum("bck,fck->bf", cells, w) + b)
    np.testing.assert_allclose(got, np.stack(expected, -1), rtol=1e-10, atol=1e-10)


def test_lp_pool_zero_window_has_finite_gradient():
    x = torch.zeros(1, 1, 1, 4, dtype=torch.float64, requires_grad=True)
    y = lp_pool(x, 2.0, (1, 2), (1, 2), ((0, 0), (0, 0)))
    y.sum().backward()
    assert torch.equal(y, torch.zeros_like(y)) and torch.isfinite(x.grad).all()


@pytest.mark.parametrize("shape,data_format,memory_format", [
    ((2, 5, 6, 3), "channels_last", torch.channels_last),
    ((2, 4, 5, 6, 3), "channels_last", torch.channels_last_3d),
    ((2, 7, 3), "channels_last", torch.channels_last),
    ((2, 3, 5, 6), "channels_first", torch.contiguous_format),
    ((2, 3, 7), "channels_first", torch.contiguous_format),
])
def test_layout_moves_are_views(shape, data_format, memory_format):
    x = torch.randn(shape)
    v = to_channels_first(x, data_format)
    assert v.data_ptr() == x.data_ptr() and v.is_contiguous(memory_format=memory_format)
    back = from_channels_first(v, data_format, len(shape) - 2)
    assert back.shape == x.shape and back.data_ptr() == x.data_ptr() and back.is_contiguous()
