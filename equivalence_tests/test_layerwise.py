"""`layerwise`: every layer call of a converted functional model checked alone against Keras in float32 and
float64 (what the zoo falls back on where a deep network amplifies rounding end to end)."""

import numpy as np
import pytest
import torch

import torchkeras_layers as tkl

from .layerwise import MODES, layerwise
from .zoo import keras_floatx


def _build():
    import keras

    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3, padding="same", name="conv")(inputs)
    x = keras.layers.BatchNormalization(name="bn")(x)
    y = keras.layers.ReLU(name="relu")(x)
    y = keras.layers.MaxPooling2D(2, name="pool")(y)
    z = keras.layers.Conv2D(4, 1, name="pw")(y)
    s = keras.ops.add(y, z) * 0.5  # Keras operation nodes, not layers
    outputs = keras.layers.Dense(3, name="head")(keras.layers.GlobalAveragePooling2D(name="gap")(s))
    return keras.Model(inputs, outputs)


@pytest.fixture()
def models():
    keras32 = _build()
    rng = np.random.default_rng(0)
    keras32.set_weights([rng.uniform(0.5, 1.5, w.shape).astype("float32") for w in keras32.get_weights()])
    with keras_floatx("float64"):
        keras64 = _build()
        keras64.set_weights([w.astype(np.float64) for w in keras32.get_weights()])
    x = rng.uniform(-1.0, 1.0, (2, 8, 8, 3))
    cotangent = rng.standard_normal((2, 3))
    return keras32, tkl.from_keras(keras32), keras64, x, cotangent


@pytest.mark.parametrize("mode", MODES)
def test_every_layer_call_is_checked(models, mode):
    keras32, ours, keras64, x, cotangent = models
    calls = layerwise(keras32, ours, keras64, x, mode, cotangent)
    keys = ["conv", "bn", "relu", "pool", "pw", ours.node_keys()[5], ours.node_keys()[6], "gap", "head"]
    assert ours.node_keys() == keys
    # one entry per output, or for "gradient" per tensor input (the add reads two, the multiply one)
    expected = keys[:6] + [keys[5]] + keys[6:] if mode == "gradient" else keys
    assert [c.key for c in calls] == expected
    assert all(c.ok for c in calls), [c for c in calls if not c.ok]
    assert max(c.keras32 for c in calls) > 0  # float32 and float64 really differ: the reference is float64


@pytest.mark.parametrize("mode", ["inference", "gradient"])
def test_a_wrong_layer_fails_at_that_call_alone(models, mode):
    keras32, ours, keras64, x, cotangent = models
    with torch.no_grad():
        ours.get_layer("pw").kernel.mul_(1 + 1e-3)
    calls = layerwise(keras32, ours, keras64, x, mode, cotangent)
    assert [c.key for c in calls if not c.ok] == ["pw"]


def test_unknown_mode_is_a_value_error(models):
    with pytest.raises(ValueError, match="mode must be one of"):
        layerwise(*models[:3], models[3], "backward")
