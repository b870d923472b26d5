"""Defects the fuzzer found that are not fixed yet. Strict: `test_fuzz.py` reruns every entry, and an
entry that no longer reproduces as a defect fails the run (delete it with the fix)."""

from __future__ import annotations

from .draws import Draw

CONV_CASTS_INTEGERS = ("ours casts integer/bool input to the kernel's dtype (as Keras' Dense does through ops.matmul's "
                       "promotion); Keras' convolutions reject it: convolutions should reject non-float input")
MASK_NOT_CHECKED = "a mask that no longer matches its input's shape is broadcast silently instead of rejected"

# Draw -> the cause, in a sentence. Found by the CI draws and by TKL_FUZZ_DRAWS=20.
KNOWN_DEFECTS: dict[Draw, str] = {
    Draw("Activation", 4, input="int64"): "no dtype check: integer input reaches torch's elu kernel (raw NotImplementedError)",
    Draw("Activation", 32, input="int64"): "no dtype check: ours computes the activation of integer input, Keras rejects it",
    Draw("BatchNormalization", 42, input="zero-last-axis"): "an input without channels reaches the statistics code (raw IndexError)",
    Draw("Concatenate", 3, input="zero-middle-axis"): MASK_NOT_CHECKED,
    Draw("Conv1D", 8, input="bool"): CONV_CASTS_INTEGERS,
    Draw("Conv2D", 9, input="int64"): CONV_CASTS_INTEGERS,
    Draw("Conv3D", 1, input="int64"): CONV_CASTS_INTEGERS,
    Draw("Conv2D", 3, input="zero-last-axis"): "an input without channels builds a zero-size kernel instead of being rejected as by Keras",
    Draw("Conv2D", 8, input="zero-last-axis"): "an input without channels builds a zero-size kernel instead of being rejected as by Keras",
    Draw("Conv2DTranspose", 6, input="zero-middle-axis"):
        "an input with a zero spatial axis reaches torch's conv_transpose2d (raw RuntimeError 'Only zero batch or zero "
        "channel inputs are supported'); Keras returns the (2, 2, 10, 3) output",
    Draw("Conv2DTranspose", 11, arg="strides", value=(1000000, 1)):
        "an absurd stride is accepted and the output of size ~1e6 along the height takes more than the 60 s limit",
    Draw("CustomScaleLayer", 0, input="int32"):
        "ours promotes an int32 first input to float32; Keras' add of the int32 and float32 inputs raises InvalidArgumentError",
    Draw("LayerScale", 0, arg="projection_dim", value=4.0):
        "a float projection_dim is accepted; Keras' add_weight(shape=(4.0,)) raises ValueError (invalid dimension 4.0)",
    Draw("MultiHeadAttention", 50, input="bool"):
        "a bool query reaches the query projection's matmul (raw RuntimeError: Bool and Float); Keras promotes it to float32",
    Draw("Multiply", 10, input="rank+1"): MASK_NOT_CHECKED + " (the first input got an extra axis; Keras broadcasts it differently)",
}

# Draws where Keras rejects and we accept, and ours is right (a Keras bug, or a TensorFlow op limit that is
# not Keras' contract): judged as deviations.
AUGMENTATION_BUILT_IN_TRAINING = (
    "the fuzzer builds Keras' layer with a plain call, which runs an augmentation layer's training path (its call's "
    "default is training=True), where TF's ImageProjectiveTransformV3 rejects images without rows; in inference, "
    "the mode compared, Keras passes them through as ours does (ours rejects them in training too)")
KERAS_WRONG: dict[Draw, str] = {
    Draw("RandomRotation", 0, input="zero-middle-axis"): AUGMENTATION_BUILT_IN_TRAINING,
    Draw("RandomZoom", 3, input="zero-middle-axis"): AUGMENTATION_BUILT_IN_TRAINING,
    Draw("GlobalMaxPooling2D", 0, input="empty-batch"):
        "TensorFlow's max asserts a non-empty tensor even when only the batch is empty; ours returns the empty (0, C)",
    Draw("Lambda", 0, input="bool"):
        "a Lambda runs the user's function on torch tensors: torch's bool arithmetic promotes where TensorFlow's refuses",
    Draw("Conv2D", 0, input="empty-batch"):
        "Keras 3.15 (TF backend) adds the bias with a broadcast that fails for an empty batch "
        "(Incompatible shapes: [0,7,7,3] vs. [1,1,1,4]); an empty batch has an empty output",
    Draw("Conv1D", 4, input="bool"):
        "TensorFlow's Conv2D kernel has no bool variant and Keras' ops.conv does not promote its input as "
        "ops.matmul does (Dense accepts bool input); ours casts integer/bool input to the kernel's dtype for both",
}
