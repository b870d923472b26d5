"""Keras' own layer tests, replayed unchanged against our layers (equivalence_tests/keras_upstream).

* ours: every case that fails is listed in `keras_upstream.known_failures` with its cause, and every
  listed case still fails (strict: a fixed bug must leave the list);
* the replay itself: with Keras' own layers in place of ours (identity adapter) nothing it counts
  fails, and with ours perturbed (+0.1 on every floating output) most cases that pass fail.
"""

from __future__ import annotations

import pytest

from equivalence_tests.keras_upstream import KerasIdentityAdapter, PerturbedAdapter, TorchAdapter, run_replay, summarize
from equivalence_tests.keras_upstream.known_failures import KNOWN_FAILURES

pytest.importorskip("keras")

# The identity run pays for Keras' own `model.fit` training check (XLA-compiled) in every
# `run_layer_test`: ~170 s over all families on 2 idle cores (0 failures, 496 passes, 20 files). CI replays
# the files that exercise every mechanism of the replay (import-time `parameterized` classes, Model stubs,
# error wording, Keras' skip marks, graph tensors, `from keras.src.layers import X`, cells subclassing
# `layers.Layer` and imported from another test module) at a fraction of that;
# the full run: `python -m equivalence_tests.keras_upstream --adapter keras`.
IDENTITY_MODULES = [f"keras.src.layers.{m}" for m in (
    "activations.activation_test", "regularization.dropout_test", "core.lambda_layer_test",
    "core.input_layer_test", "reshaping.reshape_test", "reshaping.permute_test", "pooling.max_pooling_test",
    "merging.merging_test", "rnn.stacked_rnn_cells_test")]
# Value-checking files for the perturbed run (shape-only tests cannot notice a +0.1).
PERTURBED_MODULES = [f"keras.src.layers.{m}" for m in (
    "convolutional.conv_test", "pooling.max_pooling_test", "pooling.average_pooling_test",
    "normalization.batch_normalization_test")]


@pytest.fixture(scope="module")
def ours():
    return run_replay(TorchAdapter())


def test_every_case_is_counted(ours):
    """Each test method of each replayed file appears once, with an outcome and (n/a) a category."""
    keys = [r.key for r in ours]
    assert len(keys) == len(set(keys))
    assert all(r.outcome in ("pass", "fail", "n/a") for r in ours)
    assert all(r.category for r in ours if r.outcome == "n/a")
    assert set(summarize(ours)) == {r.file for r in ours}


def test_failures_are_known(ours):
    unexpected = {r.key: r.detail for r in ours if r.outcome == "fail" and r.key not in KNOWN_FAILURES}
    assert not unexpected, "new failures of Keras' tests against our layers:\n" + "\n".join(
        f"{k}: {v}" for k, v in unexpected.items())


def test_known_failures_still_fail(ours):
    outcome = {r.key: r.outcome for r in ours}
    stale = {k: outcome.get(k, "missing") for k in KNOWN_FAILURES if outcome.get(k) != "fail"}
    assert not stale, ("these known failures no longer fail; remove them from keras_upstream/known_failures.py: "
                       f"{stale}")


def test_identity_adapter_never_fails():
    """The replay run on Keras' own layers: whatever it counts as pass/fail passes."""
    results = run_replay(KerasIdentityAdapter(), modules=IDENTITY_MODULES)
    failed = {r.key: r.detail for r in results if r.outcome == "fail"}
    assert not failed, failed
    assert sum(r.outcome == "pass" for r in results) > 90


def test_perturbed_port_fails(ours):
    """+0.1 on every floating output of ours: most of the cases that pass with ours must fail."""
    results = run_replay(PerturbedAdapter(), modules=PERTURBED_MODULES)
    files = {r.file for r in results}
    passing = {r.key for r in ours if r.outcome == "pass" and r.file in files}
    failed = {r.key for r in results if r.outcome == "fail"} & passing
    assert len(failed) >= 0.5 * len(passing), (len(failed), len(passing))
