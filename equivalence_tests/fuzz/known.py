"""Defects the fuzzer found that are not fixed yet. Strict: `test_fuzz.py` reruns every entry, and an
entry that no longer reproduces as a defect fails the run (delete it with the fix)."""

from __future__ import annotations

from .draws import Draw

# Draw -> the cause, in a sentence.
KNOWN_DEFECTS: dict[Draw, str] = {
}
