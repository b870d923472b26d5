"""MultiHeadAttention against Keras 3.15: projections, every mask kind, causal, sliding window,
attention_axes on 4-D/5-D inputs, attention scores, fully masked rows on both Keras code paths."""

from __future__ import annotations

import numpy as np

from .. import numpy_refs_attention as refs
from ..registry import BadInput, LayerSpec, Sample


def _keras_honours_query_mask(layer):
    """Keras 3.15's `call()` overwrites an explicit `query_mask=` with the query tensor's implicit
    Keras mask (so the argument has no effect). Pass ours as that implicit mask, which is how a Keras
    model masks queries (e.g. after `Embedding(mask_zero=True)`); we honour the argument directly."""
    from keras.src import backend

    call = layer.call

    def call_with_implicit_query_mask(query, *args, query_mask=None, **kwargs):
        if query_mask is not None:
            backend.set_keras_mask(query, query_mask)
        return call(query, *args, **kwargs)

    layer.call = call_with_implicit_query_mask


def _mask(rng, shape, p_attend=0.7):
    return rng.random(shape) < p_attend


_RNG = np.random.default_rng(1234)  # fixed masks for the hand-picked samples
B, T, S, N = 2, 4, 5, 2

# Masks with fully masked query rows: batch 1's value mask is all False; query row 2 of batch 0 has
# no allowed key in the attention mask.
DEAD_VALUE_MASK = np.array([[True, False, True, True, False], [False] * 5])
DEAD_ROW_MASK = np.ones((B, T, S), bool)
DEAD_ROW_MASK[0, 2] = False
DEAD_ROW_MASK[1, :, 1] = False
QUERY_MASK = np.array([[True, True, False, True], [False, True, True, True]])


def _self_attention(shape):
    def make(rng):
        x = rng.standard_normal(shape)
        return [x, x], {}

    return make


