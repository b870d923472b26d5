"""Sequence layers: Embedding, Masking, EinsumDense, Attention, AdditiveAttention, TimeDistributed."""

from __future__ import annotations

import numpy as np

from ..registry import BadInput, LayerSpec, Sample, XFail, ndim_error


def _ids(shape, input_dim, dtype=np.int64, low=0):
    def make(rng):
        return [rng.integers(low, input_dim, size=shape).astype(dtype)], {}

    return make


def _randomize(*names, alpha=None):
    """Keras starts LoRA's `*_b` factor at zeros, which would hide the LoRA term: give it values (they
    reach ours through the weight copy). `alpha`: Keras 3.15's Embedding ignores a constructor
    lora_alpha (its build calls `enable_lora(rank)`), so set it on the Keras layer as ours honours it."""

    def setup(layer):
        rng = np.random.default_rng(7)
        for name in names:
            variable = getattr(layer, name)
            variable.assign(0.3 * rng.standard_normal(tuple(variable.shape)).astype(variable.dtype))
        if alpha is not None:
            layer.lora_alpha = alpha

    return setup


# ---------------------------------------------------------------------------- Embedding
def _embedding_sample(rng) -> Sample:
    input_dim, output_dim = int(rng.integers(1, 20)), int(rng.integers(1, 8))
    shape = tuple(int(d) for d in rng.integers(1, 5, size=int(rng.integers(1, 4))))
    dtype = [np.int32, np.int64, np.int16, np.uint8][int(rng.integers(4))]
    low = -input_dim if dtype in (np.int32, np.int64) and rng.random() < 0.3 else 0
    config = {"input_dim": input_dim, "output_dim": output_dim, "mask_zero": bool(rng.integers(2))}
    if rng.random() < 0.3:
        config["embeddings_initializer"] = str(rng.choice(["glorot_uniform", "random_normal", "ones"]))
    return Sample(config, make_inputs=_ids(shape, min(input_dim, 255), dtype, low), id=f"fuzz-{np.dtype(dtype).name}")


EMBEDDING = LayerSpec(
    name="Embedding",
    samples=[
        Sample({"input_dim": 10, "output_dim": 4}, make_inputs=_ids((3, 5), 10), id="int64-ids"),
        Sample({"input_dim": 7, "output_dim": 3, "mask_zero": True}, make_inputs=_ids((2, 6), 7, np.int32),
               id="int32-mask_zero"),
        Sample({"input_dim": 6, "output_dim": 2}, make_inputs=_ids((2, 3, 4), 6, np.int16), id="int16-3d"),
        Sample({"input_dim": 5, "output_dim": 3}, make_inputs=_ids((4,), 5, np.uint8), id="uint8-1d"),
        Sample({"input_dim": 8, "output_dim": 3}, make_inputs=_ids((3, 4), 8, np.int64, low=-8),
               id="negative-ids-wrap"),
        # Float ids are cast to int32 (truncated toward zero), as Keras does.
        Sample({"input_dim": 6, "output_dim": 2},
               make_inputs=lambda rng: ([np.array([[1.7, 2.2, -0.5, 5.9], [0.0, 3.99, 4.5, 1.0]])], {}),
               grad=False, id="float-ids-truncate"),  # ids have no gradient (a cast to int32)
        Sample({"input_dim": 9, "output_dim": 4, "embeddings_initializer": "glorot_uniform",
                "embeddings_regularizer": "l2", "activity_regularizer": "l1", "embeddings_constraint": "max_norm"},
               make_inputs=_ids((2, 5), 9), id="regularized-constrained"),
        Sample({"input_dim": 9, "output_dim": 4, "lora_rank": 2}, make_inputs=_ids((2, 5), 9),
               keras_setup=_randomize("lora_embeddings_b"), id="lora"),
        Sample({"input_dim": 9, "output_dim": 4, "lora_rank": 2, "lora_alpha": 6}, make_inputs=_ids((2, 5), 9),
               keras_setup=_randomize("lora_embeddings_b", alpha=6), id="lora-alpha"),
        Sample({"input_dim": 1, "output_dim": 1}, make_inputs=_ids((2, 2), 1), id="one-row"),
    ],
    sampler=_embedding_sample,
    bad_configs=[({"input_dim": 0, "output_dim": 2}, "input_dim=0"), ({"input_dim": 3, "output_dim": -1}, "negative"),
                 ({"input_dim": 2.5, "output_dim": 2}, "float-input_dim"),
                 ({"input_dim": True, "output_dim": 2}, "bool-input_dim")],
    bad_inputs=[BadInput({"input_dim": 5, "output_dim": 2}, None, np.array([[0, 7]]),
                         match=r"Embedding: argument `inputs` must hold ids in \[-5, 5\)", id="id-too-large"),
                BadInput({"input_dim": 5, "output_dim": 2}, None, np.array([[-6, 1]]),
                         match=r"Embedding: argument `inputs` must hold ids in \[-5, 5\)", id="id-below--input_dim")],
)


