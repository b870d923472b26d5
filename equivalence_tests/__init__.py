"""Cross-framework equivalence suite: every layer against Keras 3.15 (or tf_keras / numpy)."""

from torchkeras_layers.testing import use_reference_environment

use_reference_environment()  # before any module of the suite imports TensorFlow