SAMPLES = [
    # --- projections and shapes
    Sample({"num_heads": 2, "key_dim": 3}, (B, T, 6), ((B, T, 6),), id="basic"),
    Sample({"num_heads": 2, "key_dim": 3}, make_inputs=_self_attention((B, T, 6)), id="self-attention-same-tensor"),
    Sample({"num_heads": 3, "key_dim": 2}, (B, T, 4), ((B, S, 6), (B, S, 7)), id="cross-q4-v6-k7-T!=S"),
    Sample({"num_heads": 3, "key_dim": 2}, (B, T, 8), ((B, S, 8),), id="E!=N*H"),
    Sample({"num_heads": 2, "key_dim": 3, "value_dim": 5}, (B, T, 4), ((B, S, 6),), id="value_dim!=key_dim"),
    Sample({"num_heads": 2, "key_dim": 3, "output_shape": 7}, (B, T, 4), ((B, S, 4),), id="output_shape-int"),
    Sample({"num_heads": 2, "key_dim": 3, "output_shape": (2, 3)}, (B, T, 4), ((B, S, 4),), id="output_shape-tuple"),
    Sample({"num_heads": 2, "key_dim": 3, "use_bias": False}, (B, T, 4), ((B, S, 5), (B, S, 3)), id="no-bias"),
    Sample({"num_heads": 2, "key_dim": 3, "use_gate": True}, (B, T, 4), ((B, S, 5),), id="gate"),
    Sample({"num_heads": 2, "key_dim": 2, "use_gate": True, "use_bias": False, "value_dim": 3, "output_shape": 5},
           (B, T, 4), ((B, S, 5), (B, S, 6)), id="gate-nobias-vdim-outshape-cross"),
    Sample({"num_heads": 1, "key_dim": 1}, (1, 1, 1), ((1, 1, 1),), id="all-ones"),
    # Keras' TF `ops.add` adds a (N, 1) bias along axis 1 when that axis has length N (it takes the
    # bias for an NCHW `bias_add`): with key_dim=1 and T == S == N its numbers are wrong. Numpy reference.
    Sample({"num_heads": 2, "key_dim": 1, "bias_initializer": "random_normal"}, (B, 2, 3), ((B, 2, 3),),
           reference=refs.plain, id="head-size-1-vs-numpy"),
    Sample({"num_heads": 2, "key_dim": 4, "bias_initializer": "random_normal",
            "kernel_initializer": {"class_name": "TruncatedNormal", "config": {"stddev": 0.5, "seed": 3}}},
           (B, T, 4), ((B, S, 4),), id="random-bias-and-init-dict"),
    Sample({"num_heads": 2, "key_dim": 3, "kernel_regularizer": "l2", "bias_regularizer": "l1",
            "activity_regularizer": "l1l2", "kernel_constraint": "max_norm", "bias_constraint": "non_neg",
            "seed": 7}, (B, T, 4), ((B, S, 4),), id="regularized-constrained-seed"),
    # --- masks (True = attend), each kind and their AND
    Sample({"num_heads": 2, "key_dim": 3}, (B, T, 4), ((B, S, 4),),
           call_kwargs={"value_mask": _mask(_RNG, (B, S))}, id="value_mask"),
    Sample({"num_heads": 2, "key_dim": 3}, (B, T, 4), ((B, S, 4), (B, S, 3)),
           call_kwargs={"key_mask": _mask(_RNG, (B, S))}, id="key_mask"),
    Sample({"num_heads": 2, "key_dim": 3}, (B, T, 4), ((B, S, 4),),
           call_kwargs={"query_mask": QUERY_MASK}, keras_setup=_keras_honours_query_mask, id="query_mask"),
    Sample({"num_heads": 2, "key_dim": 3}, (B, T, 4), ((B, S, 4),),
           call_kwargs={"attention_mask": _mask(_RNG, (B, T, S))}, id="attention_mask-BTS"),
    Sample({"num_heads": 2, "key_dim": 3}, (B, T, 4), ((B, S, 4),),
           call_kwargs={"attention_mask": _mask(_RNG, (T, S))}, id="attention_mask-TS"),
    Sample({"num_heads": 3, "key_dim": 3}, (B, T, 4), ((B, S, 4),),
           call_kwargs={"attention_mask": _mask(_RNG, (B, 3, T, S))}, id="attention_mask-BNTS"),
    Sample({"num_heads": 2, "key_dim": 3}, (B, T, 4), ((B, S, 4),),
           call_kwargs={"attention_mask": _mask(_RNG, (1, T, S))}, id="attention_mask-1TS"),
    Sample({"num_heads": 2, "key_dim": 3}, (B, T, 4), ((B, S, 4),),
           call_kwargs={"attention_mask": _mask(_RNG, (B, 1, S))}, id="attention_mask-B1S"),
    Sample({"num_heads": 2, "key_dim": 3}, (B, T, 4), ((B, S, 4),),
           call_kwargs={"attention_mask": (_RNG.random((B, T, S)) < 0.7).astype(np.int32)}, id="attention_mask-int"),
    Sample({"num_heads": 2, "key_dim": 3}, (B, T, 4), ((B, S, 4), (B, S, 2)),
           call_kwargs={"query_mask": QUERY_MASK, "value_mask": _mask(_RNG, (B, S), 0.8),
                        "key_mask": _mask(_RNG, (B, S), 0.8), "attention_mask": _mask(_RNG, (T, S), 0.8)},
           keras_setup=_keras_honours_query_mask, id="all-four-masks"),
    Sample({"num_heads": 3, "key_dim": 2}, (B, T, 4), ((B, S, 4),),
           call_kwargs={"attention_mask": _mask(_RNG, (1, 3, T, S), 0.8), "value_mask": _mask(_RNG, (B, S), 0.8)},
           reference=refs.four_d_attention_mask_with_value_mask, id="attention_mask-1NTS-with-value_mask-vs-numpy"),
    # Keras misaligns a 4-D attention_mask with the other masks (a shape error, or wrong numbers when
    # B == N): numpy reference.
    Sample({"num_heads": 2, "key_dim": 3}, (B, T, 4), ((B, S, 4),),
           call_kwargs={"attention_mask": _mask(_RNG, (B, 2, T, S), 0.8), "value_mask": _mask(_RNG, (B, S), 0.8)},
           reference=refs.four_d_attention_mask_with_value_mask, id="attention_mask-BNTS-with-value_mask-vs-numpy"),
    # --- causal (top-left aligned) and sliding window
    Sample({"num_heads": 2, "key_dim": 3}, (B, T, 4), ((B, T, 4),), call_kwargs={"use_causal_mask": True}, id="causal"),
    Sample({"num_heads": 2, "key_dim": 3}, (B, T, 4), ((B, S, 4),), call_kwargs={"use_causal_mask": True},
           id="causal-T<S"),
    Sample({"num_heads": 2, "key_dim": 3}, (B, S, 4), ((B, 3, 4),), call_kwargs={"use_causal_mask": True},
           id="causal-T>S"),
    Sample({"num_heads": 2, "key_dim": 3}, (B, T, 4), ((B, S, 4),),
           call_kwargs={"use_causal_mask": True, "value_mask": _mask(_RNG, (B, S)),
                        "attention_mask": _mask(_RNG, (T, S), 0.8)}, id="causal-and-masks"),
    Sample({"num_heads": 2, "key_dim": 3}, (B, T, 4), ((B, T, 4),),
           call_kwargs={"use_causal_mask": True, "return_attention_scores": True}, id="causal-scores"),
    Sample({"num_heads": 2, "key_dim": 3, "sliding_window": 2}, (B, 6, 4), ((B, 6, 4),), id="sliding-window"),
    Sample({"num_heads": 2, "key_dim": 3, "sliding_window": 3}, (B, 6, 4), ((B, 6, 4),),
           call_kwargs={"use_causal_mask": True}, id="sliding-window-causal"),
    Sample({"num_heads": 2, "key_dim": 3, "sliding_window": 1}, (B, 6, 4), ((B, 3, 4),), id="sliding-window-dead-rows"),
    Sample({"num_heads": 2, "key_dim": 3, "sliding_window": 1}, (B, 6, 4), ((B, 3, 4),),
           call_kwargs={"return_attention_scores": True}, id="sliding-window-dead-rows-scores"),
    # --- fully masked query rows: uniform on Keras' fused path, zero on its explicit path
    Sample({"num_heads": 2, "key_dim": 3}, (B, T, 4), ((B, S, 4),),
           call_kwargs={"value_mask": DEAD_VALUE_MASK}, id="dead-rows-fused-value_mask"),
    Sample({"num_heads": 2, "key_dim": 3}, (B, T, 4), ((B, S, 4),),
           call_kwargs={"attention_mask": DEAD_ROW_MASK}, id="dead-rows-fused-attention_mask"),
    Sample({"num_heads": 2, "key_dim": 3, "use_gate": True}, (B, T, 4), ((B, S, 4),),
           call_kwargs={"query_mask": QUERY_MASK}, keras_setup=_keras_honours_query_mask, id="dead-rows-fused-query_mask"),
    Sample({"num_heads": 2, "key_dim": 3}, (B, T, 4), ((B, S, 4),),
           call_kwargs={"attention_mask": DEAD_ROW_MASK, "return_attention_scores": True}, id="dead-rows-explicit-scores"),
    Sample({"num_heads": 2, "key_dim": 3, "dropout": 0.3}, (B, T, 4), ((B, S, 4),),
           call_kwargs={"value_mask": DEAD_VALUE_MASK}, id="dead-rows-explicit-dropout-inference"),
    # --- scores and dropout (inference only: the random streams of the two frameworks differ)
    Sample({"num_heads": 3, "key_dim": 2}, (B, T, 4), ((B, S, 6),), call_kwargs={"return_attention_scores": True},
           id="scores"),
    Sample({"num_heads": 2, "key_dim": 3, "dropout": 0.5}, (B, T, 4), ((B, S, 4),), training=False, id="dropout-inference"),
    Sample({"num_heads": 2, "key_dim": 3, "dropout": 0.5, "seed": 1}, (B, T, 4), ((B, S, 4),),
           call_kwargs={"return_attention_scores": True, "value_mask": _mask(_RNG, (B, S))}, id="dropout-scores-inference"),
    # --- attention_axes on 4-D and 5-D inputs (Keras' explicit path)
    Sample({"num_heads": 2, "key_dim": 2}, (B, 3, 2, 4), ((B, 2, 3, 5),), call_kwargs={"return_attention_scores": True},
           id="4d-joint-axes-scores"),
    Sample({"num_heads": 2, "key_dim": 2, "attention_axes": (2,)}, (B, 3, 4, 4), ((B, 3, 2, 5),),
           call_kwargs={"return_attention_scores": True}, id="4d-axis2-scores"),
    Sample({"num_heads": 2, "key_dim": 2, "attention_axes": 1}, (B, 3, 4, 4), ((B, 2, 4, 5),),
           call_kwargs={"return_attention_scores": True}, id="4d-axis1-scores"),
    Sample({"num_heads": 2, "key_dim": 2, "attention_axes": -2, "use_gate": True}, (B, 3, 4, 4), ((B, 3, 2, 4),),
           id="4d-axis-negative"),
    Sample({"num_heads": 2, "key_dim": 2, "attention_axes": (2, 3)}, (B, 2, 3, 2, 4), ((B, 2, 2, 3, 4),),
           call_kwargs={"return_attention_scores": True}, id="5d-axes23-scores"),
    Sample({"num_heads": 2, "key_dim": 2, "attention_axes": (1, 3), "output_shape": (2, 2)}, (B, 2, 3, 2, 4),
           ((B, 3, 3, 3, 4),), id="5d-axes13-nonadjacent"),
    Sample({"num_heads": 2, "key_dim": 2, "attention_axes": (2,)}, (B, 3, 4, 4), ((B, 3, 5, 4),),
           call_kwargs={"attention_mask": _mask(_RNG, (B, 3, 4, 5)), "value_mask": _mask(_RNG, (B, 3, 5))},
           id="4d-axis2-masks"),
    Sample({"num_heads": 2, "key_dim": 2}, (B, 2, 3, 4), ((B, 2, 2, 4),),
           call_kwargs={"attention_mask": _mask(_RNG, (B, 2, 3, 2, 2), 0.5)}, id="4d-joint-axes-full-mask-dead-rows"),
    Sample({"num_heads": 2, "key_dim": 2, "attention_axes": (1,)}, (B, 4, 3, 4), ((B, 4, 3, 4),),
           call_kwargs={"use_causal_mask": True, "return_attention_scores": True}, id="4d-axis1-causal"),
    Sample({"num_heads": 2, "key_dim": 2, "attention_axes": (2,)}, (B, 3, 3, 4), ((B, 3, 3, 4),),
           call_kwargs={"use_causal_mask": True}, id="4d-axis2-causal-square"),
    Sample({"num_heads": 2, "key_dim": 2, "attention_axes": (2,)}, (B, 3, 4, 4), ((B, 3, 4, 4),),
           call_kwargs={"use_causal_mask": True}, reference=refs.causal_on_second_axis,
           id="4d-axis2-causal-vs-numpy"),
]


