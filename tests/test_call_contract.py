"""The base-layer call contract in pure PyTorch: every floating tensor argument of a call (positional,
keyword, inside lists) is cast to the compute dtype; weights stay in the variable dtype and are read in
the compute dtype; `autocast=False` and an active torch.autocast are respected; the global policy; one
build-device mechanism. Values against Keras are in equivalence_tests/test_dtype_policies.py."""

from __future__ import annotations

import pytest
import torch

import torchkeras_layers as tkl


@pytest.fixture
def global_policy():
    yield tkl.config.set_dtype_policy
    tkl.config.set_dtype_policy("float32")


@pytest.mark.parametrize("policy, compute", [("mixed_float16", torch.float16), ("mixed_bfloat16", torch.bfloat16)])
@pytest.mark.parametrize("make, inputs", [
    (lambda p: tkl.Dense(4, dtype=p), lambda: (torch.rand(2, 3),)),
    (lambda p: tkl.Conv1D(2, 3, dtype=p), lambda: (torch.rand(2, 5, 3),)),
    (lambda p: tkl.Conv3D(2, 2, dtype=p), lambda: (torch.rand(1, 3, 3, 3, 2),)),
    (lambda p: tkl.Dropout(0.5, dtype=p), lambda: (torch.rand(2, 3),)),
    (lambda p: tkl.Activation("relu", dtype=p), lambda: (torch.rand(2, 3),)),
    (lambda p: tkl.Permute((2, 1), dtype=p), lambda: (torch.rand(2, 3, 4),)),
    (lambda p: tkl.RepeatVector(2, dtype=p), lambda: (torch.rand(2, 3),)),
    (lambda p: tkl.Reshape((3, 2), dtype=p), lambda: (torch.rand(2, 6),)),
    (lambda p: tkl.Lambda(lambda x: x * 2, dtype=p), lambda: (torch.rand(2, 3),)),
    (lambda p: tkl.Concatenate(dtype=p), lambda: ([torch.rand(2, 3), torch.rand(2, 3, dtype=torch.float64)],)),
    (lambda p: tkl.GlobalAveragePooling1D(dtype=p), lambda: (torch.rand(2, 4, 3),)),
], ids=["Dense", "Conv1D", "Conv3D", "Dropout", "Activation", "Permute", "RepeatVector", "Reshape", "Lambda",
        "Concatenate", "GlobalAveragePooling1D"])
def test_output_in_compute_dtype_and_weights_in_float32(make, inputs, policy, compute):
    layer = make(policy)
    out = layer(*inputs())
    assert out.dtype == compute
    assert all(w.dtype == torch.float32 for w in layer.weights)


def test_keyword_and_list_arguments_are_cast():
    attention = tkl.MultiHeadAttention(num_heads=2, key_dim=3, dtype="mixed_float16")
    out = attention(query=torch.rand(2, 4, 5), value=torch.rand(2, 3, 5, dtype=torch.float64))  # builds from keywords
    assert out.dtype == torch.float16
    assert attention.built and all(w.dtype == torch.float32 for w in attention.weights)
    add = tkl.Add(dtype="mixed_bfloat16")
    assert add([torch.rand(2, 3), torch.rand(2, 3, dtype=torch.float64)]).dtype == torch.bfloat16


def test_integer_arguments_are_not_cast():
    layer = tkl.Reshape((3, 2), dtype="mixed_float16")
    assert layer(torch.arange(12).reshape(2, 6)).dtype == torch.int64


def test_autocast_false_leaves_inputs_and_weights_alone():
    dense = tkl.Dense(4, dtype="mixed_float16", autocast=False)
    assert dense(torch.rand(2, 3)).dtype == torch.float32
    assert tkl.Flatten(dtype="mixed_float16", autocast=False)(torch.rand(2, 3, 4)).dtype == torch.float32
    dense.autocast = True  # the setting is read live, not frozen at the first call
    assert dense(torch.rand(2, 3)).dtype == torch.float16


def test_policy_set_after_build_takes_effect():
    dense = tkl.Dense(4)
    assert dense(torch.rand(2, 3)).dtype == torch.float32
    dense.dtype_policy = "mixed_bfloat16"
    assert dense(torch.rand(2, 3)).dtype == torch.bfloat16


def test_torch_autocast_owns_the_compute_dtype():
    dense = tkl.Dense(4, dtype="mixed_float16")
    dense(torch.rand(2, 3))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert dense(torch.rand(2, 3)).dtype == torch.bfloat16


