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

# Deviations and replay limits of the sequence layers.
EMBEDDING_LORA_EFFECTIVE_TABLE = ("LoRA: `layer.embeddings` after enable_lora(rank=2, lora_alpha=3.0) is, in Keras, the "
                                  "effective table embeddings + (alpha/rank)·A@B; ours is the frozen base table (the "
                                  "`embeddings` Parameter); the effective one is `effective_embeddings()` (as for "
                                  "the LoRA kernel)")
EMBEDDING_FROM_CONFIG_ERROR_TYPE = ("Embedding.from_config({'input_dim': 3.7}): Keras' Layer.from_config re-raises the "
                                    "constructor's ValueError as a TypeError; ours keeps the ValueError")
EINSUM_RANK_STRICT = ("EinsumDense('ab,b->a', ...).build((2, 1, 2)): Keras builds a kernel for an input whose rank "
                      "does not match the equation (its einsum would fail at call); ours rejects the build "
                      "(ValueError naming the rank the equation needs)")
ATTENTION_PRIVATE_HELPERS = ("the test calls Keras' private helpers (`_calculate_score_mask`, `_calculate_scores` on "
                             "numpy arrays); ours are internal torch functions with other signatures")
ATTENTION_SYMBOLIC_OUTPUT = ("the test unpacks the layer's output on symbolic KerasTensors (a functional graph), "
                             "which the replay's eager adapter cannot produce")
ADAPTER_KERAS_WRAPPER = ("replay limitation: the test subclasses Keras' own `Wrapper` around an adapted layer, "
                         "which Keras' Wrapper rejects as not a Keras layer")

RNN_SEED_GENERATOR_VARIABLE = ("SimpleRNN(dropout=0.5, recurrent_dropout=0.5): Keras counts its SeedGenerator's "
                               "state as 1 non-trainable variable; ours draws dropout masks from a torch.Generator "
                               "(no variable)")
BIDIRECTIONAL_KERAS_FUSED_PRIVATE = ("Bidirectional: the test calls Keras' private `_can_attempt_fused_lstm` / "
                                     "`_can_attempt_fused_gru`; ours chooses the fused kernel per wrapped layer "
                                     "(`LSTM.path`, `last_path`)")
RNN_FUNCTIONAL_IN_TEST_BODY = ("replay limitation: the test imports `keras.src.models.Functional` inside its body "
                               "(the replay stubs module-level Keras models only) and builds it on the adapted "
                               "layer's symbolic output, which carries no Keras history")

# Augmentation layers.
AUGMENTATION_DICT_INPUTS = ("augmentation layers: `bounding_box_format=` and dict inputs (images with bounding "
                            "boxes, labels, segmentation masks) are not supported; ours takes image tensors only "
                            "(TypeError: unrecognized keyword argument)")
AUGMENTATION_TF_TENSOR_DRAW = ("RandomContrast: the test calls `get_random_transformation` on a TensorFlow tensor "
                               "directly (Keras' backend-dispatch API); ours draws on torch tensors")