# ---------------------------------------------------------------------------- Masking
def _with_masked_steps(shape, mask_value=0.0, p=0.4):
    def make(rng):
        x = rng.standard_normal(shape)
        steps = rng.random(shape[:-1]) < p
        x[steps] = mask_value
        return [x], {}

    return make


def _masking_sample(rng) -> Sample:
    shape = tuple(int(d) for d in rng.integers(1, 5, size=int(rng.integers(2, 5))))
    value = float(rng.choice([0.0, 1.0, -2.5]))
    return Sample({"mask_value": value}, make_inputs=_with_masked_steps(shape, value))


MASKING = LayerSpec(
    name="Masking",
    samples=[
        Sample({}, make_inputs=_with_masked_steps((3, 5, 4)), id="zeros"),
        Sample({"mask_value": 1.0}, make_inputs=_with_masked_steps((2, 6, 3), 1.0), id="mask_value=1"),
        Sample({"mask_value": -2}, make_inputs=_with_masked_steps((2, 3, 4, 2), -2.0), id="int-mask_value-4d"),
        # Partly equal timesteps stay: only all-equal features mask a step.
        Sample({}, make_inputs=lambda rng: ([np.array([[[0.0, 1.0], [0.0, 0.0], [2.0, 0.0]]])], {}),
               id="partly-equal-steps-kept"),
        Sample({}, (2, 3), id="2d"),
    ],
    sampler=_masking_sample,
)


# ---------------------------------------------------------------------------- EinsumDense
def _einsum(equation, output_shape, input_shape, bias_axes=None, **config):
    return Sample({"equation": equation, "output_shape": output_shape, "bias_axes": bias_axes, **config},
                  input_shape, id=f"{equation}-bias={bias_axes}" + ("-" + "-".join(config) if config else ""))


def _einsum_sample(rng) -> Sample:
    batch, t, c = (int(d) for d in rng.integers(1, 5, size=3))
    # Output sizes >= 2 and no bias on `d` alone: Keras' TF `ops.add` takes a bias such as (d, 1) for an
    # NCHW `bias_add` along axis 1 when that axis has length d (see numpy_refs.keras_add_takes_bias_add_path).
    d, e = (int(x) for x in rng.integers(2, 5, size=2))
    form = int(rng.integers(4))
    activation = str(rng.choice(["linear", "relu", "tanh"]))
    if form == 0:
        return _einsum("abc,cde->abde", (t, d, e), (batch, t, c), str(rng.choice(["de", "e", "be"])),
                       activation=activation)
    if form == 1:
        return _einsum("...b,bc->...c", (d,), (batch, t, c), "c" if rng.random() < 0.5 else None,
                       activation=activation)
    if form == 2:
        return _einsum("abcd,cde->abe", (t, e), (batch, t, c, d), "e", activation=activation)
    return _einsum("ab,bc->ac", d, (batch, c), "c", lora_rank=int(rng.integers(1, 3)))


