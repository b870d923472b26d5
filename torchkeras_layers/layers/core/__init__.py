"""Each module lists its public names in `__all__`; `torchkeras_layers.layers` re-exports them."""
