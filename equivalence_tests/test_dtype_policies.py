"""The base-layer call contract against Keras: dtype policies (mixed_float16 / mixed_bfloat16 give the
compute dtype and Keras' values, weights shared), the global policy, and the call plumbing Keras'
own layer tests exercise (regularization of frozen weights, merge masks, InputLayer, Lambda config,
EinsumDense LoRA in MultiHeadAttention, the summary's trainable count). Every expected value is
computed live from Keras."""

from __future__ import annotations

import json
import re
import warnings

import numpy as np
import pytest
import torch

import torchkeras_layers as tkl
from torchkeras_layers.dtypes import dtype_name

from .harness import (
    _attach_implicit_masks,
    _without,
    build_module,
    flat_tensors,
    make_call,
    reference_config,
    to_tf,
    to_torch,
)
from .registry import all_specs
from .tolerances import FORWARD, assert_close

POLICIES = ["mixed_float16", "mixed_bfloat16"]


@pytest.fixture
def keras():
    import keras

    yield keras
    keras.config.set_dtype_policy("float32")
    tkl.config.set_dtype_policy("float32")


def _rand(*shape):
    return np.random.default_rng(sum(shape)).standard_normal(shape).astype(np.float32)


def _policy_sample(spec):
    """The spec's first hand-picked sample that Keras computes in float32 (one per spec keeps CI cheap)."""
    return next((s for s in spec.samples if isinstance(s.reference, str) and "float32" in s.dtypes), None)


POLICY_PARAMS = [pytest.param(spec, _policy_sample(spec), policy, id=f"{policy}-{spec.name}",
                              marks=spec.marks("policy", policy))
                 for spec in all_specs() if _policy_sample(spec) is not None for policy in POLICIES]


def _keras_under(policy, spec, sample, module, args, kwargs):
    """Keras' layer from our config under `policy`, with our weights: `build_keras`, except that the policy
    is given explicitly (Keras' own SpatialDropout config keeps only the variable dtype)."""
    config = {**reference_config(spec, module, sample.reference), "dtype": policy}
    layer = spec.keras_from_config(config, sample.reference)
    if spec.keras_build is not None:
        spec.keras_build(layer, args, kwargs)
    else:
        layer(*to_tf(args), **to_tf(_without(kwargs, "training")))
    if sample.keras_setup is not None:
        sample.keras_setup(layer)
    layer.set_weights(module.get_weights())
    assert layer.dtype_policy.name == module.dtype_policy.name == policy
    return layer


def _dtype_of(tensor) -> str:
    from keras.src.backend import standardize_dtype

    return dtype_name(tensor.dtype) if isinstance(tensor, torch.Tensor) else standardize_dtype(tensor.dtype)


@pytest.mark.parametrize("spec,sample,policy", POLICY_PARAMS)
def test_every_layer_under_mixed_policy_matches_keras(keras, spec, sample, policy):
    """Each registry layer built with `dtype=<policy>`, Keras' from our config with our weights: the same
    output dtypes (Keras' compute dtype, or what Keras passes through), float32 variables, and Keras'
    values within the compute dtype's tolerance. Inference mode: training noise is not comparable."""
    args, kwargs = make_call(sample, np.random.default_rng(0), "float32")
    kwargs = {k: v for k, v in kwargs.items() if k != "training"}
    module = build_module(spec, sample, policy, args, kwargs)
    layer = _keras_under(policy, spec, sample, module, args, kwargs)
    with torch.no_grad():
        ours = flat_tensors(module(*to_torch(args), **to_torch(kwargs)))
    theirs_kwargs = to_tf(kwargs)
    if layer._call_has_training_arg:  # augmentation layers' call defaults to training=True in Keras
        theirs_kwargs["training"] = False
    theirs_args = to_tf(args)
    _attach_implicit_masks(layer, theirs_args, theirs_kwargs)
    theirs = flat_tensors(layer(*theirs_args, **theirs_kwargs))
    where = f"{spec.name}[{sample.label()}] {policy}"
    assert [_dtype_of(t) for t in ours] == [_dtype_of(t) for t in theirs], (
        f"{where}: output dtypes {[_dtype_of(t) for t in ours]}, Keras {[_dtype_of(t) for t in theirs]}")
    assert [w.dtype for w in module.weights] == [getattr(torch, _dtype_of(w)) for w in layer.weights], (
        f"{where}: variable dtypes")
    assert all(w.dtype == torch.float32 for w in module.weights if w.is_floating_point()), f"{where}: variables"
    for i, (a, b) in enumerate(zip(ours, theirs)):
        if not a.is_floating_point():
            np.testing.assert_array_equal(a.numpy(), np.asarray(b), err_msg=f"{where} output #{i}")
            continue
        assert_close(a.float().numpy(), _to_numpy(keras, b), FORWARD[dtype_name(a.dtype)], f"{where} output #{i}")


