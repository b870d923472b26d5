"""Recurrent layers against Keras 3.15: LSTM, GRU (reset_after both ways), SimpleRNN, their cells, RNN over
a cell or a stack of cells, ConvLSTM1D/2D/3D (both paddings, strides, dilation, both data formats). Every argument, masks (right-padded, holes, fully masked rows), initial
states, return_state, go_backwards, dropout in inference, both of our
code paths (torch's fused kernel, also packed for right-padded masks, and the time loop). Stateful calls in sequence and the forced
choice of path are compared with Keras in `equivalence_tests/test_rnn.py` (the harness's build call
would advance the states of both layers with different weights)."""

from __future__ import annotations

import numpy as np

from .. import numpy_refs_rnn
from ..registry import BadInput, LayerSpec, Sample, ndim_error

B, T, D = 3, 5, 4
_RNG = np.random.default_rng(4321)  # fixed masks for the hand-picked samples

RIGHT_PADDED = np.array([[True] * 5, [True, True, True, False, False], [True, False, False, False, False]])
HOLES = _RNG.random((B, T)) < 0.6
HOLES[0, 0] = False  # a masked first step: the output before any valid step is zeros
FULLY_MASKED = RIGHT_PADDED.copy()
FULLY_MASKED[2] = False
RANDOM_INIT = {"class_name": "RandomNormal", "config": {"stddev": 0.5, "seed": 3}}


def _states(units: int, count: int):
    def make(rng):
        return [rng.standard_normal((B, T, D))], {"initial_state": [rng.standard_normal((B, units))
                                                                    for _ in range(count)]}

    return make


def _recurrent_samples(name: str, state_count: int, extra: list[Sample]) -> list[Sample]:
    """The samples every recurrent layer shares (LSTM, GRU, SimpleRNN)."""
    u = 3
    return [
        Sample({"units": u}, (B, T, D), id="default"),
        Sample({"units": u, "return_sequences": True, "return_state": True}, (B, T, D), id="sequences-and-state"),
        Sample({"units": u, "go_backwards": True, "return_sequences": True}, (B, T, D), id="go_backwards"),
        Sample({"units": 2, "use_bias": False, "return_state": True}, (2, 3, 1), id="no-bias"),
        Sample({"units": u, "bias_initializer": RANDOM_INIT, "kernel_initializer": RANDOM_INIT,
                "recurrent_initializer": "glorot_normal", "return_sequences": True}, (B, T, D), id="initializers"),
        Sample({"units": u, "activation": "relu", "return_sequences": True}, (B, T, D), id="relu-loop"),
        Sample({"units": u, "return_sequences": True}, (B, T, D), call_kwargs={"mask": RIGHT_PADDED},
               id="mask-right-padded"),
        Sample({"units": u, "return_sequences": True, "return_state": True}, (B, T, D), call_kwargs={"mask": HOLES},
               id="mask-holes"),
        Sample({"units": u, "return_state": True}, (B, T, D), call_kwargs={"mask": FULLY_MASKED},
               id="mask-fully-masked-row"),
        Sample({"units": u, "return_sequences": True, "go_backwards": True}, (B, T, D),
               call_kwargs={"mask": RIGHT_PADDED}, id="mask-go_backwards"),
        # Right-padded masks run packed on the fused kernel (LSTM, GRU): every way its outputs are rebuilt.
        Sample({"units": u, "return_sequences": True, "return_state": True, "go_backwards": True}, (B, T, D),
               call_kwargs={"mask": FULLY_MASKED}, id="mask-right-padded-go_backwards-empty-row"),
        Sample({"units": u, "return_sequences": True, "return_state": True, "zero_output_for_mask": True},
               (B, T, D), call_kwargs={"mask": FULLY_MASKED}, id="mask-right-padded-zero_output"),
        Sample({"units": u, "return_sequences": True, "go_backwards": True, "zero_output_for_mask": True},
               (B, T, D), call_kwargs={"mask": RIGHT_PADDED}, id="mask-right-padded-go_backwards-zero_output"),
        Sample({"units": u, "return_state": True, "zero_output_for_mask": True}, (B, T, D),
               call_kwargs={"mask": RIGHT_PADDED}, id="mask-right-padded-zero_output-last"),
        Sample({"units": u, "return_sequences": True}, (B, T, D), call_kwargs={"mask": np.ones((B, T), bool)},
               id="mask-all-valid"),
        Sample({"units": u, "return_sequences": True, "zero_output_for_mask": True}, (B, T, D),
               call_kwargs={"mask": HOLES}, id="zero_output_for_mask"),
        Sample({"units": u, "return_sequences": True, "return_state": True}, make_inputs=_states(u, state_count),
               id="initial_state"),
        Sample({"units": u, "return_state": True}, make_inputs=_states(u, state_count),
               call_kwargs={"mask": HOLES}, id="initial_state-mask"),
        Sample({"units": u, "return_sequences": True, "return_state": True}, make_inputs=_states(u, state_count),
               call_kwargs={"mask": FULLY_MASKED}, id="initial_state-right-padded-empty-row"),
        Sample({"units": u, "return_state": True, "go_backwards": True}, make_inputs=_states(u, state_count),
               call_kwargs={"mask": FULLY_MASKED}, id="initial_state-right-padded-go_backwards"),
        Sample({"units": u, "unroll": True, "return_sequences": True}, (B, T, D), id="unroll"),
        Sample({"units": u, "dropout": 0.5, "recurrent_dropout": 0.3, "seed": 1}, (B, T, D), training=False,
               id="dropout-inference"),
        Sample({"units": u, "kernel_regularizer": "l2", "recurrent_regularizer": "l1", "bias_regularizer": "l1l2",
                "activity_regularizer": "l2", "kernel_constraint": "max_norm", "recurrent_constraint": "unit_norm",
                "bias_constraint": "non_neg"}, (B, T, D), id="regularizers-constraints"),
        Sample({"units": 1}, (1, 1, 1), id="one-unit-one-step"),
        *extra,
    ]


