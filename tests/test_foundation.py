"""Pure-PyTorch checks of the shared layer mechanics (no TensorFlow imported here)."""

import subprocess
import sys

import numpy as np
import pytest
import torch

import torchkeras_layers as tkl


def test_import_does_not_import_tensorflow_or_keras():
    code = ("import sys, torchkeras_layers as tkl; from torchkeras_layers import layers; "
            "bad = [m for m in ('tensorflow', 'keras', 'tf_keras') if m in sys.modules]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_lazy_build_on_first_forward():
    layer = tkl.Dense(3)
    assert not layer.built and not list(layer.parameters())
    layer(torch.zeros(2, 5))
    assert layer.built and layer.kernel.shape == (5, 3)


def test_explicit_build_with_unknown_batch():
    layer = tkl.Dense(3)
    layer.build((None, 4))
    assert layer.get_weights()[0].shape == (4, 3)
    assert layer.compute_output_shape((None, 7, 4)) == (None, 7, 3)


def test_weights_before_build_is_a_clear_error():
    with pytest.raises(ValueError, match="Dense.*not built"):
        tkl.Dense(3).get_weights()


def test_set_weights_validates_count_and_shape():
    layer = tkl.Dense(3)
    layer.build((None, 4))
    with pytest.raises(ValueError, match="expected a list of 2"):
        layer.set_weights([np.zeros((4, 3))])
    with pytest.raises(ValueError, match="`kernel` expects shape"):
        layer.set_weights([np.zeros((3, 4)), np.zeros(3)])


def test_state_dict_uses_keras_names_and_round_trips():
    a, b = tkl.Dense(3), tkl.Dense(3)
    a(torch.zeros(1, 4))
    b.build((None, 4))
    assert set(a.state_dict()) == {"kernel", "bias"}
    b.load_state_dict(a.state_dict())
    for x, y in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(x, y)


def test_double_and_autocast_of_inputs():
    layer = tkl.Dense(3)
    layer(torch.zeros(1, 4))
    assert layer(torch.zeros(1, 4, dtype=torch.float64)).dtype == torch.float32  # Keras autocast
    layer.double()
    assert layer(torch.zeros(1, 4)).dtype == torch.float64
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert tkl.Dense(2)(torch.randn(2, 4)).dtype == torch.bfloat16


def test_trainable_false_freezes_parameters():
    layer = tkl.Dense(3)
    layer.build((None, 4))
    layer.trainable = False
    assert not any(p.requires_grad for p in layer.parameters())
    assert layer.get_config()["trainable"] is False
    layer.trainable = True
    assert all(p.requires_grad for p in layer.parameters())


def test_training_none_follows_module_mode():
    layer = tkl.Dropout(0.5)
    x = torch.ones(1000)
    layer.eval()
    assert torch.equal(layer(x), x)
    layer.train()
    assert not torch.equal(layer(x), x)
    assert torch.equal(layer(x, training=False), x)


def test_dropout_keep_rate_and_scaling():
    torch.manual_seed(0)
    x = torch.ones(200_000)
    y = tkl.Dropout(0.3)(x, training=True)
    kept = (y != 0).double().mean().item()
    assert abs(kept - 0.7) < 5 * np.sqrt(0.7 * 0.3 / x.numel())
    assert torch.allclose(y[y != 0], torch.full_like(y[y != 0], 1 / 0.7))


def test_dropout_noise_shape_broadcasts_and_seed_reproduces():
    x = torch.ones(4, 50, 8)
    y = tkl.Dropout(0.5, noise_shape=(None, 1, 8), seed=3)(x, training=True)
    assert torch.equal(y, y[:, :1, :].expand_as(y))  # same features dropped at every timestep
    z = tkl.Dropout(0.5, noise_shape=(None, 1, 8), seed=3)(x, training=True)
    assert torch.equal(y, z)


def test_losses_weight_and_activity_regularization():
    layer = tkl.Dense(5, kernel_initializer="ones", kernel_regularizer=tkl.regularizers.L1(0.01),
                      activity_regularizer=tkl.regularizers.L2(0.01))
    layer(torch.ones(5, 5) * 2.0)
    # Keras' docstring example: kernel term 0.25, activity term 5.0 after dividing by the batch size.
    assert torch.isclose(sum(layer.losses), torch.tensor(5.25))
    assert torch.isclose(tkl.regularization_loss(torch.nn.Sequential(layer)), torch.tensor(5.25))


def test_constraints_after_optimizer_step():
    layer = tkl.Dense(3, kernel_constraint="non_neg")
    layer(torch.zeros(1, 4))
    optimizer = torch.optim.SGD(layer.parameters(), lr=10.0)
    tkl.constrain(optimizer, layer)
    layer(torch.randn(8, 4)).sum().backward()
    optimizer.step()
    assert (layer.kernel >= 0).all()


def test_lora_trains_only_the_factors():
    layer = tkl.Dense(4, lora_rank=2, lora_alpha=4)
    y0 = layer(torch.randn(3, 5))
    assert not layer.kernel.requires_grad and layer.lora_kernel_a.requires_grad
    assert [w.shape for w in layer.get_weights()] == [(5, 4), (4,), (5, 2), (2, 4)]
    assert y0.shape == (3, 4)


def test_compile_fullgraph_matches_eager():
    layer = tkl.Dense(4, activation="gelu")
    x = torch.randn(3, 5)
    eager = layer(x)
    compiled = torch.compile(layer, fullgraph=True, backend="eager")
    torch.testing.assert_close(compiled(x), eager)


def test_sequential_seed_example():
    model = tkl.Sequential([tkl.Input((32,)), tkl.Dense(32), tkl.RepeatVector(3)])
    assert model.output_shape == (None, 3, 32)


def test_merge_rank_broadcast_is_after_batch_axis():
    a, b = torch.randn(5, 3), torch.randn(5, 5, 3)
    torch.testing.assert_close(tkl.Add()([a, b]), a[:, None, :] + b)
    with pytest.raises(ValueError, match="Add"):
        tkl.Add()([torch.randn(1, 3), torch.randn(4, 3)])


def test_flatten_channels_first_gives_channels_last_order():
    x = torch.randn(2, 3, 4, 5)
    torch.testing.assert_close(tkl.Flatten(data_format="channels_first")(x), x.permute(0, 2, 3, 1).reshape(2, -1))


def test_output_shape_by_tracing_marks_unknown_dims():
    # Lambda without output_shape infers its shape like Keras (tracing), on meta tensors.
    assert tkl.Lambda(lambda x: x[:, :2] * 2).compute_output_shape((None, 5)) == (None, 2)
    assert tkl.Lambda(lambda x: x.reshape(x.shape[0], -1)).compute_output_shape((None, 3, 7)) == (None, 21)
    assert tkl.Lambda(lambda x: x.reshape(x.shape[0], -1)).compute_output_shape((None, None, 7)) == (None, None)
