"""Defects the fuzzer found that are not fixed yet. Strict: `test_fuzz.py` reruns every entry, and an
entry that no longer reproduces as a defect fails the run (delete it with the fix)."""

from __future__ import annotations

from .draws import Draw

# Draw -> the cause, in a sentence.
KNOWN_DEFECTS: dict[Draw, str] = {
}

# Draws where Keras rejects and we accept, and ours is right (a Keras bug): judged as deviations.
KERAS_WRONG: dict[Draw, str] = {
    Draw("Conv2D", 0, input="empty-batch"):
        "Keras 3.15 (TF backend) adds the bias with a broadcast that fails for an empty batch "
        "(Incompatible shapes: [0,7,7,3] vs. [1,1,1,4]); an empty batch has an empty output",
}
