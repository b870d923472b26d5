"""Pooling layers: Keras' max/average/global/adaptive pooling (with Keras' aliases) and the kinds
Keras lacks (LP, mean-shift, bilinear, overlapping), each defined precisely in its docstring.

Each module lists its public names in `__all__`; `torchkeras_layers.layers` re-exports them."""
