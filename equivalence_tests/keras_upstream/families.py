"""The Keras test files replayed, per family (module paths under `keras.src.layers`).

Adding a family is one line: its Keras test modules, once its layers exist in `torchkeras_layers.layers`.
"""

FAMILIES = {
    "core": ["core.dense_test", "activations.activation_test", "regularization.dropout_test",
             "core.lambda_layer_test", "core.input_layer_test"],
    "reshaping": ["reshaping.flatten_test", "reshaping.permute_test", "reshaping.repeat_vector_test",
                  "reshaping.reshape_test"],
    "merging": ["merging.merging_test"],
    "convolutional": ["convolutional.conv_test"],
    "pooling": ["pooling.max_pooling_test", "pooling.average_pooling_test", "pooling.global_max_pooling_test",
                "pooling.global_average_pooling_test", "pooling.adaptive_pooling1d_test",
                "pooling.adaptive_pooling2d_test", "pooling.adaptive_pooling3d_test"],
    "normalization": ["normalization.batch_normalization_test"],
    "attention": ["attention.multi_head_attention_test"],
}


def test_modules(families=None) -> list[str]:
    """Full module names of the replayed Keras test files, in family order."""
    chosen = FAMILIES if families is None else {f: FAMILIES[f] for f in families}
    return [f"keras.src.layers.{m}" for modules in chosen.values() for m in modules]