def _sampler(extra_config):
    def sample(rng) -> Sample:
        batch, length, dim = (int(v) for v in rng.integers(1, 5, size=3))
        config = {"units": int(rng.integers(1, 5)), "return_sequences": bool(rng.random() < 0.5),
                  "return_state": bool(rng.random() < 0.4), "go_backwards": bool(rng.random() < 0.3),
                  "use_bias": bool(rng.random() < 0.8)}
        if rng.random() < 0.3:
            config["activation"] = str(rng.choice(["relu", "sigmoid", "linear"]))
        config.update(extra_config(rng))
        kwargs = {}
        if rng.random() < 0.4:
            lengths = rng.integers(0, length + 1, size=batch)
            right_padded = np.arange(length)[None, :] < lengths[:, None]
            kwargs["mask"] = right_padded if rng.random() < 0.5 else rng.random((batch, length)) < 0.6
        return Sample(config, (batch, length, dim), call_kwargs=kwargs)

    return sample


def _bad_inputs(name: str, state_count: int) -> list[BadInput]:
    states = [np.zeros((2, 3), np.float32)] * state_count
    return [
        BadInput({"units": 3}, None, (2, 4), match=ndim_error(name, 3, 2), id="rank-2"),
        BadInput({"units": 3}, None, (2, 5, 4, 1), match=ndim_error(name, 3, 4), id="rank-4"),
        BadInput({"units": 3}, (2, 5, 4), (2, 5, 6), match=rf"layer {name}.*expected axis -1", id="features-changed"),
        BadInput({"units": 3}, None, (2, 5, 4), call_kwargs={"initial_state": [np.zeros((2, 4), np.float32)] * state_count},
                 match=rf"{name}.*`initial_state`", id="initial_state-wrong-shape"),
        # Keras' single-state cells read states[0] and ignore the rest (GRU, SimpleRNN accept extra states).
        BadInput({"units": 3}, None, (2, 5, 4), call_kwargs={"initial_state": states + states},
                 match=rf"{name}.*`initial_state`", keras_rejects=state_count > 1, id="initial_state-too-many"),
        BadInput({"units": 3, "stateful": True}, (2, 5, 4), (3, 5, 4), match=rf"{name}.*stateful", id="stateful-batch"),
    ]