KNOWN_FAILURES = {
    "rnn/simple_rnn_test.py::SimpleRNNTest.test_basics": RNN_SEED_GENERATOR_VARIABLE,
    "rnn/rnn_test.py::RNNTest.test_stateful_batch_size_mismatch_raises": RNN_FUNCTIONAL_IN_TEST_BODY,
    "rnn/bidirectional_test.py::SimpleRNNTest.test_fused_gru_eligibility": BIDIRECTIONAL_KERAS_FUSED_PRIVATE,
    "rnn/bidirectional_test.py::SimpleRNNTest.test_fused_lstm_eligibility": BIDIRECTIONAL_KERAS_FUSED_PRIVATE,
    "convolutional/conv_test.py::ConvBasicTest.test_enable_lora_with_alpha": LORA_EFFECTIVE_KERNEL,
    "core/embedding_test.py::EmbeddingTest.test_enable_lora_with_alpha": EMBEDDING_LORA_EFFECTIVE_TABLE,
    "core/embedding_test.py::EmbeddingTest.test_invalid_input_dim": EMBEDDING_FROM_CONFIG_ERROR_TYPE,
    "core/embedding_test.py::EmbeddingTest.test_invalid_output_dim": EMBEDDING_FROM_CONFIG_ERROR_TYPE,
    "core/einsum_dense_test.py::EinsumDenseTest.test_einsum_dense_constraints": EINSUM_RANK_STRICT,
    "attention/attention_test.py::AttentionTest.test_attention_calculate_score_mask_no_causal_no_vmask":
        ATTENTION_PRIVATE_HELPERS,
    "attention/attention_test.py::AttentionTest.test_attention_calculate_score_mask_with_causal_and_vmask":
        ATTENTION_PRIVATE_HELPERS,
    "attention/attention_test.py::AttentionTest.test_attention_calculate_score_mask_with_causal_no_vmask":
        ATTENTION_PRIVATE_HELPERS,
    "attention/attention_test.py::AttentionTest.test_attention_calculate_scores_with_scale": ATTENTION_PRIVATE_HELPERS,
    "attention/attention_test.py::AttentionTest.test_return_attention_scores_with_symbolic_tensors":
        ATTENTION_SYMBOLIC_OUTPUT,
    "rnn/time_distributed_test.py::TimeDistributedTest.test_masking": ADAPTER_KERAS_WRAPPER,
    "preprocessing/image_preprocessing/random_zoom_test.py::RandomZoomTest.test_random_flip_bounding_boxes_with_zoom_in":
        AUGMENTATION_DICT_INPUTS,
    "preprocessing/image_preprocessing/random_zoom_test.py::RandomZoomTest.test_random_flip_bounding_boxes_with_zoom_out":
        AUGMENTATION_DICT_INPUTS,
    "preprocessing/image_preprocessing/random_zoom_test.py::RandomZoomTest.test_random_flip_tf_data_bounding_boxes_with_zoom_in":
        AUGMENTATION_DICT_INPUTS,
    "preprocessing/image_preprocessing/random_zoom_test.py::RandomZoomTest.test_random_flip_tf_data_bounding_boxes_with_zoom_out":
        AUGMENTATION_DICT_INPUTS,
    "preprocessing/image_preprocessing/random_translation_test.py::RandomTranslationTest.test_random_flip_bounding_boxes_with_negative_shift":
        AUGMENTATION_DICT_INPUTS,
    "preprocessing/image_preprocessing/random_translation_test.py::RandomTranslationTest.test_random_flip_bounding_boxes_with_positive_shift":
        AUGMENTATION_DICT_INPUTS,
    "preprocessing/image_preprocessing/random_translation_test.py::RandomTranslationTest.test_random_flip_tf_data_bounding_boxes_with_negative_shift":
        AUGMENTATION_DICT_INPUTS,
    "preprocessing/image_preprocessing/random_translation_test.py::RandomTranslationTest.test_random_flip_tf_data_bounding_boxes_with_positive_shift":
        AUGMENTATION_DICT_INPUTS,
    "preprocessing/image_preprocessing/random_contrast_test.py::RandomContrastTest.test_dict_input":
        AUGMENTATION_DICT_INPUTS,
    "preprocessing/image_preprocessing/random_crop_test.py::RandomCropTest.test_dict_input":
        AUGMENTATION_DICT_INPUTS,
    "preprocessing/image_preprocessing/random_contrast_test.py::RandomContrastTest.test_random_contrast_with_value_range_0_to_1":
        AUGMENTATION_TF_TENSOR_DRAW,
    "preprocessing/image_preprocessing/random_contrast_test.py::RandomContrastTest.test_random_contrast_with_value_range_0_to_255":
        AUGMENTATION_TF_TENSOR_DRAW,
}
