"""CIFAR-10 from the official python-pickle batches, Keras' validation split, and a small fake CIFAR-10.

Where the data is looked for (the first hit wins), in `--data-dir DIR` if given, else in Keras' cache
(`$KERAS_HOME/datasets`, default `~/.keras/datasets`, the folder `keras.datasets.cifar10.load_data()`
fills):

* the batches folder itself (`DIR/data_batch_1 ... DIR/test_batch`),
* `DIR/cifar-10-batches-py/` (the official archive extracted; tf_keras' cache layout),
* `DIR/cifar-10-batches-py-target/cifar-10-batches-py/` (Keras 3's cache layout),
* an archive `DIR/cifar-10-python.tar.gz` (official name) or `DIR/cifar-10-batches-py-target_archive`
  (Keras 3's name), checked against the official SHA-256 and extracted next to itself.

Otherwise the archive is downloaded (when allowed and the network answers) into the Keras 3 layout, so
Keras and this tool share one copy. Nothing found -> :class:`DatasetNotFound`, whose message says where
to put the files.

The batches are read with an unpickler that only rebuilds numpy arrays (as Keras does), so a tampered
file cannot run code.
"""

from __future__ import annotations

import hashlib
import math
import os
import pickle
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from . import TRY_FAKE_DATA

if TYPE_CHECKING:
    import torch

CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR10_SHA256 = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
BATCHES_DIR = "cifar-10-batches-py"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCH = "test_batch"
IMAGE_SHAPE = (32, 32, 3)  # channel-last, as keras.datasets.cifar10 returns it
NUM_CLASSES = 10
CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")

# Keras 3 caches CIFAR-10 as `<cache>/cifar-10-batches-py-target_archive`, extracted into
# `<cache>/cifar-10-batches-py-target/`; the official archive extracts to `cifar-10-batches-py/`.
_KERAS3_DIR = "cifar-10-batches-py-target"
_ARCHIVES = {"cifar-10-python.tar.gz": ".", f"{_KERAS3_DIR}_archive": _KERAS3_DIR}

# The only globals a CIFAR batch needs (numpy < 2 and >= 2 spellings), as in Keras' RestrictedUnpickler.
_ALLOWED_GLOBALS = frozenset({
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
})


class DatasetNotFound(Exception):
    """CIFAR-10 is neither on disk nor downloadable; the message says what to do."""


class _NumpyOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a CIFAR-10 batch file")


# ---------------------------------------------------------------------- reading
def load_batch(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """One official batch file -> (images (n, 32, 32, 3) uint8 channel-last, labels (n,) int64)."""
    try:
        with open(path, "rb") as f:
            batch = _NumpyOnlyUnpickler(f, encoding="bytes").load()
        batch = {k.decode("utf8") if isinstance(k, bytes) else k: v for k, v in batch.items()}
        data = np.asarray(batch["data"], dtype=np.uint8)
        labels = np.asarray(batch["labels"], dtype=np.int64)
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, IndexError, KeyError, TypeError,
            ValueError, OverflowError) as err:
        # A truncated download, another file under the batch's name, or a batch with other fields.
        raise ValueError(f"{path}: not a readable CIFAR-10 batch file ({type(err).__name__}: {err}); "
                         "replace it with the official one") from None
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or len(labels) != len(data):
        raise ValueError(f"{path}: not a CIFAR-10 batch (data {data.shape}, {len(labels)} labels)")
    # Stored as (n, 3*32*32) channel-major rows; Keras transposes to channel-last.
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), labels


def load_batches_dir(folder: str | os.PathLike):
    """`((x_train, y_train), (x_test, y_test))` from an extracted `cifar-10-batches-py` folder,
    in the order of `keras.datasets.cifar10.load_data()` (labels flattened to int64)."""
    folder = Path(folder)
    parts = [load_batch(folder / name) for name in TRAIN_BATCHES]
    x_train = np.concatenate([x for x, _ in parts])
    y_train = np.concatenate([y for _, y in parts])
    x_test, y_test = load_batch(folder / TEST_BATCH)
    return (x_train, y_train), (x_test, y_test)


def _is_batches_dir(folder: Path) -> bool:
    return all((folder / name).is_file() for name in (*TRAIN_BATCHES, TEST_BATCH))


