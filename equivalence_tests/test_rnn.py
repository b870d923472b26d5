"""Recurrent layers against Keras where the generic spec tests cannot reach: stateful calls in sequence
(the harness's build call would advance both layers' states with different weights) and our two code
paths, torch's fused kernel (packed for a right-padded mask) and the time loop, each forced and asserted
to be the one that ran; ConvLSTM2D stateful, in training with Keras' dropout masks, in a converted model,
and what Keras fails on only in a call."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from torchkeras_layers import layers

from .harness import keras_step, to_tf, to_torch, torch_step
from .tolerances import FORWARD, GRADIENT, STATE, assert_close

B, T, D = 3, 4, 5


def _pair(name: str, config: dict, shape=(B, T, D)):
    """Our layer and Keras', built on `shape` without a call, with our weights copied into Keras."""
    import keras

    ours = getattr(layers, name)(**config)
    ours.build(shape)
    ours.eval()
    theirs = getattr(keras.layers, name)(**config)
    theirs.build(shape)
    theirs.set_weights(ours.get_weights())
    return ours, theirs


def _call_both(ours, theirs, x: np.ndarray, **kwargs):
    with torch.no_grad():
        mine = ours(to_torch(x), **to_torch(kwargs))
    reference = theirs(to_tf(x), **to_tf(kwargs))
    mine = mine if isinstance(mine, tuple) else (mine,)
    reference = reference if isinstance(reference, (tuple, list)) else (reference,)
    assert len(mine) == len(reference)
    return [m.numpy() for m in mine], [np.asarray(r) for r in reference]


@pytest.mark.parametrize("name", ["LSTM", "GRU", "SimpleRNN"])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_stateful_batches_and_reset_match_keras(name, return_sequences):
    ours, theirs = _pair(name, {"units": 3, "stateful": True, "return_sequences": return_sequences})
    rng = np.random.default_rng(0)
    for call in range(4):
        if call == 3:
            ours.reset_state()
            theirs.reset_state()
        x = rng.standard_normal((B, T, D)).astype(np.float32)
        mine, reference = _call_both(ours, theirs, x)
        for a, b in zip(mine, reference):
            assert_close(a, b, FORWARD["float32"], f"{name} stateful call {call} output")
        for a, b in zip(ours.states, theirs.states):
            assert_close(a.numpy(), np.asarray(b), STATE["float32"], f"{name} stateful call {call} kept state")


@pytest.mark.parametrize("name", ["LSTM", "GRU", "SimpleRNN"])
def test_stateful_state_is_not_a_weight(name):
    ours, theirs = _pair(name, {"units": 2, "stateful": True})
    assert len(ours.get_weights()) == len(theirs.get_weights()) == 3
    assert not any(key.startswith("rnn_state") for key in ours.state_dict())


FUSED_CASES = [
    ("LSTM", {"units": 3}),
    ("LSTM", {"units": 3, "return_sequences": True, "return_state": True, "go_backwards": True}),
    ("LSTM", {"units": 2, "use_bias": False, "return_sequences": True}),
    ("GRU", {"units": 3, "return_sequences": True, "return_state": True}),
    ("GRU", {"units": 3, "go_backwards": True, "use_bias": False}),
]


@pytest.mark.parametrize("path", ["fused", "loop"])
@pytest.mark.parametrize("name,config", FUSED_CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(FUSED_CASES)])
def test_each_path_matches_keras(name, config, path):
    ours, theirs = _pair(name, {**config, "bias_initializer": "random_normal"})
    ours.path = path
    rng = np.random.default_rng(1)
    x = rng.standard_normal((B, T, D)).astype(np.float32)
    count = 2 if name == "LSTM" else 1
    initial_state = [rng.standard_normal((B, config["units"])).astype(np.float32) for _ in range(count)]
    for kwargs in ({}, {"initial_state": initial_state}):
        ours.last_path = None
        mine, reference = _call_both(ours, theirs, x, **({"initial_state": initial_state} if kwargs else {}))
        assert ours.last_path == path
        for a, b in zip(mine, reference):
            assert_close(a, b, FORWARD["float32"], f"{name} {path} output")