_BAD_CONFIGS = [({"units": 0}, "zero-units"), ({"units": -2}, "negative-units"),
                ({"units": 3, "dropout": "high"}, "dropout-not-a-number"),
                ({"units": 3, "not_an_argument": 1}, "unknown-kwarg")]

LSTM = LayerSpec(
    name="LSTM",
    samples=_recurrent_samples("LSTM", 2, [
        Sample({"units": 3, "unit_forget_bias": False, "bias_initializer": "ones"}, (B, T, D), id="no-unit-forget-bias"),
        Sample({"units": 3, "recurrent_activation": "hard_sigmoid", "return_sequences": True}, (B, T, D),
               id="hard_sigmoid-loop"),
        Sample({"units": 3, "use_cudnn": False}, (B, T, D), id="use_cudnn-false"),
    ]),
    sampler=_sampler(lambda rng: {"unit_forget_bias": bool(rng.random() < 0.7)}),
    bad_configs=[*_BAD_CONFIGS, ({"units": 3, "use_cudnn": "sometimes"}, "use_cudnn")],
    bad_inputs=_bad_inputs("LSTM", 2),
)

GRU = LayerSpec(
    name="GRU",
    samples=_recurrent_samples("GRU", 1, [
        Sample({"units": 3, "reset_after": False, "return_sequences": True, "bias_initializer": RANDOM_INIT},
               (B, T, D), id="reset_after-false"),
        Sample({"units": 3, "reset_after": False, "return_state": True}, (B, T, D), call_kwargs={"mask": HOLES},
               id="reset_after-false-mask"),
        Sample({"units": 3, "reset_after": False, "use_bias": False}, (B, T, D), id="reset_after-false-no-bias"),
        Sample({"units": 3, "bias_initializer": RANDOM_INIT, "return_sequences": True}, (B, T, D),
               id="random-2-row-bias"),
    ]),
    sampler=_sampler(lambda rng: {"reset_after": bool(rng.random() < 0.6)}),
    bad_configs=_BAD_CONFIGS,
    bad_inputs=_bad_inputs("GRU", 1),
)

SIMPLE_RNN = LayerSpec(
    name="SimpleRNN",
    samples=_recurrent_samples("SimpleRNN", 1, [
        Sample({"units": 3, "activation": None, "return_sequences": True}, (B, T, D), id="linear"),
    ]),
    sampler=_sampler(lambda rng: {}),
    bad_configs=_BAD_CONFIGS,
    bad_inputs=_bad_inputs("SimpleRNN", 1),
)


def _cell_call(units: int, count: int, batch: int = B):
    def make(rng):
        states = [rng.standard_normal((batch, units)) for _ in range(count)]
        return [rng.standard_normal((batch, D)), states], {}

    return make


def _cell_spec(name: str, count: int, extra: list[Sample], extra_config=lambda rng: {}) -> LayerSpec:
    def sample(rng) -> Sample:
        units, batch = int(rng.integers(1, 5)), int(rng.integers(1, 4))
        return Sample({"units": units, "use_bias": bool(rng.random() < 0.8), **extra_config(rng)},
                      make_inputs=_cell_call(units, count, batch))

    return LayerSpec(
        name=name,
        samples=[
            Sample({"units": 3}, make_inputs=_cell_call(3, count), id="default"),
            Sample({"units": 2, "use_bias": False, "activation": "relu"}, make_inputs=_cell_call(2, count), id="no-bias-relu"),
            Sample({"units": 3, "bias_initializer": RANDOM_INIT, "kernel_regularizer": "l2",
                    "recurrent_constraint": "max_norm"}, make_inputs=_cell_call(3, count), id="init-reg-constraint"),
            Sample({"units": 3, "dropout": 0.4, "recurrent_dropout": 0.2}, make_inputs=_cell_call(3, count),
                   training=False, id="dropout-inference"),
            *extra,
        ],
        sampler=sample,
        bad_configs=_BAD_CONFIGS,
    )