def keras_cache_dir() -> Path:
    """Keras' dataset cache: `$KERAS_HOME/datasets`, default `~/.keras/datasets`."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "datasets"


def find_batches_dir(base: Path, expected_sha256: str = CIFAR10_SHA256) -> Path | None:
    """The extracted batches folder under `base` (extracting a found archive first), or None."""
    candidates = (base, base / BATCHES_DIR, base / _KERAS3_DIR / BATCHES_DIR)
    for folder in candidates:
        if _is_batches_dir(folder):
            return folder
    for archive, subdir in _ARCHIVES.items():
        if (base / archive).is_file():
            extract_archive(base / archive, base / subdir, expected_sha256)
            if _is_batches_dir(base / subdir / BATCHES_DIR):
                return base / subdir / BATCHES_DIR
            raise DatasetNotFound(f"{base / archive} does not contain {BATCHES_DIR}/ with the CIFAR-10 batches")
    return None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def extract_archive(archive: Path, target: Path, expected_sha256: str = CIFAR10_SHA256) -> None:
    """Check the archive's SHA-256, then extract it into `target` (member paths are sanitised)."""
    found = sha256_of(archive)
    if found != expected_sha256:
        raise DatasetNotFound(
            f"{archive} is not the official CIFAR-10 archive (sha256 {found}, expected {expected_sha256}); "
            "it is probably incomplete: delete it and run again"
        )
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "r:gz") as tar:
        tar.extractall(target, filter="data")


def download_cifar10(cache: Path, timeout: float = 30.0) -> Path:
    """Download the official archive into Keras 3's cache layout; returns the batches folder."""
    cache.mkdir(parents=True, exist_ok=True)
    archive = cache / f"{_KERAS3_DIR}_archive"
    with tempfile.NamedTemporaryFile(dir=cache, suffix=".part", delete=False) as tmp:
        try:
            with urllib.request.urlopen(CIFAR10_URL, timeout=timeout) as response:
                shutil.copyfileobj(response, tmp)
        except BaseException:
            os.unlink(tmp.name)
            raise
    os.replace(tmp.name, archive)
    try:
        extract_archive(archive, cache / _KERAS3_DIR)
    except DatasetNotFound:
        archive.unlink()
        raise
    return cache / _KERAS3_DIR / BATCHES_DIR


def missing_dataset_message(searched: Path, reason: str) -> str:
    return (
        f"CIFAR-10 was not found in {searched} and could not be downloaded ({reason}).\n"
        f"Either put the official archive cifar-10-python.tar.gz ({CIFAR10_URL},\n"
        f"sha256 {CIFAR10_SHA256}) or its extracted folder {BATCHES_DIR}/ into\n"
        f"  {keras_cache_dir()}   (Keras' cache, shared with keras.datasets.cifar10.load_data())\n"
        f"or into any folder passed as --data-dir DIR,\n"
        f"or try the tool on a small synthetic CIFAR-10 written in the same format:\n"
        f"  {TRY_FAKE_DATA}"
    )


def load_cifar10(data_dir: str | os.PathLike | None = None, *, download: bool = True, timeout: float = 30.0):
    """`((x_train, y_train), (x_test, y_test))`, uint8 channel-last images and int64 labels.

    Raises :class:`DatasetNotFound` (with instructions) when the data is missing and cannot be fetched.
    """
    base = Path(data_dir).expanduser() if data_dir is not None else keras_cache_dir()
    folder = find_batches_dir(base)
    if folder is None:
        if not download:
            raise DatasetNotFound(missing_dataset_message(base, "downloading is disabled by --no-download"))
        try:
            folder = download_cifar10(base, timeout=timeout)
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, "reason", None) or err
            raise DatasetNotFound(missing_dataset_message(base, f"download failed: {reason}")) from None
    return load_batches_dir(folder)


# ---------------------------------------------------------------------- a synthetic CIFAR-10
# Class = (shape, texture): 5 shapes x 2 textures. Colour is only a hint (a class tint, widely jittered),
# position and size vary, and the two textures differ in scale (a 2-pixel and a 6-pixel period), so
# the kernel size, the number of filters and the dense layer's width all change what a model learns.
_FAKE_SHAPES = ("disk", "square", "ring", "cross", "triangle")
_FAKE_PERIODS = (2.0, 6.0)  # pixels per half period of the fill's stripes
_FAKE_NOISE = 25.0  # standard deviation of the pixel noise, in 0..255 units
_FAKE_CHUNK = 2048  # images generated at a time (bounded memory for a large N)
_FAKE_PALETTE = np.random.default_rng(1234).uniform(50, 205, size=(NUM_CLASSES, 3))
_YY, _XX = np.mgrid[0:32, 0:32].astype(np.float64)