# Unsorted lengths (the packed batch is sorted longest first), a full row and an empty one.
PACKED_SHAPE = (5, 6, D)
PACKED_LENGTHS = np.array([2, 6, 0, 5, 1])
RIGHT_PADDED = np.arange(PACKED_SHAPE[1])[None, :] < PACKED_LENGTHS[:, None]
MASKED_CASES = [
    ("LSTM", {"units": 3, "return_sequences": True, "return_state": True}),
    ("LSTM", {"units": 3, "return_sequences": True, "return_state": True, "go_backwards": True}),
    ("LSTM", {"units": 3, "return_sequences": True, "return_state": True, "zero_output_for_mask": True}),
    ("LSTM", {"units": 2, "use_bias": False, "zero_output_for_mask": True}),
    ("GRU", {"units": 3, "return_sequences": True, "return_state": True}),
    ("GRU", {"units": 3, "return_sequences": True, "go_backwards": True, "zero_output_for_mask": True}),
    ("GRU", {"units": 3, "go_backwards": True, "return_state": True}),
    ("GRU", {"units": 2, "zero_output_for_mask": True, "use_bias": False}),
]


@pytest.mark.parametrize("path", ["auto", "fused", "loop"])
@pytest.mark.parametrize("name,config", MASKED_CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(MASKED_CASES)])
def test_right_padded_mask_takes_the_packed_kernel_and_matches_keras(name, config, path):
    ours, theirs = _pair(name, {**config, "bias_initializer": "random_normal"}, PACKED_SHAPE)
    ours.path = path
    rng = np.random.default_rng(2)
    x = rng.standard_normal(PACKED_SHAPE).astype(np.float32)
    count = 2 if name == "LSTM" else 1
    initial_state = [rng.standard_normal((PACKED_SHAPE[0], config["units"])).astype(np.float32)
                     for _ in range(count)]
    for kwargs in ({"mask": RIGHT_PADDED}, {"mask": RIGHT_PADDED, "initial_state": initial_state}):
        ours.last_path = None
        mine, reference = _call_both(ours, theirs, x, **kwargs)
        assert ours.last_path == ("fused" if path == "auto" else path)
        for a, b in zip(mine, reference):
            assert_close(a, b, FORWARD["float32"], f"{name} {path} right-padded output")


@pytest.mark.parametrize("name", ["LSTM", "GRU"])
def test_bidirectional_over_a_right_padded_mask_runs_both_directions_packed(name):
    import keras

    inner = {"units": 3, "return_sequences": True, "return_state": True, "bias_initializer": "random_normal"}
    ours = layers.Bidirectional(getattr(layers, name)(**inner))
    ours.build(PACKED_SHAPE)
    ours.eval()
    theirs = keras.layers.Bidirectional(getattr(keras.layers, name)(**inner))
    theirs.build(PACKED_SHAPE)
    theirs.set_weights(ours.get_weights())
    rng = np.random.default_rng(3)
    x = rng.standard_normal(PACKED_SHAPE).astype(np.float32)
    count = 4 if name == "LSTM" else 2
    initial_state = [rng.standard_normal((PACKED_SHAPE[0], 3)).astype(np.float32) for _ in range(count)]
    for kwargs in ({"mask": RIGHT_PADDED}, {"mask": RIGHT_PADDED, "initial_state": initial_state}):
        mine, reference = _call_both(ours, theirs, x, **kwargs)
        assert ours.forward_layer.last_path == ours.backward_layer.last_path == "fused"
        for a, b in zip(mine, reference):
            assert_close(a, b, FORWARD["float32"], f"Bidirectional({name}) right-padded output")


def _count_packed_calls(name: str, monkeypatch) -> list:
    """A list that grows by one per call of `ops.recurrent`'s packed LSTM/GRU from the layer `name`."""
    from torchkeras_layers.layers.rnn import gru, lstm

    module, function = (lstm, "packed_lstm") if name == "LSTM" else (gru, "packed_gru")
    calls = []
    real = getattr(module, function)
    monkeypatch.setattr(module, function, lambda *args: calls.append(1) or real(*args))
    return calls


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,config", MASKED_CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(MASKED_CASES)])
def test_right_padded_training_runs_the_packed_backward_and_matches_keras_gradients(name, config, dtype, monkeypatch):
    """A call that records gradients over a right-padded mask runs `ops.recurrent`'s packed GRU/LSTM:
    outputs, final states and the gradients of the input, the initial states and every weight are Keras'."""
    calls = _count_packed_calls(name, monkeypatch)
    ours, theirs = _pair(name, {**config, "bias_initializer": "random_normal", "dtype": dtype}, PACKED_SHAPE)
    rng = np.random.default_rng(4)
    x = rng.standard_normal(PACKED_SHAPE).astype(dtype)
    initial_state = [rng.standard_normal((PACKED_SHAPE[0], config["units"])).astype(dtype)
                     for _ in range(2 if name == "LSTM" else 1)]
    for args in ([x], [x, initial_state]):
        calls.clear()
        mine = torch_step(ours, args, {"mask": RIGHT_PADDED}, True, np.random.default_rng(5), True)
        assert calls == [1] and ours.last_path == "fused"
        cotangents = np.random.default_rng(5)
        cotangents = [cotangents.standard_normal(o.shape) for o in mine["outputs"]]
        reference = keras_step(theirs, args, {"mask": RIGHT_PADDED}, True, cotangents, True)
        what = f"{name} right-padded training, {len(args) - 1} initial states"
        for key, table in (("outputs", FORWARD), ("input_grads", GRADIENT), ("weight_grads", GRADIENT)):
            assert len(mine[key]) == len(reference[key])
            for a, b in zip(mine[key], reference[key]):
                assert_close(a, b, table[dtype], f"{what}: {key}")


