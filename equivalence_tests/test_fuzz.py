"""Bad input never gets past a layer: property-based draws over the whole registry, each judged by
running our layer and the Keras layer (see equivalence_tests/fuzz/). Derandomized: every run makes the
same draws; ``TKL_FUZZ_DRAWS=N`` (``make fuzz``) makes more. The per-layer table is printed at the end
of the module and written to equivalence_tests/fuzz/results.md after a run over every layer."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from .fuzz.classify import DEFECT, classify
from .fuzz.draws import draws
from .fuzz.known import KNOWN_DEFECTS
from .fuzz.pool import Worker
from .fuzz.runner import DRAWS, RESULTS, judge
from .registry import all_specs

SPECS = {spec.name: spec for spec in all_specs()}
RESULTS_FILE = Path(__file__).parent / "fuzz" / "results.md"


@pytest.fixture(scope="module")
def worker(request):
    worker = Worker()
    yield worker
    worker.close()
    table = RESULTS.markdown()
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_sep("=", f"fuzz: {DRAWS} draws per layer")
        reporter.write_line(table)
    if set(RESULTS.counts) == set(SPECS):
        RESULTS_FILE.write_text(f"# Fuzz results: {DRAWS} draws per layer (`TKL_FUZZ_DRAWS={DRAWS}`)\n\n"
                                "Written by equivalence_tests/test_fuzz.py; columns: see equivalence_tests/fuzz/classify.py.\n\n" + table)


@pytest.mark.parametrize("name", list(SPECS))
def test_fuzz(name, worker):
    spec = SPECS[name]
    seen, defects = set(), []

    @settings(max_examples=DRAWS, derandomize=True, database=None, deadline=None, phases=[Phase.generate],
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


@pytest.mark.parametrize("draw", list(KNOWN_DEFECTS), ids=lambda d: d.describe())
def test_known_defect_still_reproduces(draw, worker):
    spec = SPECS[draw.spec]
    ours = worker.request("ours", draw)
    keras = worker.request("keras", draw, ours.get("weights")) if spec.has_keras_reference else None
    verdict = classify(spec, draw, ours, keras)
    assert verdict.kind == DEFECT, f"{draw.describe()} is no longer a defect ({verdict.kind}): remove it from KNOWN_DEFECTS"
