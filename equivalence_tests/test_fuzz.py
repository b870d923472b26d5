"""Bad input never gets past a layer: property-based draws over the whole registry, each judged by
running our layer and the Keras layer (see equivalence_tests/fuzz/). Derandomized: every run makes the
same draws; ``TKL_FUZZ_DRAWS=N`` (``make fuzz``) makes more. The per-layer table is printed at the end
of the module and written to equivalence_tests/fuzz/results.md after a run over every layer."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings

from .fuzz.classify import DEFECT
from .fuzz.draws import draws
from .fuzz.known import KERAS_WRONG, KNOWN_DEFECTS
from .fuzz.pool import Worker
from .fuzz.runner import DRAWS, RESULTS, judge, judge_raw
from .registry import _stable_hash, all_specs

SPECS = {spec.name: spec for spec in all_specs()}
RESULTS_FILE = Path(__file__).parent / "fuzz" / "results.md"


class _Summary:
    """Prints the table in pytest's terminal summary (outside output capture, with or without -s)."""

    @staticmethod
    def pytest_terminal_summary(terminalreporter):
        if RESULTS.counts:
            terminalreporter.write_sep("=", f"fuzz: up to {DRAWS} draws per layer")
            terminalreporter.write_line(RESULTS.markdown())


@pytest.fixture(scope="module")
def worker(request):
    if not request.config.pluginmanager.is_registered(_Summary):
        request.config.pluginmanager.register(_Summary)
    worker = Worker()
    yield worker
    worker.close()
    table = RESULTS.markdown()
    if set(RESULTS.counts) == set(SPECS):
        RESULTS_FILE.write_text(f"# Fuzz results: {DRAWS} draws per layer (`TKL_FUZZ_DRAWS={DRAWS}`)\n\n"
                                "Written by equivalence_tests/test_fuzz.py; columns: see equivalence_tests/fuzz/classify.py.\n\n" + table)


@pytest.mark.parametrize("name", list(SPECS))
def test_fuzz(name, worker):
    spec = SPECS[name]
    seen, defects = set(), []

    # A fixed seed per layer: the same draws in every run, but different ones for different layers.
    @seed(_stable_hash(name))
    @settings(max_examples=DRAWS, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(draws(spec))
    def run(draw):
        if draw in seen:
            return
        seen.add(draw)
        verdict = judge(worker, spec, draw)
        RESULTS.add(draw, verdict)
        if verdict.kind == DEFECT:
            defects.append(f"{draw!r}: {verdict.why}")

    run()
    assert not defects, f"{len(defects)} defect(s) of {name}:\n" + "\n".join(defects)


@pytest.mark.parametrize("draw", list(KNOWN_DEFECTS) + list(KERAS_WRONG), ids=lambda d: d.describe())
def test_known_entry_still_reproduces(draw, worker):
    """Both known tables are strict: an entry whose draw is no longer a defect by the rules is stale."""
    verdict = judge_raw(worker, SPECS[draw.spec], draw)
    assert verdict.kind == DEFECT, f"{draw.describe()} is no longer a defect ({verdict.kind}): remove it from known.py"
