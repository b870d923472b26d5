"""Keras-style models: `Sequential` (a stack of layers) and `Model` (a functional graph of layers)."""

from .functional import Model, Node, TensorRef
from .sequential import Sequential
from .summary import format_summary

__all__ = ["Model", "Node", "Sequential", "TensorRef", "format_summary"]