def _sample(rng) -> Sample:
    return _sample_high_rank(rng) if rng.random() < 0.3 else _sample_3d(rng)


def _sample_high_rank(rng) -> Sample:
    """4-D/5-D inputs with random attention_axes (Keras' explicit path). Masks only in the layouts
    where Keras aligns them: a full attention_mask (B, *other axes, *query axes, *key axes), a
    value_mask with one trailing attention axis; causal only along axis 1."""
    rank = int(rng.integers(4, 6))
    positions = list(range(1, rank - 1))
    # TensorFlow's CPU Softmax kernel takes at most 5 dims, so Keras (TF backend) cannot run a single
    # attention axis on 5-D inputs (6-D scores); several axes use a logsumexp that has no such limit.
    count = int(rng.integers(1 if rank == 4 else 2, len(positions) + 1))
    axes = tuple(int(a) for a in rng.choice(positions, size=count, replace=False))
    batch = int(rng.integers(1, 3))
    query_dims = [int(d) for d in rng.integers(1, 4, size=rank - 2)]
    value_dims = [query_dims[i - 1] if i not in axes else int(rng.integers(1, 4)) for i in positions]
    features = [int(d) for d in rng.integers(1, 6, size=2)]
    config = {"num_heads": int(rng.integers(1, 3)), "key_dim": int(rng.integers(2, 4)),
              "attention_axes": axes if rng.random() < 0.7 else tuple(a - rank for a in axes),
              "use_gate": bool(rng.random() < 0.3)}
    if len(axes) == rank - 2 and rng.random() < 0.3:
        config.pop("attention_axes")  # None: all position axes, in order
        axes = tuple(positions)
    kwargs = {"return_attention_scores": bool(rng.random() < 0.5)}
    others = [a for a in positions if a not in axes]
    if rng.random() < 0.3:
        shape = [batch] + [query_dims[a - 1] for a in others] + [query_dims[a - 1] for a in axes] + [value_dims[a - 1] for a in axes]
        kwargs["attention_mask"] = _mask(rng, tuple(shape), 0.8)
    if axes == (rank - 2,) and rng.random() < 0.4:
        kwargs["value_mask"] = _mask(rng, (batch, *value_dims), 0.8)
    if axes == (1,) and rng.random() < 0.4:
        kwargs["use_causal_mask"] = True
    return Sample(config, (batch, *query_dims, features[0]), ((batch, *value_dims, features[1]),), call_kwargs=kwargs)