def _to_numpy(keras, value) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(keras.ops.cast(value, "float32")))


@pytest.mark.parametrize("policy", POLICIES)
def test_global_policy_applies_to_new_layers_like_keras(keras, policy):
    keras.config.set_dtype_policy(policy)
    tkl.config.set_dtype_policy(policy)
    theirs, ours = keras.layers.Dense(3), tkl.Dense(3)
    assert ours.dtype_policy.serialize() == keras.saving.serialize_keras_object(theirs.dtype_policy)
    assert tkl.config.dtype_policy().name == keras.config.dtype_policy().name
    x = _rand(2, 4)
    expected = theirs(x)
    ours.build((None, 4))
    ours.set_weights(theirs.get_weights())
    got = ours(torch.from_numpy(x))
    compute = policy.removeprefix("mixed_")
    assert dtype_name(got.dtype) == keras.backend.standardize_dtype(expected.dtype) == compute
    assert_close(got.detach().float().numpy(), _to_numpy(keras, expected), FORWARD[compute], "global policy")


@pytest.mark.parametrize("policy", POLICIES)
def test_from_keras_carries_the_policy_of_a_model_built_under_it(keras, policy):
    keras.config.set_dtype_policy(policy)
    model = keras.Sequential([
        keras.Input((6, 6, 2)),
        keras.layers.Conv2D(4, 3, activation="relu"),
        keras.layers.BatchNormalization(),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(3),
    ])
    keras.config.set_dtype_policy("float32")  # the converted model must not depend on the global policy
    x = _rand(2, 6, 6, 2)
    expected = model(x, training=False)
    ours = tkl.from_keras(model)
    ours.eval()
    got = ours(torch.from_numpy(x))
    compute = policy.removeprefix("mixed_")
    assert [layer.dtype_policy.name for layer in ours.layers] == [layer.dtype_policy.name for layer in model.layers]
    assert dtype_name(got.dtype) == keras.backend.standardize_dtype(expected.dtype) == compute
    assert_close(got.detach().float().numpy(), _to_numpy(keras, expected), FORWARD[compute], "from_keras")


@pytest.mark.parametrize("policy", POLICIES)
def test_global_policy_model_matches_keras(keras, policy):
    """Both global policies set, the same small model built in each framework (layers without `dtype`),
    ours from Keras' weights through from_keras: each layer's policy, the output dtype and values agree."""
    keras.config.set_dtype_policy(policy)
    tkl.config.set_dtype_policy(policy)

    def build(m):
        return m.Sequential([m.Input((5, 5, 3)), m.layers.Conv2D(4, 3, activation="relu"),
                             m.layers.LayerNormalization(), m.layers.GlobalAveragePooling2D(), m.layers.Dense(2)])

    model = build(keras)
    ours = build(tkl)
    converted = tkl.from_keras(model)
    ours.set_weights(model.get_weights())
    x = _rand(2, 5, 5, 3)
    expected = model(x)
    compute = policy.removeprefix("mixed_")
    for candidate in (ours, converted):
        candidate.eval()
        assert [layer.dtype_policy.name for layer in candidate.layers] == [layer.dtype_policy.name
                                                                          for layer in model.layers]
        assert all(w.dtype == torch.float32 for w in candidate.weights)
        with torch.no_grad():
            got = candidate(torch.from_numpy(x))
        assert dtype_name(got.dtype) == keras.backend.standardize_dtype(expected.dtype) == compute
        assert_close(got.float().numpy(), _to_numpy(keras, expected), FORWARD[compute], "global policy model")


@pytest.mark.parametrize("kwargs", [dict(trainable=False), dict(lora_rank=2), dict()], ids=str)
def test_only_trainable_weights_are_regularized(keras, kwargs):
    theirs = keras.layers.Dense(5, kernel_regularizer="l2", bias_regularizer="l1", **kwargs)
    theirs.build((None, 3))
    ours = tkl.Dense(5, kernel_regularizer="l2", bias_regularizer="l1", **kwargs)
    ours.build((None, 3))
    ours.set_weights(theirs.get_weights())
    expected = [float(keras.ops.convert_to_numpy(loss)) for loss in theirs.losses]
    got = [float(loss) for loss in ours.losses]
    assert len(got) == len(expected)
    assert_close(sorted(got), sorted(expected), FORWARD["float32"], "regularization losses")