LSTM_CELL = _cell_spec("LSTMCell", 2, [
    # float32 only: torch's hardsigmoid backward scales by a float32 1/6 also in float64 (5e-9 off TF's
    # gradient), outside float64's tolerance; the shared activation's defect, not the cell's.
    Sample({"units": 3, "unit_forget_bias": False, "recurrent_activation": "hard_sigmoid"},
           make_inputs=_cell_call(3, 2), dtypes=("float32",), id="no-forget-bias-hard-sigmoid"),
    Sample({"units": 3, "unit_forget_bias": False, "recurrent_activation": "softsign"},
           make_inputs=_cell_call(3, 2), id="no-forget-bias-softsign"),
])
GRU_CELL = _cell_spec("GRUCell", 1, [
    Sample({"units": 3, "reset_after": False, "bias_initializer": RANDOM_INIT}, make_inputs=_cell_call(3, 1),
           id="reset_after-false"),
], extra_config=lambda rng: {"reset_after": bool(rng.random() < 0.5)})
SIMPLE_RNN_CELL = _cell_spec("SimpleRNNCell", 1, [])


def _cell_entry(class_name: str, **config) -> dict:
    return {"module": "keras.layers", "class_name": class_name, "config": config, "registered_name": None}


RNN = LayerSpec(
    name="RNN",
    samples=[
        Sample({"cell": _cell_entry("LSTMCell", units=3)}, (B, T, D), id="lstm-cell"),
        Sample({"cell": _cell_entry("GRUCell", units=3, reset_after=False), "return_sequences": True,
                "return_state": True}, (B, T, D), id="gru-cell-state"),
        Sample({"cell": _cell_entry("SimpleRNNCell", units=2), "go_backwards": True, "return_sequences": True},
               (B, T, D), call_kwargs={"mask": HOLES}, id="simple-cell-backwards-mask"),
        Sample({"cell": [_cell_entry("LSTMCell", units=3), _cell_entry("GRUCell", units=2)],
                "return_sequences": True, "return_state": True}, (B, T, D), id="stacked-lstm-gru"),
        Sample({"cell": [_cell_entry("SimpleRNNCell", units=2), _cell_entry("LSTMCell", units=3)],
                "return_state": True}, (B, T, D), call_kwargs={"mask": RIGHT_PADDED},
               id="stacked-mask"),
    ],
    bad_configs=[({"cell": 3}, "cell-not-a-layer")],
)

def _bidirectional_states(units: int, count: int):
    def make(rng):
        return [rng.standard_normal((B, T, D))], {"initial_state": [rng.standard_normal((B, units))
                                                                    for _ in range(2 * count)]}

    return make


def _bidirectional_sample(rng) -> Sample:
    kind = str(rng.choice(["LSTM", "GRU", "SimpleRNN"]))
    inner = {"units": int(rng.integers(1, 4)), "return_sequences": bool(rng.random() < 0.6),
             "return_state": bool(rng.random() < 0.3)}
    batch, length = int(rng.integers(1, 4)), int(rng.integers(1, 5))
    kwargs = {}
    if rng.random() < 0.4:
        lengths = rng.integers(0, length + 1, size=batch)
        right_padded = np.arange(length)[None, :] < lengths[:, None]
        kwargs["mask"] = right_padded if rng.random() < 0.5 else rng.random((batch, length)) < 0.7
    merge_mode = [None, "concat", "sum", "mul", "ave"][int(rng.integers(0, 5))]
    return Sample({"layer": _cell_entry(kind, **inner), "merge_mode": merge_mode}, (batch, length, D),
                  call_kwargs=kwargs)


