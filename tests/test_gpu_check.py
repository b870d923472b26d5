"""`make gpu-check` (equivalence_tests/gpu_check.py) on this CPU machine: its dry run (`--device cpu`)
runs every check's code, the comparisons catch a device that computes other numbers, and without a
CUDA device it says so in one line and exits 2."""

import json

import torch

from equivalence_tests import gpu_check


def test_without_cuda_one_line_and_exit_status_2(monkeypatch, capsys):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert gpu_check.main(["--no-bench"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("gpu-check: no CUDA device here")


def test_dry_run_writes_the_report(tmp_path, capsys):
    code = gpu_check.main(["--device", "cpu", "--layers", "Dense,BatchNormalization,Dropout", "--no-bench",
                           "--samples-per-spec", "1", "--out", str(tmp_path)])
    assert code == 0, capsys.readouterr().out
    results = json.loads((tmp_path / "gpu-check.json").read_text())
    assert sorted(row["layer"] for row in results["layers"]) == ["BatchNormalization", "Dense", "Dropout"]
    for row in results["layers"]:
        assert {k: v["status"] for k, v in row.items() if isinstance(v, dict)} == dict.fromkeys(
            ["float32", "float64", "autocast float16", "autocast bfloat16", "mixed_float16", "mixed_bfloat16"],
            "pass")
    assert [row["status"] for row in results["attention"]] == ["pass"] * 3
    assert "| Dense |" in (tmp_path / "gpu-check.md").read_text()


def test_a_device_that_computes_other_numbers_fails(monkeypatch):
    from equivalence_tests.registry import all_specs

    spec = next(s for s in all_specs() if s.name == "Dense")

    def to_a_wrong_device(module, *args, **kwargs):  # what a wrong kernel on the device would look like
        with torch.no_grad():
            for weight in module.parameters():
                weight.mul_(1 + 1e-3)
        return module

    monkeypatch.setattr(spec.cls, "to", to_a_wrong_device)
    outcome = gpu_check._outcome(gpu_check.check_sample, spec, "equivalence", "x", spec, spec.samples[0], "cpu",
                                 "float32")
    assert outcome["status"] == "fail" and "output" in outcome["error"]
