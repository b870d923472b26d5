"""The Keras Tuner example's CNN, built from Keras-Tuner-style hyperparameters with torchkeras_layers.

`build_model` is the Keras Tuner example's `build_model(hp)` with the Keras imports swapped for ours; `model.compile`
(Adam, sparse categorical cross-entropy, accuracy) lives in `tuning.train`.
"""

from __future__ import annotations

import numpy as np
import torch

import torchkeras_layers as tkl
from torchkeras_layers.layers import Conv2D, Dense, Flatten, MaxPooling2D

from .data import IMAGE_SHAPE, NUM_CLASSES


def build_model(hp):
    """Conv2D(32..128 step 32 filters, kernel 3/5/7, relu) -> MaxPooling2D(2) -> Flatten
    -> Dense(32..128 step 32, relu) -> Dense(10, softmax); input 32x32x3 channel-last."""
    model = tkl.Sequential()
    model.add(Conv2D(
        filters=hp.Int("conv_1_filter", min_value=32, max_value=128, step=32),
        kernel_size=hp.Choice("conv_1_kernel", values=[3, 5, 7]),
        activation="relu",
        input_shape=IMAGE_SHAPE,
    ))
    model.add(MaxPooling2D(pool_size=2))
    model.add(Flatten())
    model.add(Dense(units=hp.Int("dense_1_units", min_value=32, max_value=128, step=32), activation="relu"))
    model.add(Dense(NUM_CLASSES, activation="softmax"))
    return model


def built(model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """`model` on `device` with its weights created (a model without a declared input shape builds
    lazily on its first call, so run one sample through it)."""
    model = model.to(device)
    if not getattr(model, "built", True) or next(model.parameters(), None) is None:
        was_training = model.training
        with torch.no_grad():
            model.eval()(torch.zeros((1, *IMAGE_SHAPE), device=device))
        model.train(was_training)
    return model


def keras_weight_arrays(model) -> dict[str, np.ndarray]:
    """The model's weights in Keras layout and in `keras_model.get_weights()` order, keyed
    `<layer index>/<LayerClass>/<weight name>` (the order of the keys is the order of the list)."""
    arrays = {}
    for index, layer in enumerate(model.layers):
        for (path, _, _), value in zip(layer.keras_weights(), layer.get_weights()):
            arrays[f"{index}/{type(layer).__name__}/{path}"] = value
    return arrays


def save_keras_weights(model, path) -> None:
    """Write `keras_weight_arrays(model)` as an `.npz`; a Keras model of the same architecture loads it
    with `keras_model.set_weights(list(np.load(path).values()))`."""
    np.savez(path, **keras_weight_arrays(model))
