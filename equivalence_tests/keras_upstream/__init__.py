"""Keras' own layer tests (`keras/src/layers/**/*_test.py`), replayed unchanged against our layers.

    python -m equivalence_tests.keras_upstream     # per-file table; writes results.md / results.json

* `families.FAMILIES`: the replayed Keras test files per family (adding a family is one line);
* `adapter`: the one adapter that lets Keras' tests use our layers where they use `keras.layers.X`,
  the n/a categories (`CATEGORIES`), and the Keras-identity / perturbed adapters that test the replay;
* `replay`: loads each test module with the adapter's classes in place, runs every test method, and
  gives each one outcome: pass, fail, or n/a with a category;
* `known_failures.KNOWN_FAILURES`: every failing case with its cause, checked strictly by
  `equivalence_tests/test_keras_upstream.py`.
"""

from .adapter import CATEGORIES, KerasIdentityAdapter, NotApplicable, PerturbedAdapter, TorchAdapter
from .families import FAMILIES
from .replay import CaseResult, run_replay, summarize

__all__ = ["CATEGORIES", "FAMILIES", "CaseResult", "KerasIdentityAdapter", "NotApplicable", "PerturbedAdapter",
           "TorchAdapter", "run_replay", "summarize"]