@pytest.mark.parametrize("name", ["LSTM", "GRU"])
def test_packed_recurrence_runs_only_where_autograd_records(name, monkeypatch):
    """Without autograd (inference, or nothing requiring gradients) torch's packed kernel is the faster
    one and keeps running; both routes give the same numbers."""
    calls = _count_packed_calls(name, monkeypatch)
    layer = getattr(layers, name)(3, return_sequences=True, bias_initializer="random_normal")
    x = torch.randn(PACKED_SHAPE)
    mask = torch.as_tensor(RIGHT_PADDED)
    with torch.no_grad():
        kernel_outputs = layer(x, mask=mask)
    assert calls == [] and layer.last_path == "fused"
    recorded = layer(x.requires_grad_(), mask=mask)
    assert calls == [1]
    assert_close(recorded.detach().numpy(), kernel_outputs.numpy(), FORWARD["float32"], f"{name} packed routes")
    layer.requires_grad_(False)
    layer(x.detach(), mask=mask)
    assert calls == [1]


def test_auto_picks_the_fused_kernel_only_where_it_is_keras():
    x = torch.randn(B, T, D)
    right_padded = torch.ones(B, T, dtype=torch.bool)
    right_padded[0, -1] = False
    right_padded[1] = False
    holes = torch.ones(B, T, dtype=torch.bool)
    holes[0, 1] = False
    lstm = layers.LSTM(3)
    lstm(x)
    assert lstm.last_path == "fused"
    lstm(x, mask=right_padded)
    assert lstm.last_path == "fused"
    lstm(x, mask=torch.ones(B, T, dtype=torch.bool))
    assert lstm.last_path == "fused"
    for mask in (holes, torch.zeros(B, T, dtype=torch.bool)):
        lstm(x, mask=mask)
        assert lstm.last_path == "loop"
    for layer in (layers.LSTM(3, recurrent_activation="hard_sigmoid"), layers.GRU(3, reset_after=False)):
        layer(x)
        assert layer.last_path == "loop"
    dropped = layers.GRU(3, recurrent_dropout=0.5)
    dropped(x, training=True)
    assert dropped.last_path == "loop"
    dropped(x, training=False)
    assert dropped.last_path == "fused"
    forced = layers.LSTM(3)
    forced.path = "fused"
    with pytest.raises(ValueError, match=r"LSTM .*path='fused'.*a mask that is not right-padded"):
        forced(x, mask=holes)


# ---------------------------------------------------------------------------- ConvLSTM
CONV_X = (2, 3, 5, 4, 2)  # ConvLSTM2D sequences: (batch, time, rows, cols, channels)


def test_conv_lstm_stateful_batches_and_reset_match_keras():
    ours, theirs = _pair("ConvLSTM2D", {"filters": 2, "kernel_size": 3, "padding": "same", "stateful": True},
                         CONV_X)
    rng = np.random.default_rng(0)
    for call in range(3):
        if call == 2:
            ours.reset_state()
            theirs.reset_state()
        mine, reference = _call_both(ours, theirs, rng.standard_normal(CONV_X).astype(np.float32))
        assert_close(mine[0], reference[0], FORWARD["float32"], f"ConvLSTM2D stateful call {call} output")
        for a, b in zip(ours.states, theirs.states):
            assert_close(a.numpy(), np.asarray(b), STATE["float32"], f"ConvLSTM2D stateful call {call} kept state")


