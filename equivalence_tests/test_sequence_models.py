"""The sequence models Keras users bring, built as keras.io builds them, moved with `from_keras` and back
with `to_keras`: a text classifier (Embedding -> GlobalAveragePooling1D -> Dense), a bidirectional-LSTM
IMDB classifier, an LSTM seq2seq model with states, a GRU forecaster and a transformer encoder block.

Token batches are right-padded with 0 and the Embeddings use `mask_zero=True`, so the implicit mask flows
from the Embedding through the model into pooling, recurrent layers and attention, as Keras' `_keras_mask`
does. Outputs and gradients (of the float inputs and every trainable weight) are compared with
`tkl.testing.assert_equivalent` at the suite's float32 tolerances.
"""

import keras
import numpy as np
import pytest
import torch

import torchkeras_layers as tkl
from torchkeras_layers.testing import assert_equivalent

from .tolerances import FORWARD

L = keras.layers
VOCAB, LENGTH, BATCH = 50, 7, 4


def _tokens(seed=0, vocab=VOCAB, length=LENGTH):
    """Right-padded token ids: row i has length - i real tokens (ids >= 1), then zeros."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(1, vocab, (BATCH, length)).astype("int32")
    for row in range(BATCH):
        ids[row, length - row:] = 0
    return ids


def text_classifier():
    keras.utils.set_random_seed(0)
    return keras.Sequential([
        keras.Input((None,), dtype="int32"),
        L.Embedding(VOCAB, 8, mask_zero=True),
        L.GlobalAveragePooling1D(),
        L.Dense(16, activation="relu"),
        L.Dense(1, activation="sigmoid"),
    ])


def bidirectional_lstm_imdb():
    keras.utils.set_random_seed(1)
    inputs = keras.Input((None,), dtype="int32")
    x = L.Embedding(VOCAB, 8, mask_zero=True)(inputs)
    x = L.Bidirectional(L.LSTM(6, return_sequences=True))(x)
    x = L.Bidirectional(L.LSTM(5))(x)
    return keras.Model(inputs, L.Dense(1, activation="sigmoid")(x))


def lstm_seq2seq():
    """keras.io's character-level seq2seq: the encoder's final states start the decoder."""
    keras.utils.set_random_seed(2)
    encoder_inputs = keras.Input((None, 5))
    _, state_h, state_c = L.LSTM(6, return_state=True)(encoder_inputs)
    decoder_inputs = keras.Input((None, 4))
    decoded = L.LSTM(6, return_sequences=True)(decoder_inputs, initial_state=[state_h, state_c])
    return keras.Model([encoder_inputs, decoder_inputs], L.Dense(4, activation="softmax")(decoded))


def gru_forecaster():
    keras.utils.set_random_seed(3)
    return keras.Sequential([
        keras.Input((LENGTH, 3)),
        L.GRU(8, return_sequences=True),
        L.GRU(4),
        L.Dense(1),
    ])


def transformer_encoder():
    """keras.io's text-classification transformer block: MHA, residual Adds, LayerNormalization, FFN."""
    keras.utils.set_random_seed(4)
    inputs = keras.Input((None,), dtype="int32")
    x = L.Embedding(VOCAB, 8, mask_zero=True)(inputs)
    attended = L.MultiHeadAttention(num_heads=2, key_dim=4)(x, x)
    x = L.LayerNormalization(epsilon=1e-6)(L.Add()([x, attended]))
    ffn = L.Dense(8)(L.Dense(16, activation="relu")(x))
    x = L.LayerNormalization(epsilon=1e-6)(L.Add()([x, ffn]))
    x = L.GlobalAveragePooling1D()(x)
    return keras.Model(inputs, L.Dense(2, activation="softmax")(x))


def _inputs(name):
    rng = np.random.default_rng(5)
    if name == "lstm_seq2seq":
        return [rng.standard_normal((BATCH, 6, 5)).astype("float32"),
                rng.standard_normal((BATCH, 5, 4)).astype("float32")]
    if name == "gru_forecaster":
        return rng.standard_normal((BATCH, LENGTH, 3)).astype("float32")
    return _tokens()


MODELS = {f.__name__: f for f in (text_classifier, bidirectional_lstm_imdb, lstm_seq2seq, gru_forecaster,
                                  transformer_encoder)}


@pytest.mark.parametrize("name", MODELS)
def test_keras_sequence_model_converts_and_matches(name):
    keras_model = MODELS[name]()
    ours = tkl.from_keras(keras_model)
    inputs = _inputs(name)
    assert_equivalent(keras_model, ours, inputs, gradients=True)
    # And back: to_keras gives Keras the same numbers.
    back = tkl.to_keras(ours)
    expected = keras_model(inputs)
    np.testing.assert_allclose(np.asarray(back(inputs)), np.asarray(expected), **FORWARD["float32"])


@pytest.mark.parametrize("name", ["text_classifier", "bidirectional_lstm_imdb", "transformer_encoder"])
def test_padding_does_not_change_a_masked_models_output(name):
    """What the implicit mask is for: a row's output is the same however many padding zeros follow it."""
    ours = tkl.from_keras(MODELS[name]()).eval()
    ids = _tokens()
    padded = np.concatenate([ids, np.zeros((BATCH, 3), "int32")], axis=1)
    with torch.no_grad():
        short, long = ours(torch.tensor(ids)), ours(torch.tensor(padded))
    torch.testing.assert_close(long, short, **FORWARD["float32"])
