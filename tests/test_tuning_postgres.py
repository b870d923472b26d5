"""Several worker processes on one study in a real PostgreSQL server: exactly the requested trials run,
none lost, none twice.

The server: `$TUNING_TEST_POSTGRES_URL` when set (CI runs `.ci/postgres.sh`, which installs PostgreSQL
if needed), else a throwaway cluster started here with the same script from the installed binaries.
Skipped only where no PostgreSQL binary exists.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
import uuid

import optuna
import pytest
from optuna.trial import TrialState

from tuning_fixtures import REPO, cli_env, start_cli

SCRIPT = REPO / ".ci" / "postgres.sh"
NO_BINARIES = 3  # postgres.sh's exit status when no PostgreSQL binaries exist


@pytest.fixture(scope="module")
def postgres_url():
    url = os.environ.get("TUNING_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    folder = tempfile.mkdtemp(prefix="tuning-postgres-")  # not under pytest's 0700 tmp: the server user reads it
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started = subprocess.run(["bash", str(SCRIPT), "--no-install", "--dir", folder, "--port", str(port)],
                             capture_output=True, text=True, timeout=180)
    if started.returncode == NO_BINARIES:
        pytest.skip("no PostgreSQL binaries (initdb, pg_ctl) on this machine; run .ci/postgres.sh to install them")
    assert started.returncode == 0, started.stderr
    try:
        yield started.stdout.strip()
    finally:
        subprocess.run(["bash", str(SCRIPT), "--stop", "--dir", folder], capture_output=True, timeout=120)
        shutil.rmtree(folder, ignore_errors=True)


def test_parallel_workers_run_exactly_the_requested_trials(tmp_path, postgres_url):
    name, workers, trials = f"multi-{uuid.uuid4().hex[:8]}", 3, 5
    args = ("--storage", postgres_url, "--study-name", name, "--trials", str(trials), "--fake-data", "120",
            "--epochs", "1", "--pruner", "none", "--threads", "1", "--no-report", "--quiet")
    # Started together: they race to create the study; one queues the budget, the others join it.
    logs = [tmp_path / f"worker{i}.log" for i in range(workers)]
    processes = [start_cli(*args, cwd=tmp_path, log=log, env=cli_env()) for log in logs]
    codes = [p.wait(timeout=600) for p in processes]
    outputs = [log.read_text() for log in logs]
    assert codes == [0] * workers, outputs

    study = optuna.load_study(study_name=name, storage=postgres_url)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * trials
    assert [t.number for t in study.trials] == list(range(trials))
    assert study.user_attrs["n_trials"] == trials
    # Each trial was run by exactly one worker.
    ran = [int(n) for out in outputs for n in re.findall(r"^trial (\d+) complete:", out, re.MULTILINE)]
    assert sorted(ran) == list(range(trials))