BIDIRECTIONAL = LayerSpec(
    name="Bidirectional",
    samples=[
        Sample({"layer": _cell_entry("LSTM", units=3)}, (B, T, D), id="lstm-concat"),
        Sample({"layer": _cell_entry("LSTM", units=3, return_sequences=True)}, (B, T, D),
               call_kwargs={"mask": RIGHT_PADDED}, id="lstm-sequences-mask"),
        *[Sample({"layer": _cell_entry("GRU", units=2, return_sequences=True), "merge_mode": mode}, (B, T, D),
                 id=f"gru-{mode}") for mode in ("sum", "mul", "ave", None)],
        Sample({"layer": _cell_entry("LSTM", units=3, return_sequences=True, return_state=True)}, (B, T, D),
               call_kwargs={"mask": HOLES}, id="lstm-state-holes"),
        Sample({"layer": _cell_entry("LSTM", units=3, return_sequences=True, return_state=True)}, (B, T, D),
               call_kwargs={"mask": FULLY_MASKED}, id="lstm-state-right-padded-empty-row"),
        Sample({"layer": _cell_entry("GRU", units=2), "merge_mode": "sum"}, (B, T, D),
               call_kwargs={"mask": RIGHT_PADDED}, id="gru-last-right-padded"),
        Sample({"layer": _cell_entry("LSTM", units=2, return_sequences=True, return_state=True), "merge_mode": None},
               make_inputs=_bidirectional_states(2, 2), call_kwargs={"mask": FULLY_MASKED},
               id="lstm-initial_state-right-padded"),
        Sample({"layer": _cell_entry("LSTM", units=2, return_state=True), "merge_mode": None},
               make_inputs=_bidirectional_states(2, 2), id="lstm-initial_state-no-merge"),
        Sample({"layer": _cell_entry("SimpleRNN", units=3, return_sequences=True),
                "backward_layer": _cell_entry("GRU", units=3, return_sequences=True, go_backwards=True,
                                              reset_after=False)}, (B, T, D), id="backward_layer-gru"),
        # A convolutional recurrent layer: 5-D sequences, merged on the channel axis.
        Sample({"layer": _cell_entry("ConvLSTM2D", filters=2, kernel_size=3, padding="same", return_sequences=True),
                "merge_mode": "concat"}, (2, 3, 4, 4, 2), id="conv_lstm2d-concat"),
        Sample({"layer": _cell_entry("ConvLSTM1D", filters=2, kernel_size=2), "merge_mode": "sum"}, (2, 3, 5, 2),
               call_kwargs={"mask": np.array([[True, True, False], [True, True, True]])},
               id="conv_lstm1d-sum-mask"),
    ],
    sampler=_bidirectional_sample,
    bad_configs=[({"layer": _cell_entry("LSTM", units=3), "merge_mode": "max"}, "merge_mode"),
                 ({"layer": 3}, "layer-not-a-layer")],
)

def _stacked_call(cells: list[tuple[str, int]], batch: int = B):
    """Inputs of one StackedRNNCells step: per cell, a list of its states (LSTM: [h, c]), or a single
    state tensor for a one-state cell given as a tensor (Keras gives it back the same way)."""
    def make(rng):
        states = []
        for kind, units in cells:
            count = 2 if kind == "LSTMCell" else 1
            drawn = [rng.standard_normal((batch, units)) for _ in range(count)]
            states.append(drawn if count == 2 else drawn[0])
        return [rng.standard_normal((batch, D)), states], {}

    return make


def _stacked_sample(rng) -> Sample:
    kinds = [str(rng.choice(["LSTMCell", "GRUCell", "SimpleRNNCell"])) for _ in range(int(rng.integers(1, 4)))]
    cells = [(kind, int(rng.integers(1, 5))) for kind in kinds]
    return Sample({"cells": [_cell_entry(kind, units=units) for kind, units in cells]},
                  make_inputs=_stacked_call(cells, int(rng.integers(1, 4))))


_STACK = [("LSTMCell", 3), ("GRUCell", 2), ("SimpleRNNCell", 2)]
STACKED_RNN_CELLS = LayerSpec(
    name="StackedRNNCells",
    samples=[
        Sample({"cells": [_cell_entry(kind, units=units) for kind, units in _STACK]}, make_inputs=_stacked_call(_STACK),
               id="lstm-gru-simple"),
        Sample({"cells": [_cell_entry("GRUCell", units=3, reset_after=False)]},
               make_inputs=_stacked_call([("GRUCell", 3)]), id="one-cell"),
    ],
    sampler=_stacked_sample,
    bad_configs=[({"cells": [3]}, "not-a-cell")],
)

