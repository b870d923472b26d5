"""The CIFAR-10 loader on fake data in the official format, archives, missing data, Keras' split."""

from __future__ import annotations

import hashlib
import pickle
import tarfile
import urllib.error

import numpy as np
import pytest
import torch

from tuning import data
from tuning_fixtures import FAKE_TRAIN_IMAGES, fake_cifar_dir  # noqa: F401  (fixture)


def write_batch(path, rows: np.ndarray, labels: list[int]) -> None:
    """A batch file as the official archive has it: a pickled dict with bytes keys."""
    with open(path, "wb") as f:
        pickle.dump({b"batch_label": b"test", b"labels": labels, b"data": rows, b"filenames": []}, f)


def test_fake_files_have_the_official_format(fake_cifar_dir):
    folder = fake_cifar_dir / "cifar-10-batches-py"
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["batches.meta", "data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4",
                     "data_batch_5", "test_batch"]
    with open(folder / "data_batch_1", "rb") as f:
        batch = pickle.load(f, encoding="bytes")
    assert set(batch) == {b"batch_label", b"labels", b"data", b"filenames"}
    assert batch[b"data"].dtype == np.uint8 and batch[b"data"].shape == (FAKE_TRAIN_IMAGES // 5, 3072)
    assert isinstance(batch[b"labels"], list) and all(isinstance(v, int) for v in batch[b"labels"])
    with open(folder / "batches.meta", "rb") as f:
        assert pickle.load(f, encoding="bytes")[b"label_names"][0] == b"airplane"


def test_loader_reads_the_fake_dataset(fake_cifar_dir):
    (x_train, y_train), (x_test, y_test) = data.load_cifar10(fake_cifar_dir, download=False)
    assert x_train.shape == (FAKE_TRAIN_IMAGES, 32, 32, 3) and x_train.dtype == np.uint8
    assert x_test.shape == (FAKE_TRAIN_IMAGES // 5, 32, 32, 3)
    assert y_train.shape == (FAKE_TRAIN_IMAGES,) and y_train.dtype == np.int64
    assert set(np.unique(y_train)) <= set(range(10)) and len(np.unique(y_train)) > 5
    # The batches are concatenated in order data_batch_1..5.
    with open(fake_cifar_dir / "cifar-10-batches-py" / "data_batch_2", "rb") as f:
        second = pickle.load(f, encoding="bytes")
    n = FAKE_TRAIN_IMAGES // 5
    assert list(y_train[n:2 * n]) == second[b"labels"]


def test_rows_are_channel_major_and_become_channel_last(tmp_path):
    # One image whose red plane is 10, green 20, blue 30, with pixel (0, 1) of the red plane 99.
    row = np.concatenate([np.full(1024, 10), np.full(1024, 20), np.full(1024, 30)]).astype(np.uint8)
    row[1] = 99
    write_batch(tmp_path / "one", row[None], [7])
    images, labels = data.load_batch(tmp_path / "one")
    assert images.shape == (1, 32, 32, 3) and list(labels) == [7]
    assert images[0, 5, 5].tolist() == [10, 20, 30]
    assert images[0, 0, 1].tolist() == [99, 20, 30]


def test_batch_files_cannot_run_code(tmp_path):
    class Gadget:
        def __reduce__(self):
            return (print, ("pwned",))

    with open(tmp_path / "evil", "wb") as f:
        pickle.dump({b"data": Gadget(), b"labels": []}, f)
    with pytest.raises(ValueError, match="refusing to load builtins.print"):
        data.load_batch(tmp_path / "evil")


@pytest.mark.parametrize("layout", [".", "cifar-10-batches-py", "cifar-10-batches-py-target/cifar-10-batches-py"])
def test_batches_folder_layouts(tmp_path, fake_cifar_dir, layout):
    target = tmp_path / layout
    target.mkdir(parents=True, exist_ok=True)
    for p in (fake_cifar_dir / "cifar-10-batches-py").iterdir():
        (target / p.name).write_bytes(p.read_bytes())
    assert data.find_batches_dir(tmp_path) == target
    (x_train, _), _ = data.load_cifar10(tmp_path, download=False)
    assert len(x_train) == FAKE_TRAIN_IMAGES


def make_archive(fake_cifar_dir, path):
    with tarfile.open(path, "w:gz") as tar:
        tar.add(fake_cifar_dir / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("name, extracted", [
    ("cifar-10-python.tar.gz", "cifar-10-batches-py"),
    ("cifar-10-batches-py-target_archive", "cifar-10-batches-py-target/cifar-10-batches-py"),
])
def test_archive_is_checked_and_extracted(tmp_path, fake_cifar_dir, name, extracted):
    digest = make_archive(fake_cifar_dir, tmp_path / name)
    assert data.find_batches_dir(tmp_path, expected_sha256=digest) == tmp_path / extracted
    (x_train, _), _ = data.load_batches_dir(tmp_path / extracted)
    assert len(x_train) == FAKE_TRAIN_IMAGES


def test_archive_with_a_wrong_checksum_is_refused(tmp_path, fake_cifar_dir):
    make_archive(fake_cifar_dir, tmp_path / "cifar-10-python.tar.gz")
    with pytest.raises(data.DatasetNotFound, match=f"expected {data.CIFAR10_SHA256}.*delete it"):
        data.load_cifar10(tmp_path, download=False)


def test_missing_dataset_says_where_to_put_it(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    with pytest.raises(data.DatasetNotFound) as err:
        data.load_cifar10(None, download=False)
    message = str(err.value)
    for expected in (str(tmp_path / "keras_home" / "datasets"), "cifar-10-python.tar.gz", data.CIFAR10_SHA256,
                     "--data-dir", "--fake-data", "disabled by --no-download"):
        assert expected in message


def test_failed_download_says_where_to_put_it(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(data.urllib.request, "urlopen", offline)
    with pytest.raises(data.DatasetNotFound, match="download failed: Name or service not known") as err:
        data.load_cifar10(tmp_path, download=True)
    assert "--fake-data" in str(err.value)
    assert list(tmp_path.iterdir()) == []  # no partial file left behind


@pytest.mark.parametrize("n, split, expected", [
    # floor(n * (1 - split)), written out from Keras' `train_validation_split`.
    (10, 0.2, 8), (7, 0.2, 5), (5, 0.2, 4), (50000, 0.2, 40000), (3, 0.5, 1), (11, 0.25, 8),
])
def test_keras_split_index(n, split, expected):
    assert data.keras_split_index(n, split) == expected


@pytest.mark.parametrize("n, split", [(1, 0.2), (5, 1e-17), (10, 0.0), (10, 1.0)])
def test_keras_split_refuses_an_empty_side(n, split):
    with pytest.raises(ValueError, match="validation_split"):
        data.keras_split_index(n, split)


def test_validation_is_the_tail_before_shuffling_and_limit_comes_first():
    x = np.arange(20, dtype=np.uint8).reshape(20, 1, 1, 1) * np.ones((1, 32, 32, 3), np.uint8)
    y = np.arange(20) % 10
    splits = data.prepare_splits(((x, y), (x[:6], y[:6])), validation_split=0.2, limit=15)
    # 15 images kept, floor(15 * 0.8) = 12 train, the last 3 (ids 12..14) validate, 6 test.
    assert splits.x_train[:, 0, 0, 0].mul(255).round().tolist() == list(range(12))
    assert splits.x_val[:, 0, 0, 0].mul(255).round().tolist() == [12, 13, 14]
    assert splits.y_val.tolist() == [2, 3, 4] and splits.y_val.dtype == torch.int64
    assert len(splits.x_test) == 6
    assert splits.x_train.dtype == torch.float32 and float(splits.x_train.max()) <= 1.0


def test_fake_data_is_deterministic_from_its_seed(tmp_path):
    folders = [data.write_fake_cifar10(tmp_path / name, 60, seed=seed) for name, seed in (("a", 3), ("b", 3), ("c", 4))]
    same, other = ((folders[0] / "data_batch_1").read_bytes() == (f / "data_batch_1").read_bytes() for f in folders[1:])
    assert same and not other


def test_fake_data_needs_more_than_colour():
    """Colour is only a hint: a nearest-class-mean classifier on the mean colour is well above chance
    (learnable) but far from perfect, so a model has to see the shapes and textures."""
    rng = np.random.default_rng(0)
    labels = rng.integers(0, data.NUM_CLASSES, size=3000)
    images = data.fake_images(labels, rng).reshape(3000, 3, -1).mean(-1)
    train, test = slice(0, 2000), slice(2000, None)
    centroids = np.stack([images[train][labels[train] == k].mean(0) for k in range(data.NUM_CLASSES)])
    predicted = np.argmin(((images[test][:, None] - centroids) ** 2).sum(-1), axis=1)
    accuracy = (predicted == labels[test]).mean()
    assert 0.3 < accuracy < 0.7, accuracy
