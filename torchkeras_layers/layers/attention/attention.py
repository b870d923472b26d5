"""`Attention`: Luong-style (dot-product or concat) attention over `[query, value(, key)]`."""

from __future__ import annotations

import numbers

import torch
import torch.nn.functional as F

from ..base import Layer

# Keras pushes masked scores down by this much (not to -inf), so a fully masked row stays finite.
_MASKED_SCORE_OFFSET = 1.0e9
_MASKED_SCORE_OFFSET_FLOAT16 = 65504.0


def _as_4d(tensor: torch.Tensor) -> torch.Tensor:
    """(..., T, d) as (N, 1, T, d), a view for contiguous tensors."""
    return tensor.reshape(-1, 1, *tensor.shape[-2:])


class Attention(Layer):
    """Keras `Attention(use_scale=False, score_mode="dot", dropout=0.0, seed=None)`.

    Called on `[query (B, Tq, dim), value (B, Tv, dv)]` or `[query, value, key (B, Tv, dim)]` (key
    defaults to value), with `mask=[query_mask (B, Tq), value_mask (B, Tv)]`:

    * scores: `query @ key^T` (times the learned scalar `scale` when `use_scale`; no 1/sqrt(dim)), or for
      `score_mode="concat"` `concat_score_weight * sum(tanh(scale * (q + k)), -1)`;
    * masked scores (value_mask False, or above the diagonal with `use_causal_mask`) are lowered by 1e9
      (65504 in float16), then softmax over Tv, dropout on the distribution in training, `@ value`;
    * rows of masked queries are zeroed; the output mask is the query mask.

    Dot scores without a value mask or `return_attention_scores` run through
    `F.scaled_dot_product_attention` (the learned scale folded into the query; causal as `is_causal`),
    equal to the explicit form to float rounding; everything else is computed explicitly. Input batch
    axes must match exactly (Keras' matmul would broadcast them).
    """

    supports_masking = True

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        if score_mode not in ("dot", "concat"):
            raise self._arg_error("score_mode", "must be one of {'dot', 'concat'}", score_mode)
        self._check_dropout_and_seed(dropout, seed)
        self.use_scale = bool(use_scale)
        self.score_mode = score_mode
        self.dropout = float(dropout)
        self.seed = seed
        self._generator: torch.Generator | None = None

    def _check_dropout_and_seed(self, dropout, seed) -> None:
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real) or not 0 <= dropout <= 1:
            raise self._arg_error("dropout", "must be a float between 0 and 1", dropout,
                                  TypeError if not isinstance(dropout, numbers.Real) else ValueError)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise self._arg_error("seed", "must be None or an int", seed, TypeError)

    # ------------------------------------------------------------------ build
    def build(self, input_shape):
        self._validate_shapes(input_shape)
        if self.use_scale:
            self.add_weight("scale", (), "ones")
        else:
            self.scale = None
        if self.score_mode == "concat":
            self.add_weight("concat_score_weight", (), "ones")
        else:
            self.concat_score_weight = None

    def _validate_shapes(self, shapes) -> None:
        if not isinstance(shapes, (list, tuple)) or not shapes or not isinstance(shapes[0], (list, tuple, torch.Size)):
            raise self._arg_error("inputs", "must be a list [query, value] or [query, value, key]",
                                  f"a single input of shape {tuple(shapes) if shapes is not None else None}")
        if not 2 <= len(shapes) <= 3:
            raise self._arg_error("inputs", "must be a list of length 2 or 3 ([query, value(, key)])",
                                  f"{len(shapes)} inputs")
        query, value = tuple(shapes[0]), tuple(shapes[1])
        key = tuple(shapes[2]) if len(shapes) > 2 else value
        if len(query) < 2 or not len(query) == len(value) == len(key):
            raise self._arg_error("inputs", "must be query, value and key of one rank >= 2",
                                  f"shapes {[tuple(s) for s in shapes]}")
        if query[:-2] != value[:-2] or key[:-1] != value[:-1]:
            raise self._arg_error("inputs", "must share the batch axes, and key must have value's length Tv",
                                  f"shapes {[tuple(s) for s in shapes]}")
        if query[-1] != key[-1]:
            raise self._arg_error("inputs", "must have query and key of the same last dimension",
                                  f"query {query}, key {key}")

    # ------------------------------------------------------------------ call
    def _calculate_scores(self, query, key):
        if self.score_mode == "dot":
            scores = query @ key.transpose(-2, -1)
            return scores * self.read_weight(self.scale) if self.scale is not None else scores
        pairs = query.unsqueeze(-2) + key.unsqueeze(-3)
        if self.scale is not None:
            pairs = self.read_weight(self.scale) * pairs
        return self.read_weight(self.concat_score_weight) * torch.tanh(pairs).sum(-1)

    def _score_mask(self, query, key, value_mask, use_causal_mask):
        """The boolean (..., Tq or 1, Tv) mask of the scores that count, or None."""
        mask = value_mask.unsqueeze(-2) if value_mask is not None else None
        if use_causal_mask:
            causal = torch.ones(query.shape[-2], key.shape[-2], dtype=torch.bool, device=query.device).tril()
            mask = causal if mask is None else mask & causal
        return mask

    def _masked_offset(self, dtype) -> float:
        return _MASKED_SCORE_OFFSET_FLOAT16 if dtype == torch.float16 else _MASKED_SCORE_OFFSET

    def forward(self, inputs, mask=None, training=None, return_attention_scores=False, use_causal_mask=False):
        self._validate_shapes([t.shape for t in inputs] if isinstance(inputs, (list, tuple)) else inputs.shape)
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        if not (query.is_floating_point() and value.is_floating_point() and key.is_floating_point()):
            query, value, key = self._promote(query, value, key)
        query_mask, value_mask = self._split_mask(mask, query, value)
        training = self.resolve_training(training)
        dropout = self.dropout if training else 0.0
        seeded = dropout > 0 and self.seed is not None and not torch.compiler.is_compiling()
        # With a value mask, a fully masked row's gradient depends on how `scores - 1e9` rounds, which
        # SDPA's fused kernel does differently (float32 input gradients off by O(1)): explicit there.
        if self.score_mode == "dot" and value_mask is None and not return_attention_scores and not seeded:
            outputs, weights = self._fused(query, key, value, use_causal_mask, dropout), None
        else:
            outputs, weights = self._explicit(query, key, value, value_mask, use_causal_mask, dropout, seeded)
        if query_mask is not None:
            outputs = torch.where(query_mask.unsqueeze(-1), outputs, torch.zeros((), dtype=outputs.dtype,
                                                                                  device=outputs.device))
        outputs = self.add_activity_loss(outputs)
        return (outputs, weights) if return_attention_scores else outputs

    def _promote(self, *tensors):
        # Keras' matmul promotes integer operands to the floating one (or to the compute dtype).
        floating = next((t.dtype for t in tensors if t.is_floating_point()), self.compute_dtype)
        return tuple(t if t.is_floating_point() else t.to(floating) for t in tensors)

    def _fused(self, query, key, value, use_causal_mask, dropout):
        if self.scale is not None:
            query = query * self.read_weight(self.scale)
        # Keras' causal mask is top-left aligned, SDPA's `is_causal` too; row 0 always sees key 0, so no row
        # is fully masked and -inf equals Keras' -1e9. (N, 1, T, d) views: ONNX exports 4-D SDPA only.
        outputs = F.scaled_dot_product_attention(_as_4d(query), _as_4d(key), _as_4d(value), dropout_p=dropout,
                                                 is_causal=use_causal_mask, scale=1.0)
        return outputs.reshape(*query.shape[:-1], value.shape[-1])

    def _explicit(self, query, key, value, value_mask, use_causal_mask, dropout, seeded):
        scores = self._calculate_scores(query, key)
        mask = self._score_mask(query, key, value_mask, use_causal_mask)
        if mask is not None:
            scores = torch.where(mask, scores, scores - self._masked_offset(scores.dtype))
        weights = torch.softmax(scores, dim=-1)
        if dropout == 1.0:
            weights = weights * 0.0
        elif dropout > 0:
            if seeded:
                keep = torch.empty_like(weights).bernoulli_(1.0 - dropout, generator=self._seeded_generator(weights))
                weights = weights * keep / (1.0 - dropout)
            else:
                weights = F.dropout(weights, dropout, training=True)
        return weights @ value, weights

    def _seeded_generator(self, like: torch.Tensor) -> torch.Generator:
        if self._generator is None or self._generator.device != like.device:
            self._generator = torch.Generator(device=like.device)
            self._generator.manual_seed(self.seed)
        return self._generator

    def _split_mask(self, mask, query, value):
        """(query_mask, value_mask) as booleans of the query's / value's shape without the last axis."""
        if mask is None:
            return None, None
        if not isinstance(mask, (list, tuple)) or not 2 <= len(mask) <= 3:
            raise self._arg_error("mask", "must be a list [query_mask, value_mask]",
                                  type(mask).__name__ if not isinstance(mask, (list, tuple)) else f"{len(mask)} masks")
        out = []
        for name, m, tensor in (("query_mask", mask[0], query), ("value_mask", mask[1], value)):
            if m is None:
                out.append(None)
                continue
            if tuple(m.shape) != tuple(tensor.shape[:-1]):
                raise self._arg_error("mask", f"must have {name} of shape {tuple(tensor.shape[:-1])}",
                                      f"shape {tuple(m.shape)}")
            out.append(m if m.dtype == torch.bool else m != 0)
        return tuple(out)

    # ------------------------------------------------------------------ masks, shapes, config
    def compute_mask(self, inputs, mask=None):
        if mask is None or mask[0] is None:
            return None
        return mask[0]

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape[0])[:-1], tuple(input_shape[1])[-1])

    def get_config(self):
        return {**super().get_config(), "use_scale": self.use_scale, "score_mode": self.score_mode,
                "dropout": self.dropout, "seed": self.seed}


__all__ = ["Attention"]
