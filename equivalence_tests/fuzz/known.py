"""Defects the fuzzer found that are not fixed yet. Strict: `test_fuzz.py` reruns every entry, and an
entry that no longer reproduces as a defect fails the run (delete it with the fix)."""

from __future__ import annotations

from .draws import Draw

NON_FLOAT_POOLING = ("integer/bool input reaches torch's pooling kernel, which has no such variant (a raw torch "
                     "error); the pooling bases need a dtype check naming the layer (Keras' TF AvgPool rejects too)")
EMPTY_AXIS = "a zero-size pooled axis reaches torch's kernel unchecked (a raw torch error instead of a ValueError naming the layer)"

# Draw -> the cause, in a sentence.
KNOWN_DEFECTS: dict[Draw, str] = {
    Draw("AdaptiveAveragePooling1D", 0, input="int32"): NON_FLOAT_POOLING,
    Draw("AdaptiveMaxPooling2D", 0, input="int64"): NON_FLOAT_POOLING,
    Draw("AveragePooling2D", 6, input="bool"): NON_FLOAT_POOLING,
    Draw("MaxPooling3D", 0, input="bool"): NON_FLOAT_POOLING,
    Draw("MeanShiftPooling2D", 1, input="int32"): NON_FLOAT_POOLING,
    Draw("MeanShiftPooling2D", 1, input="int64"):
        "integer input goes through the mean-shift arithmetic uncast: inf/NaN out of finite input",
    Draw("GlobalAveragePooling3D", 1, input="bool"):
        "torch.mean has no bool variant (raw RuntimeError); Keras' mean promotes bool to float and accepts",
    Draw("AdaptiveMaxPooling1D", 2, input="zero-last-axis"): EMPTY_AXIS,
    Draw("AdaptiveMaxPooling3D", 1, input="zero-middle-axis"): EMPTY_AXIS,
    Draw("GlobalMaxPooling1D", 2, input="zero-last-axis"): EMPTY_AXIS + " (Keras rejects: max of an empty tensor)",
    Draw("GlobalMaxPooling1D", 3, input="zero-last-axis"): EMPTY_AXIS + " (Keras rejects: max of an empty tensor)",
    Draw("GlobalMaxPooling3D", 1, input="zero-middle-axis"): EMPTY_AXIS,
    Draw("MaxPooling3D", 1, input="zero-last-axis"): EMPTY_AXIS + " (Keras returns an empty output)",
    Draw("AdaptiveMaxPooling2D", 3, input="-inf"):
        "with one -inf element, one output element is -inf on one side and finite on the other: the adaptive "
        "window bounds around that element differ from Keras' (not yet diagnosed)",
    Draw("MultiHeadAttention", 38, input="-inf"):
        "with one -inf input element, attention scores are NaN on one side only (how the softmax of a row "
        "holding inf/NaN propagates differs; not yet diagnosed)",
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
