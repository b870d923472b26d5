"""Training-mode behaviour of the random regularization layers, which the Keras comparison cannot
reach (TensorFlow's random streams cannot be reproduced in torch):

* statistics of the noise (keep fraction, mean, variance) within bounds derived from the sample size
  (6 standard errors: a false alarm has probability ~2e-9 per check, and the draws are seeded);
* the output for a fixed draw against the numpy formula of Keras' `call` (the draw is replayed from a
  generator seeded like the layer's own);
* the structure of the noise (SpatialDropout: one draw per sample and channel; AlphaDropout's
  noise_shape), seeding, inference = identity, and the rate-1 errors.
"""

import math

import numpy as np
import pytest
import torch

from torchkeras_layers import layers

SIGMAS = 6.0


def _within(value, expected, standard_error, what):
    assert abs(value - expected) <= SIGMAS * standard_error, (
        f"{what}: {value:.5f}, expected {expected:.5f} +- {SIGMAS} * {standard_error:.2e}")


def _replayed_generator(seed):
    generator = torch.Generator()
    generator.manual_seed(seed)
    return generator


# ---------------------------------------------------------------------------- SpatialDropout
SPATIAL = [
    (layers.SpatialDropout1D, {}, (64, 7, 32), (1,)),
    (layers.SpatialDropout2D, {}, (32, 5, 6, 16), (1, 2)),
    (layers.SpatialDropout2D, {"data_format": "channels_first"}, (32, 16, 5, 6), (2, 3)),
    (layers.SpatialDropout3D, {}, (16, 3, 4, 5, 16), (1, 2, 3)),
    (layers.SpatialDropout3D, {"data_format": "channels_first"}, (16, 16, 3, 4, 5), (2, 3, 4)),
]


@pytest.mark.parametrize("cls,extra,shape,spatial", SPATIAL, ids=lambda v: getattr(v, "__name__", str(v)))
@pytest.mark.parametrize("rate", [0.2, 0.5, 0.9])
def test_spatial_dropout_drops_whole_feature_maps(cls, extra, shape, spatial, rate):
    torch.manual_seed(0)
    x = torch.rand(shape) + 0.5  # no zeros: a zero output means "dropped"
    y = cls(rate, **extra)(x, training=True)
    kept = y != 0
    # One draw per (sample, channel): the keep pattern is constant over the spatial axes.
    per_map = kept.amax(dim=spatial)
    assert torch.equal(kept.amin(dim=spatial), per_map)
    torch.testing.assert_close(y[kept], x[kept] / (1 - rate), rtol=1e-6, atol=0)
    draws = per_map.numel()
    _within(1 - per_map.double().mean().item(), rate, math.sqrt(rate * (1 - rate) / draws), f"{cls.__name__} drop rate")


def test_spatial_dropout_fixed_draw_matches_numpy():
    rate, seed = 0.4, 11
    x = torch.randn(4, 3, 5, 6)
    y = layers.SpatialDropout2D(rate, seed=seed)(x, training=True)
    keep = torch.empty(4, 1, 1, 6).bernoulli_(1 - rate, generator=_replayed_generator(seed)).numpy()
    np.testing.assert_allclose(y.numpy(), x.numpy() * keep / (1 - rate), rtol=1e-6, atol=0)


# ---------------------------------------------------------------------------- GaussianNoise / GaussianDropout
@pytest.mark.parametrize("stddev", [0.1, 0.5, 1.0])
def test_gaussian_noise_statistics(stddev):
    torch.manual_seed(1)
    x = torch.randn(200, 500, dtype=torch.float64)
    noise = (layers.GaussianNoise(stddev, dtype="float64")(x, training=True) - x).numpy().ravel()
    n = noise.size
    _within(noise.mean(), 0.0, stddev / math.sqrt(n), "GaussianNoise mean")
    _within(noise.var(), stddev**2, stddev**2 * math.sqrt(2 / n), "GaussianNoise variance")


def test_gaussian_noise_fixed_draw_matches_numpy():
    x = torch.randn(3, 4, 5)
    y = layers.GaussianNoise(0.3, seed=5)(x, training=True)
    noise = torch.empty(3, 4, 5).normal_(0.0, 0.3, generator=_replayed_generator(5)).numpy()
    np.testing.assert_allclose(y.numpy(), x.numpy() + noise, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8])
def test_gaussian_dropout_statistics(rate):
    torch.manual_seed(2)
    x = torch.rand(200, 500, dtype=torch.float64) + 0.5
    factor = (layers.GaussianDropout(rate, dtype="float64")(x, training=True) / x).numpy().ravel()
    n, variance = factor.size, rate / (1 - rate)
    _within(factor.mean(), 1.0, math.sqrt(variance / n), "GaussianDropout mean factor")
    _within(factor.var(), variance, variance * math.sqrt(2 / n), "GaussianDropout factor variance")