EINSUM_DENSE = LayerSpec(
    name="EinsumDense",
    samples=[
        _einsum("ab,bc->ac", 4, (3, 5), "c"),
        _einsum("ab,b->a", (), (2, 6)),
        _einsum("abc,cde->abde", (1, 3, 4), (2, 1, 2)),
        _einsum("abc,cde->abde", (1, 3, 4), (2, 1, 2), "e"),
        _einsum("abc,cde->abde", (1, 3, 4), (2, 1, 2), "d"),
        _einsum("abc,cde->abde", (7, 3, 4), (2, 7, 2), "be"),
        _einsum("BFNH,NHD->BFD", (1, 4), (2, 1, 2, 3), "D"),
        _einsum("abc,cd->abd", (1, 4), (2, 1, 2)),
        _einsum("i,d->id", (2,), (2,)),
        _einsum("ibd,nd->ibn", (2, 2), (2, 2, 1)),
        _einsum("...b,bc->...c", (6,), (2, 3, 5), "c"),
        _einsum("...bc,bc->...b", (4,), (2, 3, 4, 5)),
        _einsum("...c,cde->...de", (3, 4), (2, 1, 2), "de"),
        _einsum("ab...,bc->ac...", (4,), (2, 5, 3), "c"),
        _einsum("abc,cde->abde", (4, 2, 3), (2, 4, 5), "de", activation="gelu",
                kernel_initializer={"class_name": "VarianceScaling", "config": {"scale": 2.0, "seed": 3}},
                bias_initializer="random_normal"),
        Sample({"equation": "ab,bc->ac", "output_shape": 4, "bias_axes": "c", "lora_rank": 2}, (3, 5),
               keras_setup=_randomize("lora_kernel_b"), id="lora"),
        Sample({"equation": "abc,cde->abde", "output_shape": (4, 2, 3), "bias_axes": "de", "lora_rank": 2,
                "lora_alpha": 5}, (2, 4, 5), keras_setup=_randomize("lora_kernel_b"), id="lora-alpha-3d-kernel"),
        Sample({"equation": "ab,bc->ac", "output_shape": 3, "bias_axes": "c", "kernel_regularizer": "l2",
                "bias_regularizer": "l1", "activity_regularizer": "l1l2", "kernel_constraint": "max_norm",
                "bias_constraint": "non_neg"}, (4, 5), id="regularized-constrained"),
    ],
    sampler=_einsum_sample,
    bad_configs=[({"equation": "ab,bc->ac", "output_shape": 3, "activation": "no_such_activation"},
                  "unknown-activation")],
    bad_inputs=[
        BadInput({"equation": "ab,bc->ac", "output_shape": 3}, (2, 4), (2, 5),
                 match=r"layer EinsumDense \(.*expected axis 1 of input shape to have value 4, found 5",
                 id="contracted-size-changes"),
        BadInput({"equation": "ab,bc->ac", "output_shape": 3}, (2, 4), (2, 3, 4),
                 match=ndim_error("EinsumDense", 2, 3), id="rank-changes"),
        BadInput({"equation": "abc,cd->abd", "output_shape": (5, 3)}, None, (2, 4, 6),
                 match=r"EinsumDense: argument `output_shape` must match the input at shared axis 'b'",
                 id="shared-axis-mismatch"),
        BadInput({"equation": "abc,cd->abd", "output_shape": (4, 3), "bias_axes": "x"}, None, (2, 4, 6),
                 match=r"EinsumDense: argument `bias_axes` must name axes of the output spec", id="bad-bias-axis"),
        BadInput({"equation": "ab,bcx->ac", "output_shape": 3}, None, (2, 4),
                 match=r"EinsumDense: argument `equation` has weight axis 'x'", id="unmatched-weight-axis"),
    ],
)


# ---------------------------------------------------------------------------- Attention, AdditiveAttention
_RNG = np.random.default_rng(99)
B, T, S, D = 2, 4, 5, 3
Q_MASK = np.array([[True, True, False, True], [False, True, True, True]])
V_MASK = np.array([[True, False, True, True, False], [True, True, True, False, True]])
DEAD_V_MASK = np.array([[True, False, True, True, False], [False] * S])


def _attention_samples(extra_configs):
    base = [
        Sample({}, [(B, T, D), (B, S, D)], id="query-value"),
        Sample({}, [(B, T, D), (B, S, 6), (B, S, D)], id="query-value-key-dv6"),
        Sample({}, [(B, T, D), (B, S, D)], call_kwargs={"mask": [Q_MASK, V_MASK]}, id="both-masks"),
        Sample({}, [(B, T, D), (B, S, D)], call_kwargs={"mask": [None, V_MASK]}, id="value-mask"),
        Sample({}, [(B, T, D), (B, S, D)], call_kwargs={"mask": [Q_MASK, None]}, id="query-mask"),
        Sample({}, [(B, T, D), (B, S, D)], call_kwargs={"mask": [None, DEAD_V_MASK]}, id="fully-masked-value"),
        Sample({}, [(B, T, D), (B, S, D)], call_kwargs={"mask": [None, DEAD_V_MASK], "return_attention_scores": True},
               id="fully-masked-value-scores"),
        Sample({}, [(B, T, D), (B, T, D)], call_kwargs={"use_causal_mask": True}, id="causal"),
        Sample({}, [(B, T, D), (B, S, D)], call_kwargs={"use_causal_mask": True, "mask": [Q_MASK, V_MASK],
                                                       "return_attention_scores": True}, id="causal-T<S-masks-scores"),
        Sample({}, [(B, S, D), (B, T, D)], call_kwargs={"use_causal_mask": True}, id="causal-T>S"),
        Sample({}, [(B, T, D), (B, S, D)], call_kwargs={"return_attention_scores": True}, id="scores"),
        Sample({"dropout": 0.5, "seed": 3}, [(B, T, D), (B, S, D)], training=False, id="dropout-inference"),
        Sample({}, [(1, 1, 1), (1, 1, 1)], id="ones"),
    ]
    return base + extra_configs


