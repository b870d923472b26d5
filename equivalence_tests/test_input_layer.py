"""`Input`/`InputLayer` against Keras. Keras' InputLayer is not callable on data (it makes symbolic
tensors), so the registry's generic call tests don't apply; here: config parity, constructor error
parity, and data validation/casting against a Keras functional model `Model(inp, inp)`."""

import numpy as np
import pytest
import torch

import torchkeras_layers as tkl

VALID = [
    dict(shape=(32,)),
    dict(shape=(None, 3), batch_size=4),
    dict(batch_shape=(2, 5)),
    dict(shape=(3,), dtype="int32"),
    dict(shape=(3,), dtype="float64", name="x"),
    dict(shape=(2, 2), sparse=True),
    dict(shape=(3,), optional=True),
]
INVALID = [
    dict(shape=3),
    dict(shape=(3,), batch_shape=(None, 3)),
    dict(batch_size=2, batch_shape=(2, 3)),
    dict(),
    dict(shape=(3,), dtype="no_such_dtype"),
]


@pytest.mark.parametrize("kwargs", VALID, ids=str)
def test_config_matches_keras(kwargs):
    import keras

    ours = tkl.Input(**kwargs, **({} if "name" in kwargs else {"name": "inp"}))
    theirs = keras.layers.InputLayer(**kwargs, **({} if "name" in kwargs else {"name": "inp"}))
    assert ours.get_config() == theirs.get_config()
    assert tkl.InputLayer.from_config(theirs.get_config()).get_config() == ours.get_config()
    assert ours.batch_shape == tuple(theirs.batch_shape)


@pytest.mark.parametrize("kwargs", INVALID, ids=str)
def test_invalid_arguments_rejected_like_keras(kwargs):
    import keras

    with pytest.raises((ValueError, TypeError), match="InputLayer"):
        tkl.Input(**kwargs)
    with pytest.raises(Exception):  # noqa: B017 - any rejection: Keras raises ValueError, TypeError or TF errors
        keras.Input(**kwargs)


@pytest.mark.parametrize(
    "shape,data_shape",
    [((3,), (2, 4)), ((3, 4), (2, 3)), ((None, 4), (2, 5, 3))],
    ids=["static-dim", "rank", "last-dim"],
)
def test_validation_matches_keras_model(shape, data_shape):
    import keras

    inp = keras.Input(shape)
    model = keras.Model(inp, inp)
    data = np.zeros(data_shape, np.float32)
    with pytest.raises(Exception):  # noqa: B017 - any rejection: Keras raises ValueError, TypeError or TF errors
        model(data)
    with pytest.raises(ValueError, match="InputLayer"):
        tkl.Input(shape)(torch.from_numpy(data))


def test_casts_like_keras_model():
    import keras

    inp = keras.Input((4,), dtype="int32")
    model = keras.Model(inp, inp)
    data = np.array([[1.7, -2.5, 0.2, 3.99]], np.float32)
    ours = tkl.Input((4,), dtype="int32")(torch.from_numpy(data))
    np.testing.assert_array_equal(ours.numpy(), np.asarray(model(data)))
    assert ours.dtype == torch.int32


def test_unknown_dims_accept_any_size():
    layer = tkl.Input((None, 3))
    assert layer(torch.zeros(5, 7, 3)).shape == (5, 7, 3)


def test_sparse_false_densifies():
    dense = torch.tensor([[0.0, 1.0], [2.0, 0.0]])
    out = tkl.Input((2,))(dense.to_sparse())
    assert not out.is_sparse
    torch.testing.assert_close(out, dense)
    assert tkl.Input((2,), sparse=True)(dense.to_sparse()).is_sparse
