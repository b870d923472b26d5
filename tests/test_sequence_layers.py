"""Embedding, Masking, EinsumDense, Attention, TimeDistributed: masks, errors and dispatch that the
equivalence specs do not reach (no TensorFlow here). Expected masks are Keras' rules
(`Embedding.compute_mask = inputs != 0`, `Masking.compute_mask = any(inputs != mask_value, -1)`, read in
keras/src/layers/core/{embedding,masking}.py) on hand-written inputs."""

import numpy as np
import pytest
import torch

from torchkeras_layers import layers
from torchkeras_layers._tolerances import FORWARD


def test_embedding_mask_zero():
    ids = torch.tensor([[3, 0, 1], [0, 0, 2]])
    layer = layers.Embedding(4, 2, mask_zero=True)
    assert layer.supports_masking
    assert layer.compute_mask(ids).tolist() == [[True, False, True], [False, False, True]]
    assert layers.Embedding(4, 2).compute_mask(ids) is None


def test_embedding_weights_argument_builds_with_the_table():
    table = np.arange(6, dtype=np.float32).reshape(3, 2)
    layer = layers.Embedding(3, 2, weights=table)
    assert layer.built
    np.testing.assert_array_equal(layer(torch.tensor([[2, 0]])).detach().numpy(), [[[4, 5], [0, 1]]])
    np.testing.assert_array_equal(layer(torch.tensor([[-1]])).detach().numpy(), [[[4, 5]]])  # counts from the end


@pytest.mark.parametrize("bad", [3, -4])
def test_embedding_out_of_range_ids_raise_value_error(bad):
    with pytest.raises(ValueError, match=r"Embedding: argument `inputs` must hold ids in \[-3, 3\)"):
        layers.Embedding(3, 2)(torch.tensor([[0, bad]]))


def test_embedding_compiles_fullgraph():
    layer = layers.Embedding(5, 3)
    ids = torch.tensor([[1, -1, 4]])
    eager = layer(ids)
    compiled = torch.compile(layer, fullgraph=True, backend="aot_eager")(ids)
    torch.testing.assert_close(compiled, eager)


def test_masking_zeroes_masked_steps_nan_included():
    x = torch.tensor([[[1.0, 2.0], [0.0, 0.0], [0.0, 3.0]]])
    layer = layers.Masking()
    assert layer.compute_mask(x).tolist() == [[True, False, True]]
    x_nan = torch.tensor([[[float("nan"), 1.0], [2.0, 2.0]]])
    out = layers.Masking(mask_value=2.0)(x_nan)
    assert out[0, 1].tolist() == [0.0, 0.0] and out[0, 0, 1] == 1.0


def test_masking_rejects_non_numbers():
    with pytest.raises(TypeError, match="Masking: argument `mask_value` must be a real number"):
        layers.Masking("a")


def test_einsum_dense_rejects_unknown_equation_forms():
    with pytest.raises(ValueError, match="EinsumDense: argument `equation` must have the form"):
        layers.EinsumDense("ab->b", 3)


def test_time_distributed_bad_inputs():
    # Keras: "`TimeDistributed` Layer should be passed an `input_shape` with at least 3 dimensions" and
    # "The `mask` passed to the `TimeDistributed` layer has a shape ... incompatible" (ValueErrors).
    with pytest.raises(ValueError, match="TimeDistributed: argument `inputs` must have rank >= 3"):
        layers.TimeDistributed(layers.Dense(2))(torch.randn(2, 5))
    with pytest.raises(ValueError, match=r"TimeDistributed: argument `mask` must start with the input's"):
        layers.TimeDistributed(layers.Dense(2))(torch.randn(2, 4, 5), mask=torch.ones(2, 3, dtype=torch.bool))
    with pytest.raises(ValueError, match="TimeDistributed: argument `layer` must be a torchkeras_layers Layer"):
        layers.TimeDistributed(torch.nn.Linear(2, 2))


def test_time_distributed_config_round_trip_and_mask_passes_through():
    layer = layers.TimeDistributed(layers.Dense(3))
    x = torch.randn(2, 4, 5)
    layer(x)
    again = layers.TimeDistributed.from_config(layer.get_config())
    assert again.layer.built and again.layer.units == 3  # the nested entry's build_config
    again(x)
    again.set_weights(layer.get_weights())
    torch.testing.assert_close(again(x), layer(x))
    mask = torch.tensor([[True, False, True, True], [False, True, True, True]])
    assert torch.equal(layer.compute_mask(x, mask), mask)