# ---------------------------------------------------------------------------- ConvLSTM1D/2D/3D
CB, CT = 2, 3  # batch and timesteps of the ConvLSTM samples (small images: every step is a convolution)
CONV_RIGHT_PADDED = np.array([[True, True, True], [True, False, False]])
CONV_HOLES = np.array([[False, True, False], [True, False, True]])  # a masked first step included


def _image(spatial, channels, data_format="channels_last", batch=CB, steps=CT) -> tuple:
    """A sequence's shape, or (steps=None) one step's (a state's)."""
    time = () if steps is None else (steps,)
    if data_format == "channels_first":
        return (batch, *time, channels, *spatial)
    return (batch, *time, *spatial, channels)


def _conv_states(input_shape, state_shape):
    def make(rng):
        return [rng.standard_normal(input_shape)], {"initial_state": [rng.standard_normal(state_shape)
                                                                      for _ in range(2)]}

    return make


def _channels_first_numpy(config, input_shape, sample_id, **kwargs) -> Sample:
    """TensorFlow's CPU Conv1D/Conv2D refuse NCHW, so Keras cannot run a channels_first ConvLSTM1D/2D:
    the numpy reference (float64 gradients by gradcheck)."""
    return Sample({**config, "data_format": "channels_first"}, input_shape, reference=numpy_refs_rnn.conv_lstm,
                  id=sample_id, **kwargs)


def _conv_lstm_samples(rank: int) -> list[Sample]:
    spatial = {1: (6,), 2: (5, 4), 3: (3, 4, 3)}[rank]
    odd = {1: (7,), 2: (7, 6), 3: (5, 4, 3)}[rank]  # TF 'same' with strides 2 pads these unevenly
    x = _image(spatial, 2)
    f = 2
    out = _image(tuple(n - 2 for n in spatial), f, steps=None)  # the states of kernel 3, 'valid'
    samples = [
        Sample({"filters": f, "kernel_size": 3}, x, id="default"),
        Sample({"filters": f, "kernel_size": 3, "padding": "same", "return_sequences": True, "return_state": True},
               x, id="same-sequences-and-state"),
        Sample({"filters": 3, "kernel_size": 2, "strides": 2, "padding": "same", "return_sequences": True},
               _image(odd, 2), id="strides-same-uneven"),
        Sample({"filters": f, "kernel_size": (2,) * rank, "strides": (2,) + (1,) * (rank - 1)}, _image(odd, 2),
               id="strides-valid"),
        Sample({"filters": f, "kernel_size": 2, "dilation_rate": 2, "padding": "same", "return_sequences": True},
               _image(odd, 1), id="dilation-same"),
        Sample({"filters": f, "kernel_size": 2, "padding": "same"}, x, id="even-kernel-same"),
        Sample({"filters": f, "kernel_size": 3, "go_backwards": True, "return_sequences": True}, x,
               id="go_backwards"),
        Sample({"filters": f, "kernel_size": 3, "use_bias": False, "return_state": True}, x, id="no-bias"),
        Sample({"filters": f, "kernel_size": 3, "unit_forget_bias": False, "bias_initializer": RANDOM_INIT,
                "kernel_initializer": RANDOM_INIT, "recurrent_initializer": "glorot_normal"}, x,
               id="initializers"),
        Sample({"filters": f, "kernel_size": 3, "activation": "relu", "recurrent_activation": "softsign",
                "return_sequences": True}, x, id="activations"),
        Sample({"filters": f, "kernel_size": 3, "return_sequences": True}, x,
               call_kwargs={"mask": CONV_RIGHT_PADDED}, id="mask-right-padded"),
        Sample({"filters": f, "kernel_size": 3, "return_sequences": True, "return_state": True}, x,
               call_kwargs={"mask": CONV_HOLES}, id="mask-holes"),
        Sample({"filters": f, "kernel_size": 3, "return_sequences": True, "go_backwards": True}, x,
               call_kwargs={"mask": CONV_RIGHT_PADDED}, id="mask-go_backwards"),
        Sample({"filters": f, "kernel_size": 3, "return_sequences": True, "zero_output_for_mask": True}, x,
               call_kwargs={"mask": CONV_HOLES}, id="zero_output_for_mask"),
        Sample({"filters": f, "kernel_size": 3, "return_sequences": True, "return_state": True},
               make_inputs=_conv_states(x, out), id="initial_state"),
        Sample({"filters": f, "kernel_size": 3, "return_state": True}, make_inputs=_conv_states(x, out),
               call_kwargs={"mask": CONV_HOLES}, id="initial_state-mask"),
        Sample({"filters": f, "kernel_size": 3, "unroll": True}, x, id="unroll"),
        Sample({"filters": f, "kernel_size": 3, "dropout": 0.5, "recurrent_dropout": 0.3, "seed": 1}, x,
               training=False, id="dropout-inference"),
        Sample({"filters": f, "kernel_size": 3, "kernel_regularizer": "l2", "recurrent_regularizer": "l1",
                "bias_regularizer": "l1l2", "activity_regularizer": "l2", "kernel_constraint": "max_norm",
                "recurrent_constraint": "unit_norm", "bias_constraint": "non_neg"}, x, id="regularizers-constraints"),
        Sample({"filters": 1, "kernel_size": 1}, _image((1,) * rank, 1, batch=1, steps=1), id="one-filter-one-step"),
    ]
    first = {"filters": f, "kernel_size": 3, "padding": "same", "return_sequences": True, "return_state": True}
    strided = {"filters": f, "kernel_size": 2, "strides": 2, "padding": "same"}
    if rank == 3:  # TensorFlow runs channels_first 3-D convolutions through XLA: compared with Keras
        samples += [Sample({**first, "data_format": "channels_first"}, _image(spatial, 2, "channels_first"),
                           id="channels_first"),
                    Sample({**strided, "data_format": "channels_first"}, _image(odd, 2, "channels_first"),
                           call_kwargs={"mask": CONV_HOLES}, id="channels_first-strides-mask")]
    else:
        samples += [_channels_first_numpy(first, _image(spatial, 2, "channels_first"), "channels_first"),
                    _channels_first_numpy(strided, _image(odd, 2, "channels_first"), "channels_first-strides-mask",
                                          call_kwargs={"mask": CONV_HOLES})]
    return samples