def test_plain_policy_follows_double_and_weightless_layers_pass_float64_through():
    dense = tkl.Dense(4)
    dense(torch.rand(2, 3))
    dense.double()
    assert dense(torch.rand(2, 3)).dtype == torch.float64
    assert tkl.Flatten()(torch.rand(2, 3, 4, dtype=torch.float64)).dtype == torch.float64
    assert tkl.Flatten(dtype="float64")(torch.rand(2, 3, 4)).dtype == torch.float64


def test_mixed_precision_gradients_reach_float32_weights():
    dense = tkl.Dense(4, dtype="mixed_float16")
    dense(torch.rand(2, 3)).float().sum().backward()
    assert dense.kernel.grad is not None and dense.kernel.grad.dtype == torch.float32
    assert dense.bias.grad.dtype == torch.float32


def test_mixed_lora_reads_every_variable_in_the_compute_dtype():
    dense = tkl.Dense(3, lora_rank=2, dtype="mixed_float16")
    x = torch.rand(2, 4)
    dense(x)
    with torch.no_grad():
        dense.lora_kernel_b.normal_()
    half = lambda t: t.to(torch.float16)  # noqa: E731
    scale = dense.lora_alpha / dense.lora_rank
    kernel = half(dense.kernel) + scale * (half(dense.lora_kernel_a) @ half(dense.lora_kernel_b))
    expected = half(x) @ kernel + half(dense.bias)
    assert torch.equal(dense(x), expected)


def test_state_dict_round_trip_under_mixed_policy():
    dense = tkl.Dense(4, dtype="mixed_float16")
    x = torch.rand(2, 3)
    dense(x)
    state = dense.state_dict()
    assert all(v.dtype == torch.float32 for v in state.values())
    fresh = tkl.Dense(4, dtype="mixed_float16")
    fresh.build((None, 3))
    fresh.load_state_dict(state)
    assert torch.equal(fresh(x), dense(x))


def test_compiled_fullgraph_matches_eager_under_mixed_policy():
    dense = tkl.Dense(4, activation="relu", dtype="mixed_bfloat16")
    x = torch.rand(2, 3)
    eager = dense(x)
    compiled = torch.compile(dense, fullgraph=True, backend="eager")(x)
    assert compiled.dtype == torch.bfloat16
    assert torch.equal(compiled, eager)


def test_global_policy(global_policy):
    assert tkl.config.dtype_policy().name == "float32"
    global_policy("mixed_bfloat16")
    assert tkl.config.dtype_policy().name == "mixed_bfloat16"
    assert tkl.Dense(2).dtype_policy.name == "mixed_bfloat16"
    assert tkl.Dense(2, dtype="float32").dtype_policy.name == "float32"
    assert tkl.Flatten()(torch.rand(2, 3, 1)).dtype == torch.bfloat16
    # Keras' Input dtype is floatx, not the policy.
    assert tkl.Input((3,)).get_config()["dtype"] == "float32"
    with pytest.raises(ValueError, match="set_dtype_policy"):
        global_policy(3.5)
    with pytest.raises(ValueError, match="set_dtype_policy"):
        global_policy("no_such_policy")


def test_model_created_under_global_policy_runs(global_policy):
    global_policy("mixed_float16")
    model = tkl.Sequential([tkl.Input((6, 6, 2)), tkl.Conv2D(3, 3), tkl.BatchNormalization(), tkl.Flatten(),
                            tkl.Dense(2)])
    out = model(torch.rand(2, 6, 6, 2))
    assert out.dtype == torch.float16 and torch.isfinite(out).all()


def test_build_device_follows_the_first_input():
    x = torch.empty(2, 4, device="meta")
    seeded = tkl.Dense(3, kernel_initializer=tkl.initializers.GlorotUniform(seed=1))
    assert seeded(x).device.type == "meta"
    assert seeded.kernel.device.type == "meta"
    attention = tkl.MultiHeadAttention(num_heads=2, key_dim=3)
    attention(torch.empty(2, 4, 5, device="meta"), torch.empty(2, 3, 5, device="meta"))
    assert {w.device.type for w in attention.weights} == {"meta"}
    model = tkl.Sequential([tkl.Dense(3), tkl.Dense(2, lora_rank=1)])
    model(torch.empty(2, 4, device="meta"))
    assert {w.device.type for w in model.weights} == {"meta"}
    assert torch.get_default_device().type == "cpu"  # nothing leaks out of a build


