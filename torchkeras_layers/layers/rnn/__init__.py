"""Recurrent-family layers (Keras `keras.src.layers.rnn`)."""