def _conv_lstm_sampler(rank: int):
    def sample(rng) -> Sample:
        kernel = tuple(int(k) for k in rng.integers(1, 4, size=rank))
        strides, dilation = (1,) * rank, (1,) * rank
        if rng.random() < 0.3:
            strides = tuple(int(s) for s in rng.integers(1, 3, size=rank))
        elif rng.random() < 0.3:
            dilation = tuple(int(d) for d in rng.integers(1, 3, size=rank))
        padding = str(rng.choice(["valid", "same"]))
        span = [(k - 1) * d + 1 for k, d in zip(kernel, dilation)]
        spatial = tuple(int(n) for n in rng.integers(1, 4, size=rank) + span)  # at least one valid window
        batch, steps = int(rng.integers(1, 3)), int(rng.integers(1, 4))
        config = {"filters": int(rng.integers(1, 4)), "kernel_size": kernel, "strides": strides,
                  "dilation_rate": dilation, "padding": padding, "use_bias": bool(rng.random() < 0.8),
                  "return_sequences": bool(rng.random() < 0.5), "return_state": bool(rng.random() < 0.4),
                  "go_backwards": bool(rng.random() < 0.3), "unit_forget_bias": bool(rng.random() < 0.7)}
        kwargs = {}
        if rng.random() < 0.4:
            kwargs["mask"] = rng.random((batch, steps)) < 0.6
        data_format = "channels_first" if rank == 3 and rng.random() < 0.3 else "channels_last"
        config["data_format"] = data_format
        return Sample(config, _image(spatial, int(rng.integers(1, 3)), data_format, batch, steps), call_kwargs=kwargs)

    return sample


