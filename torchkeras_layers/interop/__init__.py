"""Interop with Keras (imported lazily)."""
