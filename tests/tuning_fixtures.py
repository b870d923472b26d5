"""Shared helpers of the tuning tests (tests/test_tuning_*.py): a small fake CIFAR-10 on disk, its
splits, and running `python -m tuning` as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FAKE_TRAIN_IMAGES = 200  # -> 160 train / 40 validation, 40 test


def cli_env(**extra: str) -> dict:
    """The environment for a `python -m tuning` subprocess run outside the repository folder."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "tuning", *args]


def run_cli(*args: str, cwd: Path, timeout: float = 300, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(cli_command(*args), cwd=cwd, env=env or cli_env(), capture_output=True, text=True,
                          timeout=timeout)


def start_cli(*args: str, cwd: Path, env: dict | None = None, log: Path | None = None) -> subprocess.Popen:
    if log is None:
        return subprocess.Popen(cli_command(*args), cwd=cwd, env=env or cli_env(), stdout=subprocess.DEVNULL,
                                stderr=subprocess.STDOUT)
    with open(log, "w") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(cli_command(*args), cwd=cwd, env=env or cli_env(), stdout=out, stderr=subprocess.STDOUT)


@pytest.fixture(scope="session")
def fake_cifar_dir(tmp_path_factory) -> Path:
    """A folder holding `cifar-10-batches-py/` with a small fake CIFAR-10 in the official format."""
    from tuning.data import write_fake_cifar10

    root = tmp_path_factory.mktemp("fake_cifar")
    write_fake_cifar10(root, FAKE_TRAIN_IMAGES, seed=0)
    return root


@pytest.fixture(scope="session")
def fake_splits(fake_cifar_dir):
    """The fake CIFAR-10 through the real loader and Keras' 0.2 validation split, on the CPU."""
    from tuning.data import load_cifar10, prepare_splits

    return prepare_splits(load_cifar10(fake_cifar_dir, download=False), validation_split=0.2)