def test_merge_compute_mask_rejects_a_non_list_like_keras(keras):
    x, mask = _rand(2, 3), np.ones((2,), dtype=bool)
    with pytest.raises(ValueError):
        keras.layers.Add().compute_mask(x, [mask, mask])
    with pytest.raises(ValueError, match=r"Add: argument `inputs` must be a list"):
        tkl.Add().compute_mask(torch.from_numpy(x), [torch.from_numpy(mask)] * 2)


@pytest.mark.parametrize("kwargs", [dict(input_shape=(2, 3), batch_size=4), dict(shape=(np.int64(32),)),
                                    dict(batch_input_shape=(None, np.int32(5)))], ids=str)
def test_input_layer_shape_forms_like_keras(keras, kwargs):
    with warnings.catch_warnings(record=True) as theirs_warned:
        warnings.simplefilter("always")
        theirs = keras.layers.InputLayer(**kwargs)
    with warnings.catch_warnings(record=True) as ours_warned:
        warnings.simplefilter("always")
        ours = tkl.InputLayer(**kwargs)
    assert ours.batch_shape == tuple(theirs.batch_shape)
    assert all(isinstance(d, (int, type(None))) and not isinstance(d, np.integer) for d in ours.batch_shape)
    deprecated = [str(w.message) for w in theirs_warned if "deprecated" in str(w.message)]
    assert bool(deprecated) == any("deprecated" in str(w.message) for w in ours_warned)


def test_dense_activation_set_to_none_after_construction(keras):
    x = _rand(2, 3) - 0.5
    theirs = keras.layers.Dense(4, activation="relu")
    theirs.build((None, 3))
    theirs.activation = None
    ours = tkl.Dense(4, activation="relu")
    ours.build((None, 3))
    ours.set_weights(theirs.get_weights())
    ours.activation = None
    expected = keras.ops.convert_to_numpy(theirs(x))
    assert (expected < 0).any()  # the activation is really gone
    assert_close(ours(torch.from_numpy(x)).detach().numpy(), expected, FORWARD["float32"], "Dense(activation=None)")


def test_lambda_tensor_mask_config_is_keras_tensor_form(keras):
    mask = np.array([[True, False, True]])
    theirs = keras.layers.Lambda(lambda x: x, mask=keras.ops.convert_to_tensor(mask))
    ours = tkl.Lambda(lambda x: x, mask=torch.from_numpy(mask))
    expected = keras.saving.serialize_keras_object(theirs)["config"]["mask"]
    got = ours.get_config()["mask"]
    assert json.loads(json.dumps(got)) == json.loads(json.dumps(expected))
    restored = tkl.Lambda.from_config(ours.get_config(), safe_mode=False)
    assert torch.equal(restored.mask, torch.from_numpy(mask))


def test_multi_head_attention_projection_lora_like_keras(keras):
    q, v = _rand(2, 4, 5), _rand(2, 3, 5)
    theirs = keras.layers.MultiHeadAttention(num_heads=2, key_dim=3)
    theirs(q, v)
    ours = tkl.MultiHeadAttention(num_heads=2, key_dim=3)
    ours(torch.from_numpy(q), torch.from_numpy(v))
    theirs._query_dense.enable_lora(2)
    theirs._output_dense.enable_lora(3)
    ours.query.enable_lora(2)
    ours.attention_output.enable_lora(3)
    # lora_kernel_b is zero-initialised: give it values so that the LoRA path is really compared.
    for projection in (theirs._query_dense, theirs._output_dense):
        projection.lora_kernel_b.assign(_rand(*projection.lora_kernel_b.shape))
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    ours.set_weights(theirs.get_weights())
    assert len(ours.trainable_weights) == len(theirs.trainable_weights)
    expected = keras.ops.convert_to_numpy(theirs(q, v))
    got = ours(torch.from_numpy(q), torch.from_numpy(v)).detach().numpy()
    assert_close(got, expected, FORWARD["float32"], "MultiHeadAttention with LoRA projections")


def test_summary_counts_frozen_layers_as_non_trainable(keras, capsys):
    def build(m, layers):
        model = m.Sequential([m.Input((4,)), layers.Dense(3, name="a"), layers.Dense(2, name="b")])
        model.layers[0].trainable = False
        return model

    theirs, ours = build(keras, keras.layers), build(tkl, tkl)

    def counts(text):
        found = re.findall(r"(Total|Trainable|Non-trainable) params: ([\d,]+)", text)
        return {k: int(v.replace(",", "")) for k, v in found}

    theirs.summary(print_fn=lambda line, *a, **k: print(line))
    expected = counts(capsys.readouterr().out)
    ours.summary()
    assert counts(capsys.readouterr().out) == expected
    assert expected["Non-trainable"] == 15
