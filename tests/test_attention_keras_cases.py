"""Keras' own numeric cases for MultiHeadAttention, reproduced on our module (no TensorFlow here).

The expected numbers are copied from keras/src/layers/attention/multi_head_attention_test.py
(`test_correctness`, Keras 3.15), with its tolerance (atol 1e-2, the numbers are given to 4 digits).
"""

import numpy as np
import pytest
import torch

from torchkeras_layers.layers import MultiHeadAttention

KEY_DIM = NUM_HEADS = 8
EXPECTED_OUTPUT = np.tile(np.array([2.406, 2.440, 2.473, 2.504, 2.535, 2.568, 2.602, 2.633])[None, :, None], (1, 1, KEY_DIM))
EXPECTED_SCORE = np.tile(
    np.array([[0.1187] * i + [0.1691] + [0.1187] * (KEY_DIM - 1 - i) for i in range(KEY_DIM)])[None, None],
    (1, NUM_HEADS, 1, 1),
)


def _keras_test_correctness_layer(dtype):
    """The layer and inputs of Keras' test_correctness: identity kernels, zero biases."""
    query = torch.eye(KEY_DIM, dtype=torch.float64)[None]
    key = torch.eye(KEY_DIM, dtype=torch.float64)[None]
    value = torch.arange(KEY_DIM * KEY_DIM, dtype=torch.float64).reshape(1, KEY_DIM, KEY_DIM) / 100.0
    layer = MultiHeadAttention(num_heads=NUM_HEADS, key_dim=KEY_DIM, dtype=dtype)
    layer.build(tuple(query.shape), tuple(key.shape), tuple(value.shape))  # Keras' positional build call
    kernel = np.repeat(np.identity(KEY_DIM)[:, np.newaxis, :], NUM_HEADS, axis=1)
    bias = np.zeros((NUM_HEADS, KEY_DIM))
    layer.set_weights([kernel, bias] * 3 + [kernel, np.zeros((KEY_DIM,))])
    return layer, query, key, value


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_keras_correctness_explicit_path(dtype):
    layer, query, key, value = _keras_test_correctness_layer(dtype)
    output, scores = layer(query=query, value=value, key=key, return_attention_scores=True)
    assert output.dtype == scores.dtype == getattr(torch, dtype)  # float64 inputs autocast like Keras
    np.testing.assert_allclose(output.float().detach().numpy(), EXPECTED_OUTPUT, atol=1e-2)
    np.testing.assert_allclose(scores.float().detach().numpy(), EXPECTED_SCORE, atol=1e-2)


@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_keras_correctness_fused_path(dtype):
    layer, query, key, value = _keras_test_correctness_layer(dtype)
    output = layer(query=query, value=value, key=key)
    np.testing.assert_allclose(output.float().detach().numpy(), EXPECTED_OUTPUT, atol=1e-2)


def test_keyword_call_builds_an_unbuilt_layer():
    """Keras' tests call `layer(query=..., value=...)`; the forward pre-hook only sees positional
    arguments, so the layer must still build itself (and check its inputs) on a keyword call."""
    layer = MultiHeadAttention(num_heads=2, key_dim=16, output_shape=(8, 8))
    output = layer(query=torch.rand(2, 4, 16), value=torch.rand(2, 4, 16))
    assert layer.built and output.shape == (2, 4, 8, 8)
    with pytest.raises(ValueError, match=r"MultiHeadAttention: argument `query`"):
        layer(query=torch.rand(2, 4, 15), value=torch.rand(2, 4, 16))


def test_keras_attention_axes_negative_indexing():
    """Keras' test_attention_axes_negative_indexing: axis -2 of a 4-D input is axis 2."""
    x = torch.randn(2, 3, 8, 4)
    positive = MultiHeadAttention(num_heads=2, key_dim=4, attention_axes=2)
    negative = MultiHeadAttention(num_heads=2, key_dim=4, attention_axes=-2)
    positive(x, x)
    negative(x, x)
    negative.set_weights(positive.get_weights())
    assert negative.get_config()["attention_axes"] == (2,)
    z_pos, a_pos = positive(x, x, return_attention_scores=True)
    z_neg, a_neg = negative(x, x, return_attention_scores=True)
    assert a_pos.shape == (2, 3, 2, 8, 8)
    torch.testing.assert_close(z_pos, z_neg, rtol=0, atol=0)
    torch.testing.assert_close(a_pos, a_neg, rtol=0, atol=0)


def test_keras_shape_mismatch_error():
    """Keras' test_shape_mismatch_error: value and key must agree on every axis but the last."""
    layer = MultiHeadAttention(num_heads=4, key_dim=2, value_dim=2)
    with pytest.raises(ValueError, match="must be equal"):
        layer.compute_output_shape((2, 4, 8), (2, 2, 8), (2, 1, 7))
    with pytest.raises(ValueError, match="must be equal"):
        layer(torch.ones(2, 4, 8), torch.ones(2, 2, 8), torch.ones(2, 1, 7))
