"""The cheap end of the keras.applications zoo (`equivalence_tests/zoo.py`, `make zoo` for all of them), and
the worked example of docs/porting.md ("Move a ResNet50 or an EfficientNetB0 from a .keras file")."""

import re
from pathlib import Path

import pytest

from .zoo import check_application

# The cheapest applications (about 15 s of CPU each on the reference machine); the others run in `make zoo`.
CHEAP = ["MobileNetV3Small"]


@pytest.mark.parametrize("name", CHEAP)
def test_application_matches_keras(name):
    result = check_application(name, size=32, seed=0)
    assert result.error is None and result.ok, result
    assert result.inference is not None and result.training is not None and result.gradient is not None


def test_porting_example_runs(tmp_path):
    text = (Path(__file__).parents[1] / "docs" / "porting.md").read_text()
    section = text.split("## Move a ResNet50 or an EfficientNetB0 from a .keras file", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    exec(compile(code, "docs/porting.md", "exec"), {"path": str(tmp_path / "efficientnet.keras")})
