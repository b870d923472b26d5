"""Convolution layers (Keras' `layers/convolutional`), with Keras' `Convolution*D`, `SeparableConvolution*D`
and `Convolution*DTranspose` aliases.

Each module lists its public names in `__all__`; `torchkeras_layers.layers` re-exports them."""
