"""A draw's verdict from the two sides' answers, and the per-layer table of verdicts."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from ..harness import Report, _compare_lists
from ..tolerances import FORWARD
from .draws import config_of

EQUAL, REJECTED, OURS_ONLY, DEVIATION, DEFECT, KNOWN = (
    "accepted-and-equal", "rejected-cleanly", "accepted (no Keras)", "deviation", "defect", "known defect")
COLUMNS = (EQUAL, REJECTED, OURS_ONLY, DEVIATION, DEFECT, KNOWN)
NON_FINITE_INPUTS = ("nan", "inf", "-inf")
PASS_THROUGH = ("a weightless layer under the default float32 policy passes floating input through in its own dtype "
                "(so that .double()/.half() models keep their dtype); Keras casts it to float32")


@dataclass
class Verdict:
    kind: str
    why: str = ""


def classify(spec, draw, ours: dict, keras: dict | None) -> Verdict:
    """`keras` is None for layers Keras lacks (their samples are judged by numpy references)."""
    name_ok = lambda message: spec.name in message or spec.cls.__name__ in message  # noqa: E731
    if ours["status"] == "timeout" and keras is not None and keras["status"] == "timeout":
        # Work that takes both past the limit (e.g. a 600 MB output from a stride of 10^6) is slow, not hung.
        return Verdict(DEVIATION, f"both exceed the time limit: {ours['message']}")
    if ours["status"] in ("crash", "timeout"):
        return Verdict(DEFECT, f"ours: {ours['status']} ({ours['message']})")
    if ours["status"] == "rejected":
        if not ours["clean"]:
            return Verdict(DEFECT, f"ours raised a raw {ours['type']} at {ours['stage']}: {ours['message']}")
        if not name_ok(ours["message"]):
            return Verdict(DEFECT, f"ours: message does not name the layer: {ours['message']}")
        if ours["stage"] == "config" and draw.arg is not None and draw.arg not in ours["message"]:
            return Verdict(DEFECT, f"ours: message does not name the argument `{draw.arg}`: {ours['message']}")
    if keras is None:
        if ours["status"] == "rejected":
            return Verdict(REJECTED)
        if ours["input_finite"] and draw.input != "large" and not _all_finite(ours["outputs"]):
            return Verdict(DEFECT, "ours: non-finite output from finite input (no Keras reference)")
        return Verdict(OURS_ONLY)
    if keras["status"] in ("crash", "timeout"):
        return Verdict(DEVIATION, f"Keras {keras['status']}: {keras['message']}")
    if ours["status"] == "rejected":
        if keras["status"] == "rejected":
            return Verdict(REJECTED)
        return Verdict(DEVIATION, f"Keras accepts, ours rejects: {ours['message']}")
    if keras["status"] == "rejected":
        return Verdict(DEFECT, f"Keras rejects ({keras['type']} at {keras['stage']}: {keras['message'][:200]}), ours accepts")
    if len(ours["outputs"]) != len(keras["outputs"]):
        return Verdict(DEFECT, f"ours gives {len(ours['outputs'])} outputs, Keras {len(keras['outputs'])}")
    if _passes_dtype_through(spec, draw, ours, keras):
        try:
            keras_at_ours = [np.asarray(b).astype(np.asarray(a).dtype) for a, b in zip(ours["outputs"], keras["outputs"])]
            pairs = [_comparable(a, b) for a, b in zip(ours["outputs"], keras_at_ours)]
            _compare_lists([a for a, _ in pairs], [b for _, b in pairs], FORWARD, f"{draw.describe()} output", Report(), "forward")
        except AssertionError as exc:
            return Verdict(DEFECT, f"outputs differ (Keras' cast to our {ours['input_dtype']}): {exc}")
        return Verdict(DEVIATION, PASS_THROUGH)
    try:
        pairs = [_comparable(a, b) for a, b in zip(ours["outputs"], keras["outputs"])]
        _compare_lists([a for a, _ in pairs], [b for _, b in pairs], FORWARD, f"{draw.describe()} output", Report(), "forward")
    except AssertionError as exc:
        if draw.input in NON_FINITE_INPUTS:
            # How NaN/inf inputs propagate (NaN vs inf, max pooling skipping NaN) is not part of
            # Keras' contract; listed, not failed. NaN out of finite input is a defect (above).
            return Verdict(DEVIATION, f"non-finite input propagates differently: {exc}")
        return Verdict(DEFECT, f"outputs differ: {exc}")
    return Verdict(EQUAL)


def _passes_dtype_through(spec, draw, ours: dict, keras: dict) -> bool:
    """The documented deviation: weightless layer, plain float32 policy, floating input of another dtype,
    every floating output of ours in the input's dtype where Keras' is float32."""
    policy = config_of(spec, draw).get("dtype", spec.samples[draw.sample].dtypes[0])
    floating = lambda a: np.issubdtype(np.asarray(a).dtype, np.floating)  # noqa: E731
    ours_out = [np.asarray(a) for a in ours["outputs"] if floating(a)]
    keras_out = [np.asarray(b) for b in keras["outputs"] if floating(b)]
    return (ours["weights"] == [] and policy == "float32" and ours["input_dtype"] in ("float16", "bfloat16", "float64")
            and len(ours_out) == len(keras_out) == len(ours["outputs"]) > 0
            and all(a.dtype.name == ours["input_dtype"] for a in ours_out)
            and all(b.dtype == np.float32 for b in keras_out))


def _all_finite(arrays) -> bool:
    return all(np.isfinite(a).all() for a in arrays if np.issubdtype(np.asarray(a).dtype, np.number))


def _real(a) -> np.ndarray:
    a = np.asarray(a)
    if np.iscomplexobj(a):
        return np.stack([a.real, a.imag], axis=-1)
    return a.astype(np.uint8) if a.dtype == bool else a


def _comparable(a, b) -> tuple:
    """Complex as (real, imag) pairs, bool as 0/1, and exactly equal elements (infinities included)
    zeroed on both sides: `assert_close` would see inf - inf = NaN where both sides agree."""
    a, b = _real(a), _real(b)
    if a.shape == b.shape:
        same = a == b
        a, b = np.where(same, a.dtype.type(0), a), np.where(same, b.dtype.type(0), b)
    return a, b


class Table:
    def __init__(self):
        self.counts: dict[str, Counter] = {}
        self.notes: list[tuple[str, str, str]] = []  # (kind, draw, why) for deviations and defects

    def add(self, draw, verdict: Verdict) -> None:
        self.counts.setdefault(draw.spec, Counter())[verdict.kind] += 1
        if verdict.kind in (DEVIATION, DEFECT, KNOWN):
            self.notes.append((verdict.kind, draw.describe(), verdict.why))

    def markdown(self) -> str:
        lines = ["| layer | draws | " + " | ".join(COLUMNS) + " |", "|---" * (len(COLUMNS) + 2) + "|"]
        total = Counter()
        for name in sorted(self.counts):
            counts = self.counts[name]
            total.update(counts)
            lines.append(f"| {name} | {sum(counts.values())} | " + " | ".join(str(counts[c]) for c in COLUMNS) + " |")
        lines.append(f"| **total** | {sum(total.values())} | " + " | ".join(str(total[c]) for c in COLUMNS) + " |")
        if self.notes:
            lines += ["", "| verdict | draw | why |", "|---|---|---|"]
            lines += [f"| {k} | `{d}` | {w.replace('|', '/').replace(chr(10), ' ')[:300]} |" for k, d, w in sorted(self.notes)]
        return "\n".join(lines) + "\n"
