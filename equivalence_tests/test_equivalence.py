"""Forward outputs, gradients (inputs and every trainable weight) and training-mode state equal the
reference's, with our weights copied into the Keras layer. Hand-picked samples run in float32 and
float64; generated samples (fixed seeds) in float32."""

import pytest

from .harness import run_sample
from .registry import spec_params


@pytest.mark.parametrize("spec,sample", spec_params("samples"))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_hand_picked(spec, sample, dtype):
    if dtype not in sample.dtypes:
        pytest.skip(f"sample runs in {sample.dtypes} only")
    report = run_sample(spec, sample, dtype)
    assert "forward" in report.checks


@pytest.mark.parametrize("spec,sample", spec_params("generated"))
def test_generated(spec, sample):
    report = run_sample(spec, sample, sample.dtypes[0])
    assert "forward" in report.checks