def _sample_3d(rng) -> Sample:
    # key_dim/value_dim >= 2 and no trailing 1 in output_shape: Keras' TF `ops.add` broadcasts a bias
    # such as (N, 1) along the wrong axis (see the "head-size-1" numpy-reference sample).
    heads, key_dim = int(rng.integers(1, 4)), int(rng.integers(2, 5))
    batch, length_q, length_k = int(rng.integers(1, 4)), int(rng.integers(1, 6)), int(rng.integers(1, 6))
    dims = [int(d) for d in rng.integers(1, 8, size=3)]
    config = {"num_heads": heads, "key_dim": key_dim, "use_bias": bool(rng.integers(2)), "use_gate": bool(rng.random() < 0.3)}
    if rng.random() < 0.4:
        config["value_dim"] = int(rng.integers(2, 5))
    if rng.random() < 0.3:
        config["output_shape"] = int(rng.integers(1, 6)) if rng.random() < 0.5 else (int(rng.integers(1, 3)), 2)
    if rng.random() < 0.25:
        config["sliding_window"] = int(rng.integers(1, 4))
    if rng.random() < 0.2:
        config["dropout"] = 0.25  # inference: selects Keras' explicit path
    extra = ((batch, length_k, dims[1]),) if rng.random() < 0.5 else ((batch, length_k, dims[1]), (batch, length_k, dims[2]))
    kwargs = {}
    if rng.random() < 0.3:
        kwargs["query_mask"] = _mask(rng, (batch, length_q), 0.8)
    if rng.random() < 0.3:
        kwargs["value_mask"] = _mask(rng, (batch, length_k), 0.8)
    if len(extra) == 2 and rng.random() < 0.3:
        kwargs["key_mask"] = _mask(rng, (batch, length_k), 0.8)
    if rng.random() < 0.3:
        shape = [(length_q, length_k), (batch, length_q, length_k), (batch, heads, length_q, length_k)][int(rng.integers(3))]
        kwargs["attention_mask"] = _mask(rng, shape, 0.8)
        if len(shape) == 4:  # Keras misaligns a 4-D mask with the other masks (see the numpy-reference sample)
            for name in ("query_mask", "value_mask", "key_mask"):
                kwargs.pop(name, None)
    if rng.random() < 0.3:
        kwargs["use_causal_mask"] = True
    if rng.random() < 0.3:
        kwargs["return_attention_scores"] = True
    setup = _keras_honours_query_mask if "query_mask" in kwargs else None
    return Sample(config, (batch, length_q, dims[0]), extra, call_kwargs=kwargs, keras_setup=setup)


