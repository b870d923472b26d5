"""Drawing, running and judging: the part of the fuzzer that test_fuzz.py and `make fuzz` share."""

from __future__ import annotations

import os

from .classify import DEFECT, KNOWN, Table, Verdict, classify
from .draws import Draw
from .known import KNOWN_DEFECTS
from .pool import Worker

DRAWS = int(os.environ.get("TKL_FUZZ_DRAWS", "4"))  # per layer; the CI subset


def judge(worker: Worker, spec, draw: Draw) -> Verdict:
    ours = worker.request("ours", draw)
    keras = None
    if spec.has_keras_reference:
        weights = ours.get("weights") if ours["status"] == "ok" else None
        keras = worker.request("keras", draw, weights)
    verdict = classify(spec, draw, ours, keras)
    if verdict.kind == DEFECT and draw in KNOWN_DEFECTS:
        return Verdict(KNOWN, f"{KNOWN_DEFECTS[draw]} ({verdict.why})")
    return verdict


RESULTS = Table()