def _attention_sampler(score_modes):
    def sampler(rng) -> Sample:
        batch, tq, tv = (int(d) for d in rng.integers(1, 5, size=3))
        dim, dv = int(rng.integers(1, 5)), int(rng.integers(1, 5))
        config = {"use_scale": bool(rng.integers(2))}
        if score_modes:
            config["score_mode"] = str(rng.choice(score_modes))
        shapes = [(batch, tq, dim), (batch, tv, dv)] + ([(batch, tv, dim)] if rng.random() < 0.5 or dim != dv else [])
        kwargs = {}
        if rng.random() < 0.5:
            kwargs["mask"] = [rng.random((batch, tq)) < 0.7 if rng.random() < 0.5 else None,
                              rng.random((batch, tv)) < 0.7]
        if rng.random() < 0.3:
            kwargs["use_causal_mask"] = True
        if rng.random() < 0.3:
            kwargs["return_attention_scores"] = True
        return Sample(config, shapes, call_kwargs=kwargs)

    return sampler


def _attention_bad_inputs(name):
    return [
        BadInput({}, None, (B, T, D), match=rf"{name}: argument `inputs` must be a list \[query, value\]",
                 id="single-tensor"),
        BadInput({}, None, [(B, T, D)] * 4, match=rf"{name}: argument `inputs` must be a list of length 2 or 3",
                 id="four-inputs"),
        BadInput({}, None, [(B, T, D), (B, S, D), (B, 3, D)],
                 match=rf"{name}: argument `inputs` must share the batch axes, and key must have value's length",
                 id="key-length-differs"),
        BadInput({}, None, [(B, T, D), (B, S, 4)], match=rf"{name}: argument `inputs` must have query and key of "
                 "the same last dimension", id="query-key-dims-differ"),
    ]


ATTENTION = LayerSpec(
    name="Attention",
    samples=_attention_samples([
        # An integer value is promoted by Keras' matmul (AdditiveAttention's TF graph rejects it).
        Sample({}, None, make_inputs=lambda rng: ([[rng.standard_normal((B, T, D)),
                                                   (rng.random((B, S, D)) * 8).astype(np.int32)]], {}),
               grad=False, id="int-value-cast"),
        Sample({"use_scale": True}, [(B, T, D), (B, S, D)], call_kwargs={"mask": [Q_MASK, V_MASK]}, id="use_scale"),
        Sample({"use_scale": True}, [(B, T, D), (B, S, D)], call_kwargs={"return_attention_scores": True},
               id="use_scale-scores"),
        Sample({"score_mode": "concat"}, [(B, T, D), (B, S, D)], id="concat"),
        Sample({"score_mode": "concat", "use_scale": True}, [(B, T, D), (B, S, 2), (B, S, D)],
               call_kwargs={"mask": [Q_MASK, V_MASK], "use_causal_mask": True}, id="concat-scale-masks-causal"),
        Sample({"score_mode": "concat", "use_scale": True}, [(B, T, D), (B, S, D)],
               call_kwargs={"mask": [None, DEAD_V_MASK], "return_attention_scores": True}, id="concat-dead-rows"),
    ]),
    sampler=_attention_sampler(["dot", "concat"]),
    bad_configs=[({"score_mode": "additive"}, "unknown-score_mode"), ({"dropout": "x"}, "string-dropout")],
    bad_inputs=_attention_bad_inputs("Attention"),
)

