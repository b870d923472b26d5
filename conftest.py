"""Every test session judges against the same TensorFlow: see `torchkeras_layers.testing.REFERENCE_ENVIRONMENT`."""

from torchkeras_layers.testing import use_reference_environment

use_reference_environment()