@pytest.mark.parametrize("rates", [(0.4, 0.0), (0.0, 0.3), (0.4, 0.3)], ids=["dropout", "recurrent", "both"])
def test_conv_lstm_dropout_in_training_matches_keras_given_the_same_masks(rates):
    """Keras draws four masks per sequence (one per gate) and caches them on the cell; handing both cells
    the same masks compares the masked gates (our one grouped convolution) with Keras' four convolutions."""
    dropout, recurrent_dropout = rates
    ours, theirs = _pair("ConvLSTM2D", {"filters": 2, "kernel_size": 3, "dropout": dropout,
                                        "recurrent_dropout": recurrent_dropout, "return_sequences": True}, CONV_X)
    rng = np.random.default_rng(3)
    x = rng.standard_normal(CONV_X).astype(np.float32)

    def masks(rate, shape):
        if rate == 0.0:
            return None
        return (rng.random((4, *shape)) > rate).astype(np.float32) / (1.0 - rate)

    input_masks = masks(dropout, (2, 5, 4, 2))
    recurrent_masks = masks(recurrent_dropout, (2, 3, 2, 2))
    ours.cell.dropout_masks = lambda step, state, training: tuple(
        None if m is None or not training else torch.from_numpy(m) for m in (input_masks, recurrent_masks))
    theirs.cell._dropout_mask = None if input_masks is None else list(to_tf(input_masks))
    theirs.cell._recurrent_dropout_mask = None if recurrent_masks is None else list(to_tf(recurrent_masks))
    mine = ours(to_torch(x), training=True)
    reference = theirs(to_tf(x), training=True)
    assert_close(mine.detach().numpy(), np.asarray(reference), FORWARD["float32"], "ConvLSTM2D dropout output")
    assert_close(ours(to_torch(x), training=False).detach().numpy(), np.asarray(theirs(to_tf(x), training=False)),
                 FORWARD["float32"], "ConvLSTM2D without dropout in inference")


def test_conv_lstm_from_keras_sequential():
    import keras

    import torchkeras_layers as tkl

    model = keras.Sequential([keras.Input(CONV_X[1:]),
                              keras.layers.ConvLSTM2D(3, 3, padding="same", return_sequences=True),
                              keras.layers.ConvLSTM2D(2, (2, 3), strides=2, padding="same"),
                              keras.layers.Flatten(), keras.layers.Dense(2)])
    ours = tkl.from_keras(model)
    assert [type(layer).__name__ for layer in ours.layers] == ["ConvLSTM2D", "ConvLSTM2D", "Flatten", "Dense"]
    x = np.random.default_rng(5).standard_normal(CONV_X).astype(np.float32)
    with torch.no_grad():
        mine = ours(to_torch(x)).numpy()
    assert_close(mine, np.asarray(model(to_tf(x))), FORWARD["float32"], "from_keras ConvLSTM2D model")


@pytest.mark.parametrize("config", [{"filters": 0, "kernel_size": 3}, {"filters": 2, "kernel_size": 3, "strides": 0}],
                         ids=["zero-filters", "zero-strides"])
def test_conv_lstm_rejects_what_keras_fails_on_at_its_first_call(config):
    """Keras constructs these and fails in its first call (an empty convolution, a division by zero);
    ours refuses them at construction, naming the layer and the argument."""
    import keras

    x = np.zeros(CONV_X, np.float32)
    with pytest.raises(Exception):  # noqa: B017 - Keras raises ValueError / OverflowError from its conv
        keras.layers.ConvLSTM2D(**config)(x)
    with pytest.raises(ValueError, match=r"ConvLSTM2D: argument `(filters|strides)`"):
        layers.ConvLSTM2D(**config)


@pytest.mark.parametrize("cells", [["GRUCell"], ["SimpleRNNCell", "LSTMCell"]], ids=["one-cell", "stacked"])
def test_cells_with_their_own_policy_compute_in_it_as_keras(cells):
    """RNN(cell instances, dtype='mixed_float16'): Keras runs the loop in the cells' dtype (float32 here)
    and casts the outputs and states to the layer's (float16)."""
    import keras

    x = np.random.default_rng(0).normal(size=(2, 5, 4)).astype("float32")

    def build(module):
        made = [getattr(module, name)(3 + i) for i, name in enumerate(cells)]
        return module.RNN(made if len(made) > 1 else made[0], return_sequences=True, return_state=True,
                          dtype="mixed_float16")

    theirs = build(keras.layers)
    expected = [t.numpy() for t in keras.tree.flatten(theirs(x))]
    ours = build(layers)
    ours(to_torch(x))
    ours.set_weights(theirs.get_weights())
    got = torch.utils._pytree.tree_leaves(ours(to_torch(x)))
    assert [t.dtype for t in got] == [torch.float16] * len(expected)
    for g, e in zip(got, expected):
        assert_close(g.detach().numpy(), e, FORWARD["float16"], "mixed RNN")
