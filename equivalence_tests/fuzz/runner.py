"""Drawing, running and judging: the part of the fuzzer that test_fuzz.py and `make fuzz` share."""

from __future__ import annotations

import os

from .classify import DEFECT, DEVIATION, KNOWN, Table, Verdict, classify
from .draws import Draw
from .known import KERAS_WRONG, KNOWN_DEFECTS
from .pool import Worker

DRAWS = int(os.environ.get("TKL_FUZZ_DRAWS", "6"))  # per layer; the CI subset


def judge_raw(worker: Worker, spec, draw: Draw) -> Verdict:
    """The verdict by the rules alone (classify.py), before the known tables."""
    ours = worker.request("ours", draw)
    keras = None
    if spec.has_keras_reference:
        weights = ours.get("weights") if ours["status"] == "ok" else None
        keras = worker.request("keras", draw, weights)
    return classify(spec, draw, ours, keras)


def judge(worker: Worker, spec, draw: Draw) -> Verdict:
    verdict = judge_raw(worker, spec, draw)
    if verdict.kind == DEFECT and draw in KNOWN_DEFECTS:
        return Verdict(KNOWN, f"{KNOWN_DEFECTS[draw]} ({verdict.why})")
    if verdict.kind == DEFECT and draw in KERAS_WRONG:
        return Verdict(DEVIATION, f"ours is right: {KERAS_WRONG[draw]}")
    return verdict


RESULTS = Table()
