"""Keras test cases that fail against our layers today, each with its cause. Listed once, strictly:
`equivalence_tests/test_keras_upstream.py` fails on a failing case missing here and on a listed case
that no longer fails (remove it when its bug is fixed). Keys are `file::Class.test_method`.

A case stops at its first failing check, so a reason names the first bug a case hits.
"""

# The causes, each a Keras call, what Keras gives and what we give.
LORA_EFFECTIVE_KERNEL = ("LoRA: `layer.kernel` after enable_lora(rank=2, lora_alpha=3.0) is, in Keras, the "
                         "effective kernel kernel + (alpha/rank)·A@B; ours is the frozen base kernel (the "
                         "`kernel` Parameter, a state_dict entry); the effective one is `effective_kernel()`. "
                         "A deliberate deviation, listed in docs/deviations.md")

KNOWN_FAILURES = {
    "convolutional/conv_test.py::ConvBasicTest.test_enable_lora_with_alpha": LORA_EFFECTIVE_KERNEL,
}
