"""Training like the Keras Tuner example's `fit`: determinism per seed, the best-epoch weights, History."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tuning.hp import HyperParameters
from tuning.model import build_model, keras_weight_arrays
from tuning.train import evaluate, train_model
from tuning_fixtures import fake_cifar_dir, fake_splits  # noqa: F401  (fixtures)

SMALL = {"conv_1_filter": 32, "conv_1_kernel": 3, "dense_1_units": 32}


def train(splits, seed, epochs=2):
    return train_model(build_model, HyperParameters(values=SMALL), splits, epochs=epochs, batch_size=32, seed=seed,
                       device=torch.device("cpu"), progress=False)


def test_history_is_per_epoch_and_reproducible_per_seed(fake_splits):
    model, history, best_epoch = train(fake_splits, seed=3)
    assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(values) == 2 for values in history.values())
    assert all(np.isfinite(v) for values in history.values() for v in values)
    # Accuracies are fractions of whole images.
    assert history["val_accuracy"][0] * len(fake_splits.x_val) == pytest.approx(
        round(history["val_accuracy"][0] * len(fake_splits.x_val)))
    _, again, _ = train(fake_splits, seed=3)
    _, other, _ = train(fake_splits, seed=4)
    assert again == history
    assert other["loss"] != history["loss"]


def test_returned_weights_are_the_best_epochs(fake_splits):
    model, history, best_epoch = train(fake_splits, seed=0, epochs=3)
    assert history["val_accuracy"][best_epoch] == max(history["val_accuracy"])
    assert best_epoch == history["val_accuracy"].index(max(history["val_accuracy"]))  # first on ties
    val_loss, val_accuracy = evaluate(model, fake_splits.x_val, fake_splits.y_val)
    assert val_accuracy == history["val_accuracy"][best_epoch]
    assert val_loss == pytest.approx(history["val_loss"][best_epoch], rel=1e-6)


def test_keras_weight_export_is_in_keras_order_and_layout():
    model = build_model(HyperParameters(values=SMALL))
    arrays = keras_weight_arrays(model)
    assert [(k, v.shape) for k, v in arrays.items()] == [
        ("0/Conv2D/kernel", (3, 3, 3, 32)), ("0/Conv2D/bias", (32,)),
        ("3/Dense/kernel", (15 * 15 * 32, 32)), ("3/Dense/bias", (32,)),
        ("4/Dense/kernel", (32, 10)), ("4/Dense/bias", (10,)),
    ]
    assert all(np.array_equal(a, b) for a, b in zip(arrays.values(), model.get_weights()))