def test_gaussian_dropout_fixed_draw_matches_numpy():
    rate = 0.3
    x = torch.randn(3, 4, 5)
    y = layers.GaussianDropout(rate, seed=8)(x, training=True)
    factor = torch.empty(3, 4, 5).normal_(1.0, math.sqrt(rate / (1 - rate)), generator=_replayed_generator(8)).numpy()
    np.testing.assert_allclose(y.numpy(), x.numpy() * factor, rtol=1e-6, atol=1e-7)


# ---------------------------------------------------------------------------- AlphaDropout
ALPHA_P = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946  # Keras' constants


def _alpha_affine(rate):
    a = ((1 - rate) * (1 + rate * ALPHA_P**2)) ** -0.5
    return a, -a * ALPHA_P * rate


@pytest.mark.parametrize("rate", [0.1, 0.3, 0.7])
def test_alpha_dropout_keeps_zero_mean_unit_variance(rate):
    torch.manual_seed(3)
    x = torch.randn(400, 500, dtype=torch.float64)
    y = layers.AlphaDropout(rate, dtype="float64")(x, training=True).numpy().ravel()
    n = y.size
    a, b = _alpha_affine(rate)
    dropped = np.isclose(y, a * ALPHA_P + b, rtol=0, atol=1e-12)
    _within(dropped.mean(), rate, math.sqrt(rate * (1 - rate) / n), "AlphaDropout drop rate")
    # Mean 0 and variance 1 for standard normal inputs (the point of alpha dropout); the variance's
    # standard error uses the fourth moment of the mixture, bounded here by that of the output.
    _within(y.mean(), 0.0, y.std() / math.sqrt(n), "AlphaDropout mean")
    _within(y.var(), 1.0, math.sqrt((np.mean((y - y.mean()) ** 4) - y.var() ** 2) / n), "AlphaDropout variance")


def test_alpha_dropout_fixed_draw_matches_numpy():
    rate, seed = 0.4, 21
    x = torch.randn(3, 4, 5)
    y = layers.AlphaDropout(rate, noise_shape=(None, 1, 5), seed=seed)(x, training=True)
    keep = torch.empty(3, 1, 5).bernoulli_(1 - rate, generator=_replayed_generator(seed)).numpy()
    a, b = _alpha_affine(rate)
    expected = a * (x.numpy() * keep + ALPHA_P * (1 - keep)) + b
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-6, atol=1e-6)
    assert len(np.unique(keep)) == 2  # the draw both kept and dropped something


# ---------------------------------------------------------------------------- shared behaviour
RANDOM_LAYERS = [
    lambda seed: layers.SpatialDropout1D(0.5, seed=seed),
    lambda seed: layers.GaussianNoise(0.5, seed=seed),
    lambda seed: layers.GaussianDropout(0.5, seed=seed),
    lambda seed: layers.AlphaDropout(0.5, seed=seed),
]


@pytest.mark.parametrize("make", RANDOM_LAYERS,
                         ids=["SpatialDropout1D", "GaussianNoise", "GaussianDropout", "AlphaDropout"])
def test_seeding_and_inference(make):
    x = torch.randn(8, 6, 10)
    first, twin, other = make(3), make(3), make(4)
    a = first(x, training=True)
    assert torch.equal(a, twin(x, training=True)), "same seed, same noise"
    assert not torch.equal(a, first(x, training=True)), "successive calls draw new noise"
    assert not torch.equal(a, other(x, training=True)), "another seed, other noise"
    first.eval()
    assert first(x) is x and first(x, training=False) is x, "inference is the identity"
    first.train()
    assert not torch.equal(first(x), x), "training=None follows .train()"


@pytest.mark.parametrize("cls", [layers.GaussianDropout, layers.AlphaDropout])
def test_rate_one_in_training_is_a_clear_error(cls):
    layer = cls(1.0)
    x = torch.randn(2, 3)
    assert layer(x, training=False) is x
    with pytest.raises(ValueError, match=f"{cls.__name__}.*rate"):
        layer(x, training=True)


def test_activity_regularization_loss_matches_keras():
    import keras

    x = np.random.default_rng(0).standard_normal((4, 3, 5)).astype(np.float32)
    ours = layers.ActivityRegularization(l1=0.1, l2=0.3)
    ours(torch.from_numpy(x))
    theirs = keras.layers.ActivityRegularization(l1=0.1, l2=0.3)
    theirs(x)
    assert len(ours.losses) == len(theirs.losses) == 1
    np.testing.assert_allclose(ours.losses[0].item(), float(theirs.losses[0]), rtol=1e-6)