ADDITIVE_ATTENTION = LayerSpec(
    name="AdditiveAttention",
    samples=_attention_samples([
        Sample({"use_scale": False}, [(B, T, D), (B, S, D)], call_kwargs={"mask": [Q_MASK, V_MASK]}, id="no-scale"),
        Sample({"use_scale": False}, [(B, T, D), (B, S, D)], call_kwargs={"return_attention_scores": True},
               id="no-scale-scores"),
    ]),
    sampler=_attention_sampler([]),
    bad_configs=[({"dropout": "x"}, "string-dropout")],
    bad_inputs=_attention_bad_inputs("AdditiveAttention"),
)


# ---------------------------------------------------------------------------- TimeDistributed
def _layer(class_name, **config):
    """An inner layer as Keras serializes it (TimeDistributed's `layer` config entry)."""
    return {"module": "keras.layers", "class_name": class_name, "config": config, "registered_name": None}


def _time_distributed_sample(rng) -> Sample:
    batch, steps = int(rng.integers(1, 4)), int(rng.integers(1, 5))
    kind = int(rng.integers(3))
    if kind == 0:
        rank = int(rng.integers(0, 3))
        shape = (batch, steps, *(int(d) for d in rng.integers(1, 4, size=rank)), int(rng.integers(1, 5)))
        layer = _layer("Dense", units=int(rng.integers(1, 5)), activation=str(rng.choice(["relu", "tanh", "linear"])))
    elif kind == 1:
        shape = (batch, steps, int(rng.integers(3, 7)), int(rng.integers(1, 4)))
        layer = _layer("Conv1D", filters=int(rng.integers(1, 4)), kernel_size=int(rng.integers(1, 4)),
                       padding=str(rng.choice(["valid", "same"])))
    else:
        shape = (batch, steps, int(rng.integers(1, 5)))
        layer = _layer("LayerNormalization")
    kwargs = {"mask": rng.random((batch, steps)) < 0.6} if rng.random() < 0.4 else {}
    return Sample({"layer": layer}, shape, call_kwargs=kwargs, dtypes=("float32",), id=f"fuzz-{layer['class_name']}")


TIME_DISTRIBUTED = LayerSpec(
    name="TimeDistributed",
    samples=[
        # The inner layer keeps its own (float32) policy, as in Keras: float32 runs only.
        Sample({"layer": _layer("Dense", units=3)}, (2, 4, 5), dtypes=("float32",), id="dense"),
        Sample({"layer": _layer("Dense", units=2, activation="relu", dtype="float64")}, (2, 3, 4, 5),
               dtypes=("float64",), id="dense-4d-float64"),
        Sample({"layer": _layer("Conv2D", filters=2, kernel_size=2)}, (2, 3, 5, 5, 3), dtypes=("float32",),
               id="conv2d-video"),
        Sample({"layer": _layer("Dense", units=3)}, (2, 4, 5), call_kwargs={"mask": _RNG.random((2, 4)) < 0.6},
               dtypes=("float32",), id="dense-mask-passes-through"),
        Sample({"layer": _layer("GlobalAveragePooling1D")}, (2, 3, 5, 4),
               call_kwargs={"mask": _RNG.random((2, 3, 5)) < 0.7}, dtypes=("float32",), id="pooling-takes-mask"),
        Sample({"layer": _layer("BatchNormalization", momentum=0.5)}, (3, 4, 2), training=True, steps=2,
               dtypes=("float32",), id="batchnorm-training-per-step"),
        Sample({"layer": _layer("Dropout", rate=0.5)}, (2, 3, 4), training=False, dtypes=("float32",),
               id="dropout-inference"),
        Sample({"layer": _layer("Dense", units=3)}, (2, 1, 5), dtypes=("float32",), id="one-step"),
    ],
    sampler=_time_distributed_sample,
    # Bad inputs (rank < 3, a mask of other timesteps) are in tests/test_sequence_layers.py: Keras'
    # constructor takes only a layer instance, not the serialized inner layer these specs give.
    bad_configs=[({"layer": 3}, "not-a-layer")],
    xfails=[XFail("double", "a float64 TimeDistributed keeps its inner layer's own (float32) policy, as in Keras, "
                  "so it is not the same module as `.double()` (which casts the inner weights too)"),
            *[XFail("policy", "under a mixed outer policy Keras' autocast scope runs the inner float32-policy layer in "
                    "the outer compute dtype (output float16/bfloat16); ours runs it in its own float32", sample=p)
              for p in ("mixed_float16", "mixed_bfloat16")]],
)

SPECS = [EMBEDDING, MASKING, EINSUM_DENSE, ATTENTION, ADDITIVE_ATTENTION, TIME_DISTRIBUTED]