def test_frozen_weights_are_not_regularized():
    dense = tkl.Dense(5, kernel_regularizer="l2", bias_regularizer="l2", trainable=False)
    dense.build((None, 3))
    assert dense.losses == []
    dense.trainable = True
    assert len(dense.losses) == 2
    lora = tkl.Dense(5, kernel_regularizer="l2", lora_rank=2)
    lora.build((None, 3))
    assert len(lora.losses) == 2  # lora_kernel_a and lora_kernel_b; the frozen base kernel is not


def test_summary_follows_live_trainable_flags(capsys):
    model = tkl.Sequential([tkl.Input((4,)), tkl.Dense(3), tkl.Dense(2)])
    model.layers[0].trainable = False
    model.summary()
    text = capsys.readouterr().out
    assert "Trainable params: 8 " in text and "Non-trainable params: 15 " in text


def test_merge_compute_mask_needs_a_list():
    with pytest.raises(ValueError, match=r"Add: argument `inputs` must be a list of tensors"):
        tkl.Add().compute_mask(torch.rand(2, 3), [None, None])


def test_dense_activation_none_after_construction():
    dense = tkl.Dense(3, activation="relu")
    dense.activation = None
    assert dense(torch.rand(2, 3)).shape == (2, 3)


def test_input_layer_casts_to_its_dtype_not_the_global_policy(global_policy):
    global_policy("mixed_float16")
    x = torch.rand(2, 3, dtype=torch.float64) / 3
    assert torch.equal(tkl.Input((3,))(x), x.float())  # no float16 rounding on the way


def test_compiled_fullgraph_list_and_several_arguments():
    add = tkl.Add(dtype="mixed_bfloat16")  # built lazily inside the compiled call
    xs = [torch.rand(2, 3), torch.rand(2, 3)]
    assert torch.equal(torch.compile(add, fullgraph=True, backend="eager")(xs), add(xs))
    attention = tkl.MultiHeadAttention(num_heads=2, key_dim=3, dtype="mixed_float16")
    q, v = torch.rand(2, 4, 5), torch.rand(2, 3, 5)
    eager = attention(q, v)
    compiled = torch.compile(attention, fullgraph=True, backend="eager")(q, v)
    assert compiled.dtype == torch.float16 and torch.equal(compiled, eager)


def test_compiling_many_layer_classes_in_one_process_stays_under_the_recompile_limit():
    """torch.compile caches per code object, at most `recompile_limit` (8) variants, guarding on the
    module's class: the base pre-forward hook and inherited forwards (BasePooling's) must not be shared
    code across classes. Compiled within one test, so the conftest's dynamo reset does not help."""
    layers = [
        (tkl.Dense(4), (2, 3)), (tkl.ReLU(), (2, 3)), (tkl.ELU(), (2, 3)), (tkl.LeakyReLU(), (2, 3)),
        (tkl.Softmax(), (2, 3)), (tkl.Flatten(), (2, 3, 2)), (tkl.Conv1D(2, 2), (2, 5, 3)),
        (tkl.Conv2D(2, 2), (2, 5, 5, 3)), (tkl.LayerNormalization(), (2, 3)), (tkl.Activation("tanh"), (2, 3)),
        (tkl.Permute((2, 1)), (2, 3, 4)), (tkl.RepeatVector(2), (2, 3)), (tkl.MaxPooling1D(2), (2, 4, 3)),
        (tkl.MaxPooling2D(2), (2, 4, 4, 3)), (tkl.MaxPooling3D(2), (2, 4, 4, 4, 3)),
        (tkl.AveragePooling1D(2), (2, 4, 3)), (tkl.AveragePooling2D(2), (2, 4, 4, 3)),
        (tkl.AveragePooling3D(2), (2, 4, 4, 4, 3)), (tkl.LPPooling1D(2, 2), (2, 4, 3)),
        (tkl.LPPooling2D(2, 2), (2, 4, 4, 3)), (tkl.L2Pooling1D(2), (2, 4, 3)), (tkl.L2Pooling2D(2), (2, 4, 4, 3)),
    ]
    assert len({type(layer) for layer, _ in layers}) == len(layers) >= 12
    for layer, shape in layers:
        x = torch.randn(*shape)
        eager = layer(x)  # builds eagerly (weights are not created inside a compiled region)
        compiled = torch.compile(layer, fullgraph=True, backend="eager")(x)
        assert torch.equal(compiled, eager), type(layer).__name__
