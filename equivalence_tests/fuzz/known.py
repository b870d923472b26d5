"""Defects the fuzzer found that are not fixed yet. Strict: `test_fuzz.py` reruns every entry, and an
entry that no longer reproduces as a defect fails the run (delete it with the fix)."""

from __future__ import annotations

from .draws import Draw

# Draw -> the cause, in a sentence. Found by the CI draws and by TKL_FUZZ_DRAWS=20.
KNOWN_DEFECTS: dict[Draw, str] = {}

# Draws where Keras and ours differ and ours is right (a Keras bug, or a TensorFlow op limit that is
# not Keras' contract): judged as deviations.
AUGMENTATION_BUILT_IN_TRAINING = (
    "the fuzzer builds Keras' layer with a plain call, which runs an augmentation layer's training path (its call's "
    "default is training=True), where TF's ImageProjectiveTransformV3 rejects images without rows; in inference, "
    "the mode compared, Keras passes them through as ours does (ours rejects them in training too)")
KERAS_WRONG: dict[Draw, str] = {
    Draw("DepthwiseConv2D", 11, input="empty-batch"):
        "kernel_size=2, 'valid', on (0, 5, 5, 2): TensorFlow's depthwise kernel returns (0, 5, 5, 2) for an empty "
        "batch, against Keras' own compute_output_shape (0, 4, 4, 2) and its output for a non-empty batch; ours "
        "gives (0, 4, 4, 2)",
    Draw("ELU", 3, arg="alpha", value=float("inf")):
        "alpha=inf: Keras computes inf * (exp(0) - 1) = NaN at x = 0 from finite input; ours gives ELU's value 0 "
        "there (x <= 0 branch at exp(0) - 1 = 0), and equal values elsewhere",
    Draw("RandomRotation", 0, input="zero-middle-axis"): AUGMENTATION_BUILT_IN_TRAINING,
    Draw("RandomZoom", 3, input="zero-middle-axis"): AUGMENTATION_BUILT_IN_TRAINING,
    Draw("GlobalMaxPooling2D", 0, input="empty-batch"):
        "TensorFlow's max asserts a non-empty tensor even when only the batch is empty; ours returns the empty (0, C)",
    Draw("Lambda", 0, input="bool"):
        "a Lambda runs the user's function on torch tensors: torch's bool arithmetic promotes where TensorFlow's refuses",
    Draw("Conv2D", 0, input="empty-batch"):
        "Keras 3.15 (TF backend) adds the bias with a broadcast that fails for an empty batch "
        "(Incompatible shapes: [0,7,7,3] vs. [1,1,1,4]); an empty batch has an empty output",
    Draw("DepthwiseConv1D", 3, input="empty-batch"):
        "as Conv2D's empty batch: Keras' bias add fails (Incompatible shapes: [0,4,3] vs. [1,1,6]); an empty batch "
        "has an empty output",
}