def _conv_lstm_bad_inputs(name: str, rank: int) -> list[BadInput]:
    spatial = (5,) * rank
    x = _image(spatial, 2, batch=2)
    wrong_state = [np.zeros(_image((4,) * rank, 2, batch=2, steps=None), np.float32)]  # 'valid' gives 3s
    return [
        BadInput({"filters": 2, "kernel_size": 3}, None, _image(spatial, 2, batch=2, steps=None),
                 match=ndim_error(name, rank + 3, rank + 2),
                 id="no-time-axis"),
        BadInput({"filters": 2, "kernel_size": 3}, None, x + (1,), match=ndim_error(name, rank + 3, rank + 4),
                 id="rank-too-high"),
        BadInput({"filters": 2, "kernel_size": 3}, x, _image((6,) * rank, 2, batch=2),
                 match=rf"layer {name}.*expected axis 2 of input shape to have value 5", id="spatial-changed"),
        BadInput({"filters": 2, "kernel_size": 3}, x, _image(spatial, 3, batch=2),
                 match=rf"layer {name}.*expected axis {rank + 2} of input shape to have value 2", id="channels-changed"),
        BadInput({"filters": 2, "kernel_size": 7}, None, x, match=rf"{name} .*too small for `kernel_size`",
                 id="input-too-small"),
        BadInput({"filters": 2, "kernel_size": 3}, None, x, call_kwargs={"initial_state": wrong_state * 2},
                 match=rf"{name}.*`initial_state`", id="initial_state-wrong-shape"),
        BadInput({"filters": 2, "kernel_size": 3, "padding": "same"}, None, x,
                 call_kwargs={"initial_state": [np.zeros(_image(spatial, 2, batch=2, steps=None), np.float32)]},
                 match=rf"{name}.*`initial_state` must be 2 tensor", id="initial_state-one-state"),
        BadInput({"filters": 2, "kernel_size": 3, "stateful": True}, x, _image(spatial, 2, batch=3),
                 match=rf"{name}.*stateful", id="stateful-batch"),
    ]


def _conv_lstm_bad_configs(rank: int) -> list[tuple[dict, str]]:
    return [
        ({"filters": 2, "kernel_size": 0}, "zero-kernel_size"),
        ({"filters": 2, "kernel_size": (3,) * (rank + 1)}, "kernel_size-length"),
        ({"filters": 2, "kernel_size": 3, "padding": "full"}, "padding-full"),
        ({"filters": 2, "kernel_size": 3, "padding": "causal"}, "padding-causal"),
        ({"filters": 2, "kernel_size": 3, "data_format": "nhwc"}, "data_format"),
        ({"filters": 2, "kernel_size": 3, "strides": 2, "dilation_rate": 2}, "strides-with-dilation"),
        ({"filters": 2, "kernel_size": 3, "dilation_rate": 0}, "zero-dilation"),
        ({"filters": 2, "kernel_size": 3, "dropout": "high"}, "dropout-not-a-number"),
        ({"filters": 2, "kernel_size": 3, "activation": "no_such_activation"}, "activation"),
        ({"filters": 2, "kernel_size": 3, "not_an_argument": 1}, "unknown-kwarg"),
    ]


def _conv_lstm_spec(rank: int) -> LayerSpec:
    name = f"ConvLSTM{rank}D"
    return LayerSpec(name=name, samples=_conv_lstm_samples(rank), sampler=_conv_lstm_sampler(rank),
                     bad_configs=_conv_lstm_bad_configs(rank), bad_inputs=_conv_lstm_bad_inputs(name, rank))


CONV_LSTM_1D, CONV_LSTM_2D, CONV_LSTM_3D = (_conv_lstm_spec(rank) for rank in (1, 2, 3))

SPECS = [LSTM, GRU, SIMPLE_RNN, LSTM_CELL, GRU_CELL, SIMPLE_RNN_CELL, RNN, STACKED_RNN_CELLS, BIDIRECTIONAL,
         CONV_LSTM_1D, CONV_LSTM_2D, CONV_LSTM_3D]
