"""`python -m tuning` on bad options, files and URLs: one line naming what is wrong, exit status 2, no
traceback, before any training; a study is never resumed on other data; a finished study run again only
reports."""

from __future__ import annotations

import json
import pickle

import pytest
from tuning_fixtures import fake_cifar_dir, run_cli  # noqa: F401  (fixture)

FAST = ("--epochs", "1", "--trials", "1", "--sampler", "random", "--pruner", "none", "--threads", "1", "--quiet")


def _fails_cleanly(result, *expected: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for text in expected:
        assert text in lines[0]


@pytest.mark.parametrize("option,expected", [
    (("--storage", "garbage://x"), ("--storage garbage://x", "knows no database")),
    (("--storage", "mysql://user@localhost/db"), ("--storage mysql://user@localhost/db", "driver is not installed")),
    (("--storage", "sqlite:////proc/nope/x.db"), ("/proc/nope", "cannot create the folder")),
    (("--storage", "postgresql+psycopg://user:secret@127.0.0.1:1/db"), ("127.0.0.1:1", "Connection refused")),
    (("--storage", "not a url"), ("is not a database URL",)),
    (("--journal", "/tmp"), ("--journal /tmp", "is a folder")),
    (("--fake-data", "5"), ("--fake-data", "at least 10")),
    (("--trials", "0"), ("--trials", "positive integer")),
])
def test_bad_options_say_what_is_wrong_in_one_line(tmp_path, option, expected):
    args = [*option] if option[0] == "--fake-data" else [*option, "--fake-data", "20"]
    result = run_cli(*args, *FAST, cwd=tmp_path, timeout=120)
    _fails_cleanly(result, *expected)
    assert "secret" not in result.stderr  # passwords are never printed
    assert not (tmp_path / "runs" / "fake-cifar10-20").exists() or option[0] != "--storage"  # checked first


@pytest.mark.parametrize("content", [b"", b"not a pickle at all", pickle.dumps({b"data": [1, 2, 3]})[:-5],
                                     pickle.dumps({b"labels": [1]})])
def test_a_damaged_batch_file_is_named(tmp_path, fake_cifar_dir, content):  # noqa: F811
    import shutil

    data = tmp_path / "data"
    shutil.copytree(fake_cifar_dir, data)
    (data / "cifar-10-batches-py" / "data_batch_3").write_bytes(content)
    result = run_cli("--data-dir", str(data), *FAST, cwd=tmp_path, timeout=120)
    _fails_cleanly(result, "data_batch_3", "not a readable CIFAR-10 batch file")


def test_other_data_never_resumes_a_study_and_a_finished_study_only_reports(tmp_path, fake_cifar_dir):  # noqa: F811
    import shutil

    first, second = tmp_path / "first", tmp_path / "second"
    shutil.copytree(fake_cifar_dir, first)
    shutil.copytree(fake_cifar_dir, second)
    done = run_cli("--data-dir", str(first), *FAST, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr
    best = json.loads((tmp_path / "runs" / "cifar10-random-1ep" / "best_params.json").read_text())
    assert best["model"]["from"] == "trial 0's checkpoint"

    # The same study run again: nothing is trained or exported again.
    again = run_cli("--data-dir", str(first), *FAST, cwd=tmp_path, timeout=300)
    assert again.returncode == 0, again.stderr
    assert "already saved" in again.stdout

    # Other images under the same default study name: refused, with the reason.
    path = second / "cifar-10-batches-py" / "data_batch_1"
    batch = pickle.loads(path.read_bytes())
    batch[b"data"] = 255 - batch[b"data"]
    path.write_bytes(pickle.dumps(batch))
    other = run_cli("--data-dir", str(second), *FAST, cwd=tmp_path, timeout=300)
    _fails_cleanly(other, "cifar10-random-1ep", "on other data", "--study-name")