def _shape_mask(shape: str, dx: np.ndarray, dy: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Boolean (n, 32, 32): `shape` centred at offsets (dx, dy) from each pixel, `size` its half-width."""
    if shape == "disk":
        return np.hypot(dx, dy) <= size
    if shape == "square":
        return np.maximum(np.abs(dx), np.abs(dy)) <= size * 0.85
    if shape == "ring":
        r = np.hypot(dx, dy)
        return (r <= size) & (r >= size * 0.55)
    if shape == "cross":
        arm = size * 0.35
        return ((np.abs(dx) <= arm) | (np.abs(dy) <= arm)) & (np.maximum(np.abs(dx), np.abs(dy)) <= size)
    # An upward triangle: inside three half-planes.
    return (dy <= size * 0.8) & (dy >= -size + 2 * np.abs(dx))


def fake_images(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(n, 3, 32, 32) uint8 images of the given classes (see the constants above for what a class is)."""
    n = len(labels)
    shape_of, texture_of = labels % len(_FAKE_SHAPES), labels // len(_FAKE_SHAPES)
    cx, cy = rng.uniform(9, 23, size=(2, n, 1, 1))
    size = rng.uniform(7, 12, size=(n, 1, 1))
    dx, dy = _XX - cx, _YY - cy
    mask = np.zeros((n, 32, 32), dtype=bool)
    for index, shape in enumerate(_FAKE_SHAPES):
        chosen = shape_of == index
        mask[chosen] = _shape_mask(shape, dx[chosen], dy[chosen], size[chosen])
    # The fill: stripes at a random angle whose period is the class's texture.
    angle = rng.uniform(0, np.pi, size=(n, 1, 1))
    period = np.asarray(_FAKE_PERIODS)[texture_of][:, None, None]
    phase = rng.uniform(0, 2 * np.pi, size=(n, 1, 1))
    stripes = np.sign(np.sin((np.cos(angle) * _XX + np.sin(angle) * _YY) * np.pi / period + phase))
    # The background: a smooth random blob pattern (low-frequency sines), so edges alone do not give the shape.
    fx, fy, phase = rng.uniform(0.1, 0.5, size=(3, n, 1, 1))
    background = np.sin(fx * _XX + phase * 6.3) * np.cos(fy * _YY)
    # The fill's colour hints at the class (a palette colour plus a wide jitter): a start for any model.
    tint = _FAKE_PALETTE[labels][:, None, None, :] + rng.normal(0, 30, size=(n, 1, 1, 3))
    colour_a, colour_b, colour_bg = tint + 45, tint - 45, 0.5 * tint + rng.uniform(20, 110, size=(n, 1, 1, 3))
    fill = np.where(stripes[..., None] > 0, colour_a, colour_b)
    hwc = np.where(mask[..., None], fill, colour_bg + 40.0 * background[..., None])
    hwc = hwc + rng.normal(0, _FAKE_NOISE, size=hwc.shape)
    return np.clip(hwc, 0, 255).astype(np.uint8).transpose(0, 3, 1, 2)


def write_fake_cifar10(root: str | os.PathLike, n_train: int, n_test: int | None = None, seed: int = 0) -> Path:
    """Write a synthetic CIFAR-10 in the official on-disk format: `root/cifar-10-batches-py/` with
    `data_batch_1..5`, `test_batch` and `batches.meta` (pickled dicts with bytes keys, images as
    (n, 3072) channel-major uint8 rows, labels as a list of ints). The same `seed` writes the same files.

    Hard enough that the example's hyperparameters matter (see :func:`fake_images`): a class is a
    shape filled with a texture, drawn at a random place and size on a textured background, with
    random colours and noise. Returns the batches folder.
    """
    if n_train < 10:
        raise ValueError(f"write_fake_cifar10: `n_train` must be at least 10, got {n_train}")
    n_test = max(10, n_train // 5) if n_test is None else n_test
    rng = np.random.default_rng(seed)
    folder = Path(root) / BATCHES_DIR
    folder.mkdir(parents=True, exist_ok=True)

    def images(n: int) -> tuple[np.ndarray, list[int]]:
        labels = rng.integers(0, NUM_CLASSES, size=n)
        chw = np.concatenate([fake_images(labels[i:i + _FAKE_CHUNK], rng) for i in range(0, n, _FAKE_CHUNK)])
        return chw.reshape(n, -1), [int(v) for v in labels]

    def write(name: str, record: dict) -> None:
        # Atomic, so that workers started together never read a half-written file.
        with tempfile.NamedTemporaryFile(dir=folder, delete=False) as f:
            pickle.dump(record, f, protocol=4)
        os.replace(f.name, folder / name)

    def dump(name: str, batch_label: str, n: int) -> None:
        data, labels = images(n)
        write(name, {
            b"batch_label": batch_label.encode(),
            b"labels": labels,
            b"data": data,
            b"filenames": [f"fake_{name}_{i:05d}.png".encode() for i in range(n)],
        })

    sizes = [n_train // 5 + (1 if i < n_train % 5 else 0) for i in range(5)]
    for i, (name, size) in enumerate(zip(TRAIN_BATCHES, sizes)):
        dump(name, f"training batch {i + 1} of 5 (fake)", size)
    dump(TEST_BATCH, "testing batch 1 of 1 (fake)", n_test)
    write("batches.meta", {b"label_names": [c.encode() for c in CLASS_NAMES],
                           b"num_cases_per_batch": max(sizes), b"num_vis": 3072})
    return folder


# ---------------------------------------------------------------------- Keras' split and device tensors
def keras_split_index(n: int, validation_split: float) -> int:
    """Where `model.fit(validation_split=...)` cuts: the last `validation_split` of the samples, before
    any shuffling, become the validation set (Keras' `train_validation_split`)."""
    if not 0.0 < validation_split < 1.0:
        raise ValueError(f"`validation_split` must be strictly between 0 and 1, got {validation_split}")
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at == 0 or split_at == n:
        raise ValueError(
            f"Training data contains {n} samples, which is not sufficient to split it into a validation "
            f"and training set as specified by `validation_split={validation_split}`"
        )
    return split_at


def fingerprint(arrays) -> str:
    """A short SHA-256 of the images and labels: a study records it, so that other data never resumes it."""
    digest = hashlib.sha256()
    (x_train, y_train), (x_test, y_test) = arrays
    for array in (x_train, y_train, x_test, y_test):
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype}{array.shape}".encode())
        digest.update(memoryview(array).cast("B"))
    return digest.hexdigest()[:16]


@dataclass
class Splits:
    """Float32 images in [0, 1] (channel-last) and int64 labels, already on the training device."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor

    def sizes(self) -> str:
        return f"{len(self.x_train)} train / {len(self.x_val)} validation / {len(self.x_test)} test images"


def prepare_splits(arrays, *, validation_split: float = 0.2, limit: int | None = None,
                   device: torch.device | str = "cpu") -> Splits:
    """Keras-style split of `load_cifar10()`'s arrays, scaled to [0, 1] and moved to `device` once.

    `limit` keeps the first `limit` training and test images (before the split, like slicing the
    arrays given to `fit`).
    """
    import torch  # here, so that reading the files needs numpy only (the Keras Tuner contestant of tuning.compare)

    (x_train, y_train), (x_test, y_test) = arrays
    if limit is not None:
        x_train, y_train, x_test, y_test = x_train[:limit], y_train[:limit], x_test[:limit], y_test[:limit]
    split_at = keras_split_index(len(x_train), validation_split)

    def images(x: np.ndarray) -> torch.Tensor:
        # Scale on the device: one uint8 upload, no float copy in host memory.
        return torch.from_numpy(np.ascontiguousarray(x)).to(device).float().div_(255.0)

    def labels(y: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.asarray(y, dtype=np.int64).reshape(-1)).to(device)

    return Splits(
        x_train=images(x_train[:split_at]), y_train=labels(y_train[:split_at]),
        x_val=images(x_train[split_at:]), y_val=labels(y_train[split_at:]),
        x_test=images(x_test), y_test=labels(y_test),
    )
