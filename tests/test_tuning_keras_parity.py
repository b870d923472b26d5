"""The tuning tool's Keras semantics checked against Keras itself (TensorFlow backend): the validation
split, the loss, the CIFAR batch reader, and the exported best model in the Keras Tuner example's Keras model.
(Adam is `tkl.optimizers.keras_adam`, checked against Keras with the optimizers.)"""

from __future__ import annotations


import numpy as np
import pytest
import torch

keras = pytest.importorskip("keras")

from equivalence_tests.tolerances import FORWARD, assert_close  # noqa: E402
from tuning.data import keras_split_index, load_batch  # noqa: E402
from tuning.hp import HyperParameters  # noqa: E402
from tuning.keras_export import export  # noqa: E402
from tuning.model import build_model, save_keras_weights  # noqa: E402
from tuning.train import sparse_categorical_crossentropy  # noqa: E402
from tuning_fixtures import fake_cifar_dir  # noqa: E402,F401  (fixture)


@pytest.mark.parametrize("n", [2, 5, 7, 10, 11, 99, 50000])
@pytest.mark.parametrize("split", [0.2, 0.1, 0.25, 0.33, 0.5])
def test_split_matches_keras_train_validation_split(n, split):
    from keras.src.trainers.data_adapters.array_slicing import train_validation_split

    x = np.arange(n)
    try:
        (train,), (val,) = train_validation_split((x,), validation_split=split)
    except ValueError:
        with pytest.raises(ValueError):
            keras_split_index(n, split)
        return
    at = keras_split_index(n, split)
    assert np.array_equal(x[:at], train) and np.array_equal(x[at:], val)


def test_loss_matches_keras_sparse_categorical_crossentropy():
    rng = np.random.default_rng(1)
    logits = rng.normal(scale=4.0, size=(64, 10)).astype(np.float32)
    probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    probs[0] = np.eye(10, dtype=np.float32)[3]  # saturated: exact 0 and 1 probabilities
    probs[1] = np.eye(10, dtype=np.float32)[4]
    labels = rng.integers(0, 10, size=64)
    labels[0], labels[1] = 3, 7
    expected = keras.ops.convert_to_numpy(keras.losses.sparse_categorical_crossentropy(labels, probs))
    ours = sparse_categorical_crossentropy(torch.from_numpy(probs), torch.from_numpy(labels)).numpy()
    assert_close(ours, expected, FORWARD["float32"], "sparse_categorical_crossentropy")


def test_keras_reads_the_fake_batches_like_our_loader(fake_cifar_dir):
    from keras.src.datasets.cifar import load_batch as keras_load_batch

    path = fake_cifar_dir / "cifar-10-batches-py" / "data_batch_3"
    channels_first, labels = keras_load_batch(str(path))
    images, our_labels = load_batch(path)
    assert np.array_equal(images, channels_first.transpose(0, 2, 3, 1))  # Keras' channels_last transpose
    assert np.array_equal(our_labels, labels)


def keras_seed_model(hp, dtype="float64"):
    """The Keras Tuner example's build_model(hp), in Keras (float64 by default, so that comparisons see the weights,
    not float32 rounding over the Dense layer's ~10^4-long sums)."""
    from keras import layers

    model = keras.Sequential()
    model.add(keras.Input((32, 32, 3), dtype=dtype))
    model.add(layers.Conv2D(filters=hp["conv_1_filter"], kernel_size=hp["conv_1_kernel"], activation="relu",
                            dtype=dtype))
    model.add(layers.MaxPooling2D(pool_size=2, dtype=dtype))
    model.add(layers.Flatten(dtype=dtype))
    model.add(layers.Dense(units=hp["dense_1_units"], activation="relu", dtype=dtype))
    model.add(layers.Dense(10, activation="softmax", dtype=dtype))
    return model


@pytest.mark.parametrize("values", [
    {"conv_1_filter": 32, "conv_1_kernel": 3, "dense_1_units": 64},
    {"conv_1_filter": 64, "conv_1_kernel": 7, "dense_1_units": 32},
])
def test_exported_weights_load_into_the_seed_keras_model(tmp_path, values):
    torch.manual_seed(0)
    ours = build_model(HyperParameters(values=values))
    save_keras_weights(ours, tmp_path / "best.npz")
    reference = keras_seed_model(values)
    reference.set_weights([w.astype(np.float64) for w in np.load(tmp_path / "best.npz").values()])
    x = np.random.default_rng(2).uniform(size=(4, 32, 32, 3))
    expected = keras.ops.convert_to_numpy(reference(x))
    got = ours.double()(torch.from_numpy(x)).detach().numpy()
    assert_close(got, expected, FORWARD["float64"], "seed model with exported weights")


def test_best_model_keras_files_are_the_seed_model_with_our_weights(tmp_path):
    values = {"conv_1_filter": 32, "conv_1_kernel": 5, "dense_1_units": 96}
    torch.manual_seed(1)
    ours = build_model(HyperParameters(values=values))
    export(ours, tmp_path)
    loaded = keras.models.load_model(tmp_path / "best_model.keras")
    seed = keras_seed_model(values, dtype="float32")
    seed.load_weights(tmp_path / "best_model.weights.h5")
    for model in (loaded, seed):
        assert [type(layer).__name__ for layer in model.layers] == ["Conv2D", "MaxPooling2D", "Flatten", "Dense", "Dense"]
        assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), ours.get_weights(), strict=True))
    conv, dense, out = loaded.layers[0], loaded.layers[3], loaded.layers[4]
    assert (conv.filters, conv.kernel_size, conv.get_config()["activation"]) == (32, (5, 5), "relu")
    assert (dense.units, out.units, out.get_config()["activation"]) == (96, 10, "softmax")
    # Compiled as the example compiles it: it evaluates straight after loading, with our model's numbers.
    x = np.random.default_rng(3).uniform(size=(8, 32, 32, 3)).astype(np.float32)
    y = np.arange(8) % 10
    loss, accuracy = loaded.evaluate(x, y, verbose=0)
    probs = ours.eval()(torch.from_numpy(x)).detach()
    assert accuracy == float((probs.argmax(-1).numpy() == y).mean())
    assert_close(np.float32(loss), sparse_categorical_crossentropy(probs, torch.from_numpy(y)).mean().numpy(),
                 FORWARD["float32"], "evaluate's loss")
