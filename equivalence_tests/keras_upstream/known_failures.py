"""Keras test cases that fail against our layers today, each with its cause. Listed once, strictly:
`equivalence_tests/test_keras_upstream.py` fails on a failing case missing here and on a listed case
that no longer fails (remove it when its bug is fixed). Keys are `file::Class.test_method`.

A case stops at its first failing check, so a reason names the first bug a case hits.
"""

# The causes, each a Keras call, what Keras gives and what we give.
MIXED_WEIGHTED = ("dtype policy: mixed_float16 on a layer with weights: Keras casts inputs and reads the float32 "
                  "variables in float16; ours casts the input to float16 but computes with the float32 kernel/bias "
                  "(torch: 'Input type (c10::Half) and bias type (float) should be the same')")
MIXED_WEIGHTLESS = ("dtype policy: mixed_float16 on a layer without weights: Keras returns float16 (autocast of "
                    "float inputs to the compute dtype); ours returns the float32 input dtype")
STATELESS_BUILT = ("stateless layers built == False after construction: Keras marks a layer without a build "
                   "(pooling, Activation, Dropout) built in __init__; ours only after the first call")
FROZEN_REGULARIZATION = ("regularization of frozen weights counted: with lora_rank + kernel_regularizer Keras' "
                         "`losses` has 2 terms (lora_kernel_a/b; the frozen base kernel is not a trainable "
                         "weight), ours 3")
ACTIVATION_NONE = ("`dense.activation = None` after construction: Keras then applies no activation; ours calls "
                   "None ('NoneType' object is not callable)")
INPUT_SHAPE_BATCH_SIZE = ("InputLayer(input_shape=(4,), batch_size=2): Keras accepts the deprecated `input_shape` "
                          "(batch_shape (2, 4)); ours raises 'you must pass a `shape` argument'")
NUMPY_INT_SHAPE = "InputLayer(shape=(np.int64(32),)): Keras accepts numpy ints; ours raises ValueError"
MHA_LORA = ("MHA projections without `enable_lora`: `layer.query_dense.enable_lora(2)` works in Keras (an "
            "EinsumDense); our projection (HeadProjection) has no `enable_lora`")
LORA_EFFECTIVE_KERNEL = ("LoRA: `layer.kernel` after enable_lora(rank=2, lora_alpha=3.0) is, in Keras, the "
                         "effective kernel kernel + (alpha/rank)·A@B; ours returns the frozen base kernel "
                         "(the effective one is only `effective_kernel()`)")
MERGE_MASK_NON_LIST = ("Merge compute_mask with non-list inputs: `Add().compute_mask(x, [None, None])` raises "
                       "ValueError ('`inputs` should be a list') in Keras; ours returns without error")