@pytest.mark.parametrize("kwargs", [{}, {"use_causal_mask": True}])
@pytest.mark.parametrize("use_scale", [False, True])
def test_attention_fused_path_equals_explicit(kwargs, use_scale):
    """The SDPA path (no scores requested) against the explicit one (scores requested): same output."""
    torch.manual_seed(0)
    layer = layers.Attention(use_scale=use_scale)
    q, v = torch.randn(3, 4, 6), torch.randn(3, 4, 6)
    layer([q, v])
    if use_scale:
        with torch.no_grad():
            layer.scale.fill_(0.7)
    fused = layer([q, v], **kwargs)
    explicit, _ = layer([q, v], return_attention_scores=True, **kwargs)
    tol = FORWARD["float32"]
    torch.testing.assert_close(fused, explicit, rtol=tol["rtol"], atol=tol["atol"])


def test_attention_query_mask_is_the_output_mask():
    layer = layers.Attention()
    q, v = torch.randn(2, 3, 4), torch.randn(2, 5, 4)
    q_mask = torch.tensor([[True, False, True], [True, True, False]])
    out = layer([q, v], mask=[q_mask, None])
    assert torch.all(out[~q_mask] == 0)
    assert torch.equal(layer.compute_mask([q, v], [q_mask, None]), q_mask)
    assert layer.compute_mask([q, v], None) is None


# ---------------------------------------------------------------------------- ConvLSTM
@pytest.mark.parametrize("kwargs,arg", [({"filters": -1}, "filters"), ({"filters": 2.0}, "filters"),
                                        ({"filters": "a"}, "filters"), ({"filters": 2, "strides": 0}, "strides")])
def test_conv_lstm_bad_arguments_name_the_layer(kwargs, arg):
    # Keras constructs these (its cell validates neither `filters` nor zero strides) and fails later.
    with pytest.raises((ValueError, TypeError), match=rf"ConvLSTM3D: argument `{arg}`"):
        layers.ConvLSTM3D(kernel_size=2, **kwargs)


def test_conv_lstm_rejects_integer_images_and_unknown_spatial_build():
    with pytest.raises(TypeError, match=r"ConvLSTM1D: argument `inputs` must be floating"):
        layers.ConvLSTM1D(2, 3)(torch.ones(2, 3, 6, 1, dtype=torch.int32))
    with pytest.raises(ValueError, match=r"ConvLSTM2D \('.*'\): ConvLSTM layers only support static spatial"):
        layers.ConvLSTM2D(2, 3).build((None, None, None, 5, 2))


def test_conv_lstm_output_shapes_follow_keras_conv_arithmetic():
    # Keras' compute_conv_output_shape: 'same' gives ceil(n / s), 'valid' (n - span) // s + 1; None stays None.
    layer = layers.ConvLSTM2D(4, (3, 2), strides=2, padding="same", return_sequences=True, return_state=True)
    assert layer.compute_output_shape((None, 7, 9, 5, 3)) == ((None, 7, 5, 3, 4), (None, 5, 3, 4), (None, 5, 3, 4))
    first = layers.ConvLSTM1D(2, 3, dilation_rate=2, data_format="channels_first")
    assert first.compute_output_shape((8, None, 3, None)) == (8, 2, None)
    assert first.compute_output_shape((8, 4, 3, 10)) == (8, 2, 6)
    layer(torch.randn(1, 2, 9, 5, 3))
    assert [tuple(w.shape) for w in layer.get_weights()] == [(3, 2, 3, 16), (3, 2, 4, 16), (16,)]
    # unit_forget_bias: ones for the forget block (i, f, c, o)
    np.testing.assert_array_equal(layer.get_weights()[2], np.repeat([0.0, 1.0, 0.0, 0.0], 4))


class _RunningSum(layers.Layer):
    """A user's cell as Keras' docs write one: no `training` argument, no `get_initial_state`."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.state_size = units

    def forward(self, inputs, states):
        output = states[0] + inputs.sum(-1, keepdim=True)
        return output, [output]


@pytest.mark.parametrize("stacked", [False, True])
def test_a_users_cell_without_training_or_initial_state_runs(stacked):
    """Keras passes `training` only to a cell whose call takes it, and a stack gives a cell without
    `get_initial_state` zeros of its `state_size`."""
    x = torch.arange(12.0).reshape(1, 4, 3)  # step sums 3, 12, 21, 30
    cell = [_RunningSum(2), _RunningSum(2)] if stacked else _RunningSum(2)
    for training in (None, True):
        out, *states = layers.RNN(cell, return_sequences=True, return_state=True)(x, training=training)
        expected = torch.tensor([3.0, 15.0, 36.0, 66.0])  # running sums, the same in each unit
        if stacked:  # the second cell sums the first's outputs (2 units)
            expected = torch.cumsum(2 * expected, 0)
        torch.testing.assert_close(out[0, :, 0], expected)
        assert len(states) == (2 if stacked else 1)
