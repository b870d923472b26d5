"""`AdditiveAttention`: Bahdanau-style attention, scores `sum(scale * tanh(q + k), -1)`."""

from __future__ import annotations

import torch

from .attention import Attention


class AdditiveAttention(Attention):
    """Keras `AdditiveAttention(use_scale=True, dropout=0.0)` (a `seed` is accepted, as in Keras).

    Scores are `sum(scale * tanh(query[..., :, None, :] + key[..., None, :, :]), -1)` with a learned
    `scale` of shape `(dim,)` (glorot_uniform) when `use_scale`; masking, softmax, dropout and the
    query mask are Attention's. Always computed explicitly (the scores are not a dot product).
    """

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)
        self.score_mode = "additive"  # Keras keeps a (validated, then unused) score_mode; its config drops it

    def build(self, input_shape):
        self._validate_shapes(input_shape)
        self.concat_score_weight = None
        if self.use_scale:
            self.add_weight("scale", (tuple(input_shape[0])[-1],), "glorot_uniform")
        else:
            self.scale = None

    def _calculate_scores(self, query, key):
        pairs = torch.tanh(query.unsqueeze(-2) + key.unsqueeze(-3))
        if self.scale is not None:
            pairs = self.read_weight(self.scale) * pairs
        return pairs.sum(-1)

    def get_config(self):
        config = super().get_config()
        del config["score_mode"]
        return config


__all__ = ["AdditiveAttention"]
