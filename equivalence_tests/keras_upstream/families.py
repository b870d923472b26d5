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
    "activations": ["activations.relu_test", "activations.leaky_relu_test", "activations.prelu_test",
                    "activations.elu_test", "activations.softmax_test"],
    "regularization": ["regularization.spatial_dropout_test", "regularization.gaussian_noise_test",
                       "regularization.gaussian_dropout_test", "regularization.alpha_dropout_test",
                       "regularization.activity_regularization_test", "core.identity_test"],
    "padding": ["reshaping.zero_padding1d_test", "reshaping.zero_padding2d_test", "reshaping.zero_padding3d_test",
                "reshaping.cropping1d_test", "reshaping.cropping2d_test", "reshaping.cropping3d_test",
                "reshaping.up_sampling1d_test", "reshaping.up_sampling2d_test", "reshaping.up_sampling3d_test"],
    "convolutional_more": ["convolutional.depthwise_conv_test", "convolutional.separable_conv_test",
                           "convolutional.conv_transpose_test"],
    "normalization_more": ["normalization.layer_normalization_test", "normalization.group_normalization_test",
                           "normalization.unit_normalization_test"],
    "sequence": ["core.embedding_test", "core.masking_test", "core.einsum_dense_test", "attention.attention_test",
                 "attention.additive_attention_test", "rnn.time_distributed_test"],
    "preprocessing": ["preprocessing.normalization_test"],  # rescaling_test imports grain (not installed)
    # rnn_test and stacked_rnn_cells_test run Keras' own cells, subclasses of `layers.Layer` on `keras.ops`:
    # replayed as layers of ours on Keras' Layer API (`adapter.KerasApiLayer`). dropout_rnn_cell_test's cell
    # mixes in Keras' DropoutRNNCell, whose masks come from Keras SeedGenerator variables it counts.
    "rnn": ["rnn.lstm_test", "rnn.gru_test", "rnn.simple_rnn_test", "rnn.bidirectional_test", "rnn.rnn_test",
            "rnn.stacked_rnn_cells_test"],
    # conv_lstm_test builds Keras' unexported ConvLSTMCell and ConvLSTM(rank=...) base: ours' private cell, and
    # ConvLSTM{rank}D (`TorchAdapter.private_class`).
    "conv_lstm": ["rnn.conv_lstm1d_test", "rnn.conv_lstm2d_test", "rnn.conv_lstm3d_test", "rnn.conv_lstm_test"],
    # random_flip_test subclasses the layer at import to override Keras' `call` (not replayable).
    "augmentation": [f"preprocessing.image_preprocessing.random_{name}_test"
                     for name in ("rotation", "zoom", "translation", "contrast", "crop")],
}


def test_modules(families=None) -> list[str]:
    """Full module names of the replayed Keras test files, in family order."""
    chosen = FAMILIES if families is None else {f: FAMILIES[f] for f in families}
    return [f"keras.src.layers.{m}" for modules in chosen.values() for m in modules]
