"""Forward outputs, gradients (inputs and every trainable weight) and training-mode state equal the
reference's, with our weights copied into the Keras layer. Hand-picked samples run in float32 and
float64 (where the reference has float64 kernels); generated samples (fixed seeds) in float32."""

import pytest

from .harness import run_sample
from .registry import spec_params


@pytest.mark.parametrize("spec,sample,dtype", spec_params("samples"))
def test_hand_picked(spec, sample, dtype):
    report = run_sample(spec, sample, dtype)
    assert "forward" in report.checks


@pytest.mark.parametrize("spec,sample,dtype", spec_params("generated"))
def test_generated(spec, sample, dtype):
    report = run_sample(spec, sample, dtype)
    assert "forward" in report.checks