KNOWN_FAILURES = {
    "core/dense_test.py::DenseTest.test_dense_basics": MIXED_WEIGHTED,
    "core/dense_test.py::DenseTest.test_dense_without_activation_set": ACTIVATION_NONE,
    "core/dense_test.py::DenseTest.test_lora_rank_argument": FROZEN_REGULARIZATION,
    "activations/activation_test.py::ActivationTest.test_activation_basics": STATELESS_BUILT,
    "regularization/dropout_test.py::DropoutTest.test_dropout_basics": STATELESS_BUILT,
    "core/input_layer_test.py::InputLayerTest.test_input_shape_deprecated": INPUT_SHAPE_BATCH_SIZE,
    "core/input_layer_test.py::InputLayerTest.test_numpy_shape": NUMPY_INT_SHAPE,
    "reshaping/flatten_test.py::FlattenTest.test_flatten_with_scalar_channels": MIXED_WEIGHTLESS,
    "reshaping/permute_test.py::PermuteTest.test_permute_dense": MIXED_WEIGHTLESS,
    "reshaping/repeat_vector_test.py::FlattenTest.test_repeat_vector": MIXED_WEIGHTLESS,
    "reshaping/reshape_test.py::ReshapeTest.test_reshape_dense": MIXED_WEIGHTLESS,
    "merging/merging_test.py::MergingLayersTest.test_basic_add": MIXED_WEIGHTLESS,
    "merging/merging_test.py::MergingLayersTest.test_basic_average": MIXED_WEIGHTLESS,
    "merging/merging_test.py::MergingLayersTest.test_basic_concat": MIXED_WEIGHTLESS,
    "merging/merging_test.py::MergingLayersTest.test_basic_dot_2d": MIXED_WEIGHTLESS,
    "merging/merging_test.py::MergingLayersTest.test_basic_dot_3d": MIXED_WEIGHTLESS,
    "merging/merging_test.py::MergingLayersTest.test_basic_maximum": MIXED_WEIGHTLESS,
    "merging/merging_test.py::MergingLayersTest.test_basic_minimum": MIXED_WEIGHTLESS,
    "merging/merging_test.py::MergingLayersTest.test_basic_multiply": MIXED_WEIGHTLESS,
    "merging/merging_test.py::MergingLayersTest.test_basic_subtract": MIXED_WEIGHTLESS,
    "merging/merging_test.py::MergingLayersTest.test_errors_add": MERGE_MASK_NON_LIST,
    "merging/merging_test.py::MergingLayersTest.test_errors_average": MERGE_MASK_NON_LIST,
    "merging/merging_test.py::MergingLayersTest.test_errors_concat": MERGE_MASK_NON_LIST,
    "merging/merging_test.py::MergingLayersTest.test_errors_maximum": MERGE_MASK_NON_LIST,
    "merging/merging_test.py::MergingLayersTest.test_errors_minimum": MERGE_MASK_NON_LIST,
    "merging/merging_test.py::MergingLayersTest.test_errors_multiply": MERGE_MASK_NON_LIST,
    "merging/merging_test.py::MergingLayersTest.test_errors_subtract": MERGE_MASK_NON_LIST,
    "convolutional/conv_test.py::ConvBasicTest.test_conv1d_basic0": MIXED_WEIGHTED,
    "convolutional/conv_test.py::ConvBasicTest.test_conv1d_basic1": MIXED_WEIGHTED,
    "convolutional/conv_test.py::ConvBasicTest.test_conv1d_basic2": MIXED_WEIGHTED,
    "convolutional/conv_test.py::ConvBasicTest.test_conv1d_basic3": MIXED_WEIGHTED,
    "convolutional/conv_test.py::ConvBasicTest.test_conv2d_basic0": MIXED_WEIGHTED,
    "convolutional/conv_test.py::ConvBasicTest.test_conv2d_basic1": MIXED_WEIGHTED,
    "convolutional/conv_test.py::ConvBasicTest.test_conv2d_basic2": MIXED_WEIGHTED,
    "convolutional/conv_test.py::ConvBasicTest.test_conv3d_basic0": MIXED_WEIGHTED,
    "convolutional/conv_test.py::ConvBasicTest.test_conv3d_basic1": MIXED_WEIGHTED,
    "convolutional/conv_test.py::ConvBasicTest.test_conv3d_basic2": MIXED_WEIGHTED,
    "convolutional/conv_test.py::ConvBasicTest.test_enable_lora_with_alpha": LORA_EFFECTIVE_KERNEL,
    "convolutional/conv_test.py::ConvBasicTest.test_lora_rank_argument": FROZEN_REGULARIZATION,
    "pooling/max_pooling_test.py::MaxPoolingBasicTest.test_max_pooling1d0": STATELESS_BUILT,
    "pooling/max_pooling_test.py::MaxPoolingBasicTest.test_max_pooling1d1": STATELESS_BUILT,
    "pooling/max_pooling_test.py::MaxPoolingBasicTest.test_max_pooling1d2": STATELESS_BUILT,
    "pooling/max_pooling_test.py::MaxPoolingBasicTest.test_max_pooling2d0": STATELESS_BUILT,
    "pooling/max_pooling_test.py::MaxPoolingBasicTest.test_max_pooling2d1": STATELESS_BUILT,
    "pooling/max_pooling_test.py::MaxPoolingBasicTest.test_max_pooling2d2": STATELESS_BUILT,
    "pooling/max_pooling_test.py::MaxPoolingBasicTest.test_max_pooling3d0": STATELESS_BUILT,
    "pooling/max_pooling_test.py::MaxPoolingBasicTest.test_max_pooling3d1": STATELESS_BUILT,
    "pooling/max_pooling_test.py::MaxPoolingBasicTest.test_max_pooling3d2": STATELESS_BUILT,
    "pooling/average_pooling_test.py::AveragePoolingBasicTest.test_average_pooling1d0": STATELESS_BUILT,
    "pooling/average_pooling_test.py::AveragePoolingBasicTest.test_average_pooling1d1": STATELESS_BUILT,
    "pooling/average_pooling_test.py::AveragePoolingBasicTest.test_average_pooling1d2": STATELESS_BUILT,
    "pooling/average_pooling_test.py::AveragePoolingBasicTest.test_average_pooling2d0": STATELESS_BUILT,
    "pooling/average_pooling_test.py::AveragePoolingBasicTest.test_average_pooling2d1": STATELESS_BUILT,
    "pooling/average_pooling_test.py::AveragePoolingBasicTest.test_average_pooling2d2": STATELESS_BUILT,
    "pooling/average_pooling_test.py::AveragePoolingBasicTest.test_average_pooling2d3": STATELESS_BUILT,
    "pooling/average_pooling_test.py::AveragePoolingBasicTest.test_average_pooling2d4": STATELESS_BUILT,
    "pooling/average_pooling_test.py::AveragePoolingBasicTest.test_average_pooling2d5": STATELESS_BUILT,
    "pooling/average_pooling_test.py::AveragePoolingBasicTest.test_average_pooling2d6": STATELESS_BUILT,
    "pooling/average_pooling_test.py::AveragePoolingBasicTest.test_average_pooling3d0": STATELESS_BUILT,
    "pooling/average_pooling_test.py::AveragePoolingBasicTest.test_average_pooling3d1": STATELESS_BUILT,
    "pooling/average_pooling_test.py::AveragePoolingBasicTest.test_average_pooling3d2": STATELESS_BUILT,
    "pooling/global_max_pooling_test.py::GlobalMaxPoolingBasicTest.test_global_max_pooling1d0": STATELESS_BUILT,
    "pooling/global_max_pooling_test.py::GlobalMaxPoolingBasicTest.test_global_max_pooling1d1": STATELESS_BUILT,
    "pooling/global_max_pooling_test.py::GlobalMaxPoolingBasicTest.test_global_max_pooling1d2": STATELESS_BUILT,
    "pooling/global_max_pooling_test.py::GlobalMaxPoolingBasicTest.test_global_max_pooling2d0": STATELESS_BUILT,
    "pooling/global_max_pooling_test.py::GlobalMaxPoolingBasicTest.test_global_max_pooling2d1": STATELESS_BUILT,
    "pooling/global_max_pooling_test.py::GlobalMaxPoolingBasicTest.test_global_max_pooling2d2": STATELESS_BUILT,
    "pooling/global_max_pooling_test.py::GlobalMaxPoolingBasicTest.test_global_max_pooling3d0": STATELESS_BUILT,
    "pooling/global_max_pooling_test.py::GlobalMaxPoolingBasicTest.test_global_max_pooling3d1": STATELESS_BUILT,
    "pooling/global_max_pooling_test.py::GlobalMaxPoolingBasicTest.test_global_max_pooling3d2": STATELESS_BUILT,
    "pooling/global_average_pooling_test.py::GlobalAveragePoolingBasicTest.test_global_average_pooling1d0": STATELESS_BUILT,
    "pooling/global_average_pooling_test.py::GlobalAveragePoolingBasicTest.test_global_average_pooling1d1": STATELESS_BUILT,
    "pooling/global_average_pooling_test.py::GlobalAveragePoolingBasicTest.test_global_average_pooling1d2": STATELESS_BUILT,
    "pooling/global_average_pooling_test.py::GlobalAveragePoolingBasicTest.test_global_average_pooling2d0": STATELESS_BUILT,
    "pooling/global_average_pooling_test.py::GlobalAveragePoolingBasicTest.test_global_average_pooling2d1": STATELESS_BUILT,
    "pooling/global_average_pooling_test.py::GlobalAveragePoolingBasicTest.test_global_average_pooling2d2": STATELESS_BUILT,
    "pooling/global_average_pooling_test.py::GlobalAveragePoolingBasicTest.test_global_average_pooling3d0": STATELESS_BUILT,
    "pooling/global_average_pooling_test.py::GlobalAveragePoolingBasicTest.test_global_average_pooling3d1": STATELESS_BUILT,
    "pooling/global_average_pooling_test.py::GlobalAveragePoolingBasicTest.test_global_average_pooling3d2": STATELESS_BUILT,
    "attention/multi_head_attention_test.py::MultiHeadAttentionTest.test_lora": MHA_LORA,
}