MULTI_HEAD_ATTENTION = LayerSpec(
    name="MultiHeadAttention",
    samples=SAMPLES,
    sampler=_sample,
    bad_configs=[
        ({"num_heads": 2, "key_dim": 0}, "key_dim=0"),
        ({"num_heads": 2, "key_dim": -3}, "negative-key_dim"),
        ({"num_heads": 0, "key_dim": 2}, "num_heads=0"),
        ({"num_heads": 1.5, "key_dim": 2}, "float-num_heads"),
        ({"num_heads": 2, "key_dim": 2, "value_dim": -1}, "negative-value_dim"),
        ({"num_heads": 2, "key_dim": 2, "output_shape": 8.0}, "float-output_shape"),
        ({"num_heads": 2, "key_dim": 2, "attention_axes": "1"}, "string-attention_axes"),
        ({"num_heads": 2, "key_dim": 2, "sliding_window": 0}, "sliding_window=0"),
        ({"num_heads": 2, "key_dim": 2, "flash_attention": True, "dropout": 0.1}, "flash-with-dropout"),
        ({"num_heads": 2, "key_dim": 2, "kernel_initializer": "no_such_init"}, "unknown-initializer"),
        ({"num_heads": 2, "key_dim": 2, "not_an_argument": 1}, "unknown-kwarg"),
    ],
    bad_inputs=[
        BadInput({"num_heads": 2, "key_dim": 2}, (2, 3, 4), (2, 3, 5), call_kwargs={"value": np.ones((2, 3, 4), np.float32)},
                 match=r"MultiHeadAttention: argument `query` must have rank 3 and last dimension 4 .*; received \(2, 3, 5\)",
                 id="query-features-change-after-build"),
        BadInput({"num_heads": 2, "key_dim": 2}, None, (2, 3, 4),
                 call_kwargs={"value": np.ones((2, 5, 4), np.float32), "attention_mask": np.ones((2, 3, 4), bool)},
                 match=r"MultiHeadAttention: argument `attention_mask` must be broadcastable to the attention scores "
                       r"\(2, 2, 3, 5\).*; received \(2, 3, 4\)", id="attention_mask-not-broadcastable"),
        BadInput({"num_heads": 2, "key_dim": 2}, None, (2, 3, 4),
                 call_kwargs={"value": np.ones((2, 5, 4), np.float32), "attention_mask": np.ones((5,), bool)},
                 match=r"MultiHeadAttention: argument `attention_mask` must have between 2 and 4 dimensions.*; received \(5,\)",
                 id="attention_mask-1d"),
        BadInput({"num_heads": 2, "key_dim": 2}, None, (2, 3, 4),
                 call_kwargs={"value": np.ones((2, 5, 4), np.float32), "value_mask": np.ones((2, 4), bool)},
                 match=r"MultiHeadAttention: argument `value_mask` must be broadcastable to the input's positions \(2, 5\); "
                       r"received \(2, 4\)", id="value_mask-wrong-length"),
        BadInput({"num_heads": 2, "key_dim": 2}, None, (2, 3, 3, 4),
                 call_kwargs={"value": np.ones((2, 3, 3, 4), np.float32), "use_causal_mask": True},
                 match=r"MultiHeadAttention: argument `use_causal_mask` needs a single attention axis; attention_axes=\(1, 2\)",
                 id="causal-with-joint-attention_axes-4d"),
        BadInput({"num_heads": 2, "key_dim": 2, "attention_axes": (1, 2)}, None, (2, 3, 3, 4),
                 call_kwargs={"value": np.ones((2, 3, 3, 4), np.float32), "use_causal_mask": True},
                 match=r"MultiHeadAttention: argument `use_causal_mask` needs a single attention axis; attention_axes=\(1, 2\)",
                 id="causal-with-two-attention_axes"),
        BadInput({"num_heads": 2, "key_dim": 2, "sliding_window": 2}, None, (2, 3, 3, 4),
                 call_kwargs={"value": np.ones((2, 3, 3, 4), np.float32)},
                 match=r"MultiHeadAttention: argument `sliding_window` needs a single attention axis; attention_axes=\(1, 2\)",
                 id="sliding_window-with-two-axes"),
        BadInput({"num_heads": 2, "key_dim": 2}, None, (2, 3, 4),
                 call_kwargs={"value": np.ones((2, 5, 4, 4), np.float32)},
                 match=r"MultiHeadAttention: argument `value` must have the query's rank 3; received \(2, 5, 4, 4\)",
                 id="value-rank-differs"),
        BadInput({"num_heads": 2, "key_dim": 2}, None, (2, 3, 4),
                 call_kwargs={"value": np.ones((2, 5, 4), np.float32), "key": np.ones((2, 4, 4), np.float32)},
                 match=r"MultiHeadAttention: arguments `value` and `key`: all dimensions .* except the last one, must be equal",
                 id="key-length-differs-from-value"),
        BadInput({"num_heads": 2, "key_dim": 2}, None, (2, 5),
                 call_kwargs={"value": np.ones((2, 5), np.float32)},
                 match=r"MultiHeadAttention: argument `query` must have rank >= 3.*; received \(2, 5\)", id="query-rank-2"),
    ],
)

SPECS = [MULTI_HEAD_ATTENTION]
