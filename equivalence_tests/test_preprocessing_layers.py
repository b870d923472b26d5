"""What the generic spec tests cannot reach: `Normalization.adapt` against Keras' adapt on the same data
(numpy arrays, torch/TF tensors, iterables of batches)."""

import itertools

import numpy as np
import pytest
import torch

from torchkeras_layers.layers import Normalization

from .tolerances import FORWARD, STATE, assert_close


def _data(shape, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) * 3.0 + 1.5).astype(np.float32)


def _keras_adapted(config, data):
    import keras

    layer = keras.layers.Normalization(**config)
    layer.adapt(data)
    return layer


def _compare(ours, keras_layer, probe, what):
    for a, b in zip(ours.get_weights(), keras_layer.get_weights()):
        assert a.shape == b.shape, what
        assert_close(a, b, STATE["float32"], f"{what} weights")
    ours.eval()
    assert_close(ours(torch.from_numpy(probe)).numpy(), np.asarray(keras_layer(probe)), FORWARD["float32"],
                 f"{what} forward")


# Unequal batch sizes (the last batch is short), so the running combination is weighted.
BATCHED = [
    ({}, (7, 4), [3, 3, 1]),
    ({"axis": None}, (9, 3, 2), [4, 5]),
    ({"axis": (1, 2)}, (10, 3, 2), [2, 5, 3]),
    ({"axis": -2}, (6, 4, 3), [1, 2, 3]),
]


@pytest.mark.parametrize("config,shape,sizes", BATCHED, ids=lambda v: str(v))
@pytest.mark.parametrize("kind", ["numpy-batches", "torch-batches", "tuple-batches", "generator"])
def test_adapt_iterable_of_batches_equals_keras(config, shape, sizes, kind):
    data = _data(shape)
    bounds = np.cumsum([0] + sizes)
    batches = [data[a:b] for a, b in itertools.pairwise(bounds)]
    keras_layer = _keras_adapted(config, list(batches))  # Keras' iterable branch on the same batches
    ours = Normalization(**config)
    if kind == "numpy-batches":
        ours.adapt(batches)
    elif kind == "torch-batches":
        ours.adapt([torch.from_numpy(b) for b in batches])
    elif kind == "tuple-batches":  # (x, y) pairs: x is used
        ours.adapt([(b, np.zeros(len(b))) for b in batches])
    else:
        ours.adapt(b for b in batches)
    _compare(ours, keras_layer, _data(shape, seed=1), f"adapt {kind} {config}")


@pytest.mark.parametrize("config,shape", [(c, s) for c, s, _ in BATCHED], ids=lambda v: str(v))
def test_adapt_array_equals_keras(config, shape):
    data = _data(shape)
    keras_layer = _keras_adapted(config, data)
    ours = Normalization(**config)
    ours.adapt(data)
    _compare(ours, keras_layer, _data(shape, seed=1), f"adapt numpy {config}")
    ours = Normalization(**config)
    ours.adapt(torch.from_numpy(data))
    _compare(ours, _keras_adapted(config, keras_tensor(data)), _data(shape, seed=1), f"adapt tensor {config}")


def keras_tensor(array):
    import tensorflow as tf

    return tf.constant(array)


def test_adapt_batches_equal_whole_array():
    """Keras' running combination is exact: batches give the statistics of the whole array."""
    data = _data((11, 3))
    whole, batched = Normalization(), Normalization()
    whole.adapt(data)
    batched.adapt([data[:4], data[4:5], data[5:]])
    for a, b in zip(whole.get_weights(), batched.get_weights()):
        assert_close(a, b, STATE["float32"], "batched vs whole")


def test_adapt_errors():
    with pytest.raises(ValueError, match="Normalization.*empty"):
        Normalization().adapt([])
    with pytest.raises(TypeError, match="Normalization"):
        Normalization().adapt([1.0, 2.0])
    with pytest.raises(TypeError, match="Normalization"):
        Normalization().adapt(3.0)
    layer = Normalization()
    layer.adapt(_data((4, 3)))
    with pytest.raises(ValueError, match="Normalization"):
        layer.adapt(_data((4, 5)))
    with pytest.raises(ValueError, match="Normalization"):
        Normalization(mean=0.0, variance=1.0).adapt(_data((4, 3)))


def test_set_weights_takes_effect():
    """Our forward reads the weights (Keras reads a copy refreshed by finalize_state, not by set_weights)."""
    layer = Normalization()
    layer.build((None, 2))
    layer.set_weights([np.array([1.0, 2.0], np.float32), np.array([4.0, 9.0], np.float32), np.array(0)])
    out = layer(torch.tensor([[3.0, 8.0]]))
    torch.testing.assert_close(out, torch.tensor([[1.0, 2.0]]))
