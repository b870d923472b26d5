"""Keras' own layer tests, replayed unchanged against our layers (see `replay`), counted honestly.

    python -m equivalence_tests.keras_upstream     # prints the per-file table, writes results.md/.json
"""

from .adapter import CATEGORIES, KerasIdentityAdapter, NotApplicable, PerturbedAdapter, TorchAdapter
from .families import FAMILIES
from .replay import CaseResult, run_replay, summarize

__all__ = ["CATEGORIES", "FAMILIES", "CaseResult", "KerasIdentityAdapter", "NotApplicable", "PerturbedAdapter",
           "TorchAdapter", "run_replay", "summarize"]
