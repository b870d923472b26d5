"""MultiHeadAttention dropout in training mode (the registry compares inference only: the random
streams of TensorFlow and torch differ, so training-mode numbers are checked statistically here).

The layer is set up so that its output counts the attention probabilities that survived dropout:
zero query kernel -> uniform probabilities 1/S; value projection = 1; output kernel = 1. Each output
element is then (kept keys / S) / (1 - rate), Keras' inverted dropout on the probabilities.
"""

import math

import numpy as np
import pytest
import torch

from torchkeras_layers.layers import MultiHeadAttention

B, T, S = 32, 32, 64


def _counting_layer(rate, seed=None):
    layer = MultiHeadAttention(num_heads=1, key_dim=1, dropout=rate, seed=seed)
    layer.build((B, T, 1), (B, S, 1))
    one = np.ones((1, 1, 1))
    # query (kernel, bias), key, value, attention_output
    layer.set_weights([one * 0, np.zeros((1, 1)), one, np.zeros((1, 1)), one * 0, np.ones((1, 1)), one, np.zeros((1,))])
    return layer


def _inputs():
    return torch.randn(B, T, 1), torch.randn(B, S, 1)


@pytest.mark.parametrize("rate", [0.1, 0.5])
@pytest.mark.parametrize("path", ["fused", "seeded", "scores"])
def test_training_dropout_rate_and_scaling(rate, path):
    layer = _counting_layer(rate, seed=3 if path == "seeded" else None)
    query, value = _inputs()
    out = layer(query, value, training=True, return_attention_scores=(path == "scores"))
    if path == "scores":
        out, scores = out
        # The returned scores are the probabilities before dropout (as Keras returns them).
        torch.testing.assert_close(scores, torch.full_like(scores, 1.0 / S))
    kept = out.detach().double() * (1 - rate) * S  # kept keys per query row
    torch.testing.assert_close(kept, kept.round(), rtol=0, atol=1e-4)  # inverted dropout: 1/(1-rate) scaling
    dropped = 1.0 - kept.sum().item() / (B * T * S)
    sigma = math.sqrt(rate * (1 - rate) / (B * T * S))
    assert abs(dropped - rate) < 5 * sigma, (dropped, rate)


def test_dropout_only_in_training():
    layer = _counting_layer(0.5)
    query, value = _inputs()
    ones = torch.ones(B, T, 1)
    torch.testing.assert_close(layer(query, value, training=False), ones)
    layer.eval()
    torch.testing.assert_close(layer(query, value), ones)  # training=None follows .eval()
    layer.train()
    assert not torch.allclose(layer(query, value), ones)  # ... and .train()
    assert not torch.allclose(layer(query, value, return_attention_scores=True)[0], ones)


def test_seeded_dropout_is_reproducible():
    first, second = _counting_layer(0.5, seed=11), _counting_layer(0.5, seed=11)
    query, value = _inputs()
    a1, b1 = first(query, value, training=True), second(query, value, training=True)
    torch.testing.assert_close(a1, b1, rtol=0, atol=0)
    assert not torch.equal(first(query, value, training=True), a1)  # the stream advances


def test_rate_one_drops_everything():
    layer = _counting_layer(1.0)
    query, value = _inputs()
    for scores in (False, True):
        out = layer(query, value, training=True, return_attention_scores=scores)
        out = out[0] if scores else out
        torch.testing.assert_close(out, torch.zeros_like(out))  # only the (zero) output bias remains
