"""The cheap end of the keras.applications zoo (`equivalence_tests/zoo.py`, `make zoo` for all of them), and
the worked example of docs/porting.md ("Move a ResNet50 or an EfficientNetB0 from a .keras file")."""

import re
from pathlib import Path

import numpy as np
import pytest

from .tolerances import FORWARD
from .zoo import KERAS_ERROR_FACTOR, as_accurate, check_application

# The cheapest applications (3-30 s each on the 2-core Intel VM, float32 and float64 builds, no compile);
# the others run in `make zoo`. MobileNetV3Small has a `Rescaling` whose float64 constant Keras rounds,
# EfficientNetB0 a `Normalization`, NASNetMobile many Keras operation nodes (and on that VM a float32 input
# gradient that only the layer-by-layer check accepts: a kink, docs/applications.md).
CHEAP = ["MobileNetV3Small", "MobileNet", "MobileNetV2", "EfficientNetB0", "NASNetMobile"]


@pytest.mark.parametrize("name", CHEAP)
def test_application_matches_keras(name):
    result = check_application(name, size=32, seed=0)
    assert result.error is None and result.ok, result
    for comparison in (result.inference, result.training, result.gradient):
        assert None not in (comparison.ours32, comparison.keras32, comparison.float64), result
    assert result.round_trip == 0.0, result  # to_keras gives Keras the same program back


def test_float32_criterion_is_relative_to_keras_error():
    """`ok` in float32: ours within KERAS_ERROR_FACTOR x Keras' own error (plus the float32 tolerance)."""
    reference = np.linspace(-100.0, 100.0, 50)
    keras32 = reference + 1.0  # Keras' float32 error: 1.0, far above the float32 tolerance (1e-3 here)
    tol = FORWARD["float32"]
    assert as_accurate(reference - KERAS_ERROR_FACTOR * 1.0, keras32, reference, tol)
    assert not as_accurate(reference - KERAS_ERROR_FACTOR * 1.0 - 0.01, keras32, reference, tol)
    assert as_accurate(reference + 5e-4, reference, reference, tol)  # Keras exact: the float32 tolerance alone
    assert not as_accurate(reference + 5e-3, reference, reference, tol)


def test_porting_example_runs(tmp_path):
    text = (Path(__file__).parents[1] / "docs" / "porting.md").read_text()
    section = text.split("## Move a ResNet50 or an EfficientNetB0 from a .keras file", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    exec(compile(code, "docs/porting.md", "exec"), {"path": str(tmp_path / "efficientnet.keras")})
