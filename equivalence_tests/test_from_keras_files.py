"""`from_keras(path)` on damaged and foreign files: each a ValueError / FileNotFoundError whose one-line
message names the file and what is wrong, never a raw zipfile / h5py / json traceback; a Lambda holding
Python bytecode is refused as Keras refuses it (safe mode) and loads with `safe_mode=False`."""

import json
import re
import zipfile

import h5py
import keras
import numpy as np
import pytest
import torch

import torchkeras_layers as tkl

from .tolerances import FORWARD, assert_close


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A small saved model: path and the Keras model."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="dense")], name="small")
    path = tmp_path_factory.mktemp("files") / "small.keras"
    model.save(path)
    return path, model


def _refused(path, match, exc=ValueError, **kwargs):
    with pytest.raises(exc) as info:
        tkl.from_keras(str(path), **kwargs)
    message = str(info.value)
    assert str(path) in message and "\n" not in message, message
    assert info.value.__cause__ is None or isinstance(info.value.__cause__, exc), "a raw error is chained"
    assert info.value.__suppress_context__ or info.value.__context__ is None, "a raw traceback is shown"
    assert re.search(match, message), message


def test_missing_file(tmp_path):
    _refused(tmp_path / "absent.keras", "no such file", FileNotFoundError)


def test_empty_keras_file(tmp_path):
    path = tmp_path / "empty.keras"
    path.write_bytes(b"")
    _refused(path, "is empty")


def test_truncated_keras_file(saved, tmp_path):
    path = tmp_path / "truncated.keras"
    path.write_bytes(saved[0].read_bytes()[:200])
    _refused(path, "not a .keras file|damaged")


def test_random_bytes(tmp_path):
    path = tmp_path / "noise.keras"
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    _refused(path, "not a .keras file")


def test_zip_without_config(tmp_path):
    path = tmp_path / "other.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "not a model")
    _refused(path, "without config.json")


def test_config_not_json(saved, tmp_path):
    path = tmp_path / "badjson.keras"
    with zipfile.ZipFile(saved[0]) as source, zipfile.ZipFile(path, "w") as target:
        for name in source.namelist():
            target.writestr(name, b"{not json" if name == "config.json" else source.read(name))
    _refused(path, "not valid JSON")


def test_h5_that_is_not_a_model(tmp_path):
    path = tmp_path / "data.h5"
    with h5py.File(path, "w") as f:
        f["x"] = np.arange(3)
    _refused(path, "without a model config")


def test_h5_random_bytes(tmp_path):
    path = tmp_path / "noise.h5"
    path.write_bytes(np.random.default_rng(1).bytes(4096))
    _refused(path, "not an HDF5 file")


def test_config_weights_mismatch(saved, tmp_path):
    path = tmp_path / "mismatch.keras"
    with zipfile.ZipFile(saved[0]) as source, zipfile.ZipFile(path, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "config.json":
                config = json.loads(data)
                config["config"]["layers"][-1]["config"]["units"] = 5  # the weights hold 3 units
                data = json.dumps(config).encode()
            target.writestr(name, data)
    _refused(path, "cannot load")


def test_damaged_weights_file(saved, tmp_path):
    path = tmp_path / "bad.weights.h5"
    path.write_bytes(b"\x00" * 64)
    _refused(path, "cannot load the weights file", model=saved[1])


def test_lambda_bytecode_refused_unless_safe_mode_off(tmp_path):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Lambda(lambda t: t * 2.0, name="double")])
    path = tmp_path / "lambda.keras"
    model.save(path)
    with pytest.raises(ValueError) as keras_refusal:  # Keras' own behaviour, mirrored
        keras.saving.load_model(path)
    assert "safe_mode" in str(keras_refusal.value)
    _refused(path, r"'double' \(Lambda\).*safe_mode=False")
    ours = tkl.from_keras(str(path), safe_mode=False)
    x = np.ones((2, 4), "float32")
    np.testing.assert_array_equal(ours(torch.from_numpy(x)).numpy(), np.asarray(model(x)))


def test_intact_file_still_loads(saved):
    path, model = saved
    ours = tkl.from_keras(str(path))
    x = np.random.default_rng(2).standard_normal((2, 4)).astype("float32")
    assert_close(ours(torch.from_numpy(x)).detach().numpy(), np.asarray(model(x)), FORWARD["float32"], "intact file")
