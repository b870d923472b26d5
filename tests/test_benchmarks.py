"""The benchmark runner's worker protocol: each suite's workload is the one set up, even where the layer
and whole-model suites use the same name."""

import json

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


def test_update_replaces_this_runs_rows_and_keeps_the_others():
    from benchmarks.model_run import _updated, markdown

    def result(date, cells):
        settings = {"date": date, "command": f"run at {date}", "rounds": 7, "round_seconds": 0.25, "warmup": 3,
                    "load_average_start": [0.5], "load_average_end": [0.6], "duration_s": 1.0}
        return {"machine": {"threads": 2}, "settings": settings,
                "cells": [{"workload": w, "mode": m, "title": w, "contestants": {}, "skipped": tag}
                          for w, m, tag in cells]}

    first = _updated(None, result("d0", [("a", "forward", "first"), ("b", "forward", "first")]))
    second = _updated(json.loads(json.dumps(first)),
                      result("d1", [("b", "forward", "second"), ("c", "train", "second")]))
    assert [(c["workload"], c["skipped"], c["run"]) for c in second["cells"]] == [
        ("a", "first", 0), ("b", "second", 1), ("c", "second", 1)]
    assert [r["date"] for r in second["runs"]] == ["d0", "d1"]
    text = markdown(second)
    assert "Run 0, d0: `run at d0`" in text and "Run 1, d1" in text and "| b (run 1) |" in text


def test_a_failed_contestant_leaves_its_groups_best_unknown():
    from benchmarks.model_run import ratios

    cell = {"contestants": {"ours": {"median_s": 0.04}, "keras_tf": {"error": "inference output differs"},
                            "keras_xla": {"median_s": 0.1}, "keras_torch": {"median_s": 0.08}}}
    assert ratios(cell) == {"keras_torch": 0.5}  # not ours / XLA: tf.function might have been faster
    cell["contestants"]["keras_tf"] = {"median_s": 0.05}
    assert ratios(cell) == pytest.approx({"keras_tf_best": 0.8, "keras_torch": 0.5})
    del cell["contestants"]["keras_xla"]  # not run at all: the best of those that ran
    assert ratios(cell)["keras_tf_best"] == pytest.approx(0.8)


def test_a_contestant_off_ours_must_be_as_accurate_as_keras_against_float64():
    """Beyond the float32 tolerance from ours, a contestant passes only as accurate as Keras' float32 model
    against Keras' float64 one (the zoo's criterion, on the sampled elements)."""
    from benchmarks.model_run import _check_against_ours

    def summary(values):
        return {"shape": [len(values)], "max_abs": max(abs(v) for v in values), "samples": list(values)}

    ours, reference = [10.0, -5.0, 1.0], [10.0, -5.0, 1.0]
    off = [10.0 + 3e-3, -5.0, 1.0]  # 3e-3 from ours: ~20x the float32 tolerance at scale 10
    cases = [(None, True), ({"check": [summary(reference)], "keras_error": 2e-3}, False),
             ({"check": [summary(reference)], "keras_error": 1e-3}, True)]
    for float64, fails in cases:
        setups = {"ours": {"check": [summary(ours)]}, "keras_tf": {"check": [summary(off)]}}
        if float64:
            setups["ours"]["reference"] = float64
        cell = {"contestants": {"ours": {}, "keras_tf": {}}}
        _check_against_ours(cell, setups)
        assert ("error" in cell["contestants"]["keras_tf"]) is fails, (float64, cell)
    setups["keras_tf"]["check"] = [summary(ours)]  # within the tolerance: no float64 comparison needed
    cell = {"contestants": {"ours": {}, "keras_tf": {}}}
    _check_against_ours(cell, setups)
    assert cell["contestants"]["keras_tf"] == {"check_tolerance_ratio": 0.0}


def test_pointwise_routes_check_both_routes_against_keras_and_time_them(capsys):
    from benchmarks import pointwise_routes

    assert pointwise_routes.main(["--sizes", "2,12", "--channels", "5:3", "--seconds", "0.01", "--rounds", "1"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ") and "->" in line
            and "positions" not in line]
    assert [row.split(" | ")[:2] for row in rows] == [["| 32", "5 -> 3"], ["| 1152", "5 -> 3"]]


def test_call_overhead_checks_each_pair_and_times_both_grad_modes(capsys):
    from benchmarks import call_overhead

    assert call_overhead.main(["--calls", "5", "--rounds", "1"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ") and "µs" not in line]
    assert [row.split(" | ")[1] for row in rows] == ["Linear", "Conv2d", "BatchNorm2d", "ReLU"]
    assert all(len(row.split(" | ")) == 8 for row in rows)


def test_call_overhead_refuses_to_time_a_pair_that_disagrees(capsys, monkeypatch):
    from benchmarks import call_overhead

    pairs = call_overhead._pairs
    monkeypatch.setattr(call_overhead, "_pairs", lambda: [(*pair[:3], pair[3] + 1, pair[4]) for pair in pairs()][:1])
    assert call_overhead.main(["--calls", "5", "--rounds", "1"]) == 1
    assert "ours and Linear disagree" in capsys.readouterr().out


def test_pool_routes_check_every_route_against_keras_and_time_them(capsys):
    from benchmarks import pool_routes

    assert pool_routes.main(["--shape", "2,9,9,4", "--seconds", "0.01", "--rounds", "1"]) == 0
    rows = [line.split(" | ") for line in capsys.readouterr().out.splitlines() if line.startswith("| ")]
    assert [row[0] for row in rows[1:]] == ["| keras_tf", "| eager", "| inductor_aten", "| compiled"]
    assert all(float(row[1]) > 0 and float(row[3]) > 0 for row in rows[1:])


def test_compile_layouts_checks_both_compiled_steps_against_eager_and_times_them(capsys):
    from benchmarks import compile_layouts

    assert compile_layouts.main(["--model", "cifar_cnn", "--seconds", "0.01", "--rounds", "1"]) == 0
    rows = [line.split(" | ") for line in capsys.readouterr().out.splitlines() if line.startswith("| ")]
    assert [row[0] for row in rows[1:]] == ["| eager", "| compiled_default", "| compiled_options"]
    assert all(float(row[1]) > 0 for row in rows[1:])


def test_compile_layouts_refuses_a_model_without_images(capsys):
    from benchmarks import compile_layouts

    with pytest.raises(SystemExit) as exit_info:
        compile_layouts.main(["--model", "lstm_text"])
    assert exit_info.value.code == 2
    assert "--model must be an image model" in capsys.readouterr().err
