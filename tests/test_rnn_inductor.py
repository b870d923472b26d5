"""LSTM under inductor with `freezing` (the compiled inference `benchmarks` runs, and torch's recommended CPU
inference setting) gives the eager numbers. Inductor's frozen oneDNN LSTM misreads transposed weight views
(torch 2.13), so the layer hands traced graphs contiguous weights; the compile/export suite's aot_eager
backend cannot see this."""

from __future__ import annotations

import pytest
import torch

import torchkeras_layers as tkl
from torchkeras_layers._tolerances import FORWARD, compare_arrays


@pytest.fixture
def freezing():
    import torch._inductor.config as inductor_config

    before = inductor_config.freezing
    inductor_config.freezing = True
    torch._dynamo.reset()
    yield
    inductor_config.freezing = before
    torch._dynamo.reset()


def test_frozen_inductor_lstm_gives_the_eager_numbers(freezing):
    torch.manual_seed(0)
    layer = tkl.LSTM(8, return_sequences=True)
    x = torch.randn(4, 20, 16)
    layer(x)
    layer.eval()
    with torch.no_grad():
        expected = layer(x)
        got = torch.compile(layer, fullgraph=True)(x)
    largest, ratio = compare_arrays(got.numpy(), expected.numpy(), **FORWARD["float32"])
    assert ratio <= 1.0, f"compiled LSTM is {largest:.3g} off its eager output"  # was 0.8 off
