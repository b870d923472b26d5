"""Cross-framework equivalence suite: every layer against Keras 3.15 (or tf_keras / numpy)."""
