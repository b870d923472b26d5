"""The benchmark runner's worker protocol: each suite's workload is the one set up, even where the layer
and whole-model suites use the same name."""

import pytest

from benchmarks import models, workloads
from benchmarks.run import CHECK_RTOL, PROFILES, WorkerProcess, run_cell


def test_layer_and_model_suites_share_a_workload_name():
    assert "cifar_cnn" in workloads.by_name() and "cifar_cnn" in models.by_name()  # what the test below guards


@pytest.fixture
def workers(tmp_path):
    started = {name: WorkerProcess(name, 1, "cpu", tmp_path) for name in ("ours", "torch")}
    try:
        for worker in started.values():
            worker.wait_ready()
        yield started
    finally:
        for worker in started.values():
            worker.close()


def test_layer_suite_cifar_cnn_runs_the_layer_workload_for_every_contestant(workers):
    """The model suite's cifar_cnn has no plain-torch contestant and a Dense(96): setting up the layer
    suite's cifar_cnn must not pick it (it did, and the torch contestant failed with KeyError)."""
    profile = {**PROFILES["quick"], "rounds": 1}
    cell = run_cell(workers, workloads.by_name()["cifar_cnn"], "forward", profile, seed=0)
    for name, entry in cell["contestants"].items():
        assert "error" not in entry, f"{name}: {entry['error']}"
    assert cell["contestants"]["torch"]["check_error"] <= CHECK_RTOL
