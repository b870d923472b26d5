"""Defects the fuzzer found that are not fixed yet. Strict: `test_fuzz.py` reruns every entry, and an
entry that no longer reproduces as a defect fails the run (delete it with the fix)."""

from __future__ import annotations

from .draws import Draw

# Draw -> the cause, in a sentence.
KNOWN_DEFECTS: dict[Draw, str] = {
    Draw("Multiply", 10, input="rank+1"):
        "masks whose shape no longer matches the input (the first input got an extra axis) are broadcast "
        "silently, and differently from Keras; ours should reject masks that do not match their input",
}

# Draws where Keras rejects and we accept, and ours is right (a Keras bug): judged as deviations.
KERAS_WRONG: dict[Draw, str] = {
    Draw("Conv2D", 0, input="empty-batch"):
        "Keras 3.15 (TF backend) adds the bias with a broadcast that fails for an empty batch "
        "(Incompatible shapes: [0,7,7,3] vs. [1,1,1,4]); an empty batch has an empty output",
    Draw("Conv1D", 4, input="bool"):
        "TensorFlow's Conv2D kernel has no bool variant and Keras' ops.conv does not promote its input as "
        "ops.matmul does (Dense accepts bool input); ours casts integer/bool input to the kernel's dtype for both",
}
