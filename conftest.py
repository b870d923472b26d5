"""Every test session judges against the same TensorFlow (`torchkeras_layers.testing.REFERENCE_ENVIRONMENT`),
and every test starts with torch.compile's caches empty."""

import sys

import pytest

from torchkeras_layers.testing import use_reference_environment

use_reference_environment()


@pytest.fixture(autouse=True)
def _fresh_dynamo_cache():
    """torch.compile's cache is per code object and process-wide: compiles in earlier tests (of other
    layers, through the shared base-layer hook) would count towards a later test's recompile limit."""
    if "torch._dynamo" in sys.modules:
        sys.modules["torch._dynamo"].reset()
    yield
