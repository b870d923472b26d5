"""Training-mode behaviour of the random augmentation layers, which the spec comparison (inference) cannot
reach: TensorFlow's random streams cannot be reproduced in torch, so

* the transform for a fixed draw is compared with Keras itself: Keras' layer draws a transformation
  (`get_random_transformation`), Keras' `transform_images` applies it, and ours applies the same
  transformation (batched: `transform_images`; unbatched and integer images: `forward` with the draw
  replaced);
* the draws are checked statistically (flip fraction, angle/zoom/shift/contrast ranges and means, crop
  offsets) within bounds from the sample size (6 standard errors; the draws are seeded);
* seeding (equal seeds, equal outputs; successive calls differ) and the inference dtypes.
"""

import math

import numpy as np
import pytest
import torch

from torchkeras_layers import layers

from .tolerances import FORWARD, assert_close

SIGMAS = 6.0


def _within(value, expected, standard_error, what):
    assert abs(value - expected) <= SIGMAS * standard_error, (
        f"{what}: {value:.5f}, expected {expected:.5f} +- {SIGMAS} * {standard_error:.2e}")


def _images(shape, seed=0):
    return np.random.default_rng(seed).uniform(0, 255, shape).astype(np.float32)


def _to_torch(transformation):
    """Keras' transformation (a dict or tuple of TF tensors / ints) as torch tensors."""
    if isinstance(transformation, dict):
        return {k: _to_torch(v) for k, v in transformation.items()}
    if isinstance(transformation, (tuple, list)):
        return tuple(_to_torch(v) for v in transformation)
    if isinstance(transformation, int):
        return transformation
    return torch.from_numpy(np.asarray(transformation))


def _keras(name, config):
    import keras

    return getattr(keras.layers, name)(**config)


AFFINE = [
    ("RandomRotation", {"factor": 0.3}),
    ("RandomRotation", {"factor": (-0.5, 0.2), "fill_mode": "constant", "fill_value": 7.0}),
    ("RandomRotation", {"factor": 1.0, "fill_mode": "wrap"}),
    ("RandomRotation", {"factor": 0.2, "fill_mode": "nearest"}),
    ("RandomZoom", {"height_factor": 0.5}),
    ("RandomZoom", {"height_factor": (-0.6, -0.2), "width_factor": (0.3, 0.9), "fill_mode": "wrap"}),
    ("RandomZoom", {"height_factor": 0.4, "width_factor": 0.2, "fill_mode": "constant", "interpolation": "nearest"}),
    ("RandomTranslation", {"height_factor": 0.5, "width_factor": 0.5}),
    ("RandomTranslation", {"height_factor": (-1.0, 1.0), "width_factor": 0.3, "fill_mode": "nearest",
                           "interpolation": "nearest"}),
    ("RandomTranslation", {"height_factor": 0.7, "width_factor": (0.2, 0.9), "fill_mode": "constant",
                           "fill_value": -3.0}),
]
OTHERS = [
    ("RandomFlip", {"mode": "horizontal"}),
    ("RandomFlip", {"mode": "vertical"}),
    ("RandomFlip", {}),
    ("RandomContrast", {"factor": 0.5}),
    ("RandomContrast", {"factor": (0.2, 0.9), "value_range": (50, 200)}),
    ("RandomCrop", {"height": 3, "width": 4}),
    ("RandomCrop", {"height": 6, "width": 6}),  # not larger on both axes: centred slice, resized
    ("RandomCrop", {"height": 9, "width": 5}),
]
CASES = [(n, {**c, "seed": 11}, df) for n, c in AFFINE + OTHERS for df in ("channels_last", "channels_first")]


def _ids(value):
    return value if isinstance(value, str) else str(value)


@pytest.mark.parametrize("name,config,data_format", CASES, ids=_ids)
def test_fixed_draw_equals_keras_transform(name, config, data_format):
    config = {**config, "data_format": data_format}
    shape = (5, 6, 7, 3) if data_format == "channels_last" else (5, 3, 6, 7)
    x = _images(shape)
    theirs_layer = _keras(name, config)
    ours_layer = getattr(layers, name)(**config)
    for call in range(3):  # successive draws
        transformation = theirs_layer.get_random_transformation(x, training=True)
        theirs = np.asarray(theirs_layer.transform_images(x, transformation, training=True))
        ours = ours_layer.transform_images(torch.from_numpy(x), _to_torch(transformation)).numpy()
        assert ours.shape == theirs.shape
        assert_close(ours, theirs, FORWARD["float32"], f"{name} {config} draw {call}")


# Keras' RandomContrast fails on integer images in training (ours raises TypeError, tested below).
UNBATCHED = [(*case, integers) for case in CASES[::3] for integers in (False, True)
             if not (integers and case[0] == "RandomContrast")]


@pytest.mark.parametrize("name,config,data_format,integers", UNBATCHED, ids=_ids)
def test_fixed_draw_through_forward_unbatched(name, config, data_format, integers, monkeypatch):
    """forward on one image (rank 3), with Keras' draw: batching, the integer cast, the training switch."""
    config = {**config, "data_format": data_format}
    x = _images((6, 7, 3) if data_format == "channels_last" else (3, 6, 7))
    x = np.round(x).astype(np.int32) if integers else x
    theirs_layer = _keras(name, config)
    ours_layer = getattr(layers, name)(**config)
    transformation = theirs_layer.get_random_transformation(x, training=True)
    theirs = np.asarray(theirs_layer.transform_single_image(x, transformation, training=True))
    monkeypatch.setattr(ours_layer, "get_random_transformation", lambda images: _to_torch(transformation))
    ours = ours_layer(torch.from_numpy(x), training=True)
    assert ours.dtype == torch.float32
    assert_close(ours.numpy(), theirs, FORWARD["float32"], f"{name} {config} unbatched")


def test_random_contrast_rejects_integer_images_in_training():
    layer = layers.RandomContrast(0.2)
    with pytest.raises(TypeError, match="RandomContrast.*floating"):
        layer(torch.zeros(2, 3, 3, 1, dtype=torch.int32), training=True)


@pytest.mark.parametrize("name,config,dtype", [("RandomContrast", {"factor": 0.2}, "int32"),
                                               ("RandomContrast", {"factor": 0.2}, "uint8"),
                                               ("RandomCrop", {"height": 2, "width": 2, "seed": 1}, "int32"),
                                               ("RandomCrop", {"height": 2, "width": 2, "seed": 1}, "uint8"),
                                               ("RandomCrop", {"height": 2, "width": 2, "seed": 1}, "float64")])
def test_inference_keeps_the_dtype_as_keras(name, config, dtype):
    """Keras leaves these two layers' inference inputs alone: integers stay integers, and RandomCrop keeps
    float64 (float64 through the other layers under the default policy is the weightless layers' rule)."""
    x = np.round(_images((2, 4, 5, 3))).astype(dtype)
    theirs = _keras(name, config)(x, training=False)
    ours = getattr(layers, name)(**config)(torch.from_numpy(x), training=False)
    assert str(ours.dtype).removeprefix("torch.") == theirs.dtype.name
    np.testing.assert_array_equal(ours.numpy(), np.asarray(theirs))


# ---------------------------------------------------------------------------- statistics of the draws
N = 4000


def _draw(layer, shape=(N, 4, 5, 1)):
    return layer.get_random_transformation(torch.zeros(shape))


def test_flip_fraction_and_structure():
    layer = layers.RandomFlip("horizontal_and_vertical", seed=1)
    flips = _draw(layer)["flips"]
    assert flips.shape == (N, 1, 1, 1) and flips.dtype == torch.bool
    _within(flips.float().mean().item(), 0.5, math.sqrt(0.25 / N), "flip fraction")
    x = torch.arange(2 * 3 * 4, dtype=torch.float32).reshape(2, 3, 4, 1)
    both = layer.transform_images(x, {"flips": torch.tensor([True, False]).reshape(2, 1, 1, 1)})
    torch.testing.assert_close(both[0], x[0].flip(0).flip(1))  # one draw flips both axes
    torch.testing.assert_close(both[1], x[1])


@pytest.mark.parametrize("factor,low,high", [(0.2, -72.0, 72.0), ((-0.5, 0.1), -180.0, 36.0),
                                             ((0.3, 0.1), 36.0, 108.0)])
def test_rotation_angles_uniform_in_range(factor, low, high):
    angle = _draw(layers.RandomRotation(factor, seed=2))["angle"]
    assert angle.shape == (N,)
    assert low <= angle.min().item() and angle.max().item() <= high
    width = high - low
    _within(angle.mean().item(), (low + high) / 2, width / math.sqrt(12 * N), "angle mean")
    _within(angle.std().item(), width / math.sqrt(12), width / math.sqrt(12) / math.sqrt(N / 2) * 1.2, "angle std")


def test_rotation_by_a_quarter_turn_is_counter_clockwise():
    """factor (0.25, 0.25) draws exactly 90 degrees: counter-clockwise, numpy's rot90 (nearest, square image)."""
    x = torch.from_numpy(_images((1, 5, 5, 1)))
    layer = layers.RandomRotation((0.25, 0.25), interpolation="nearest")
    expected = np.rot90(x.numpy(), k=1, axes=(1, 2))
    np.testing.assert_array_equal(layer(x, training=True).numpy(), expected)


@pytest.mark.parametrize("height_factor,width_factor", [(0.3, None), ((-0.5, 0.2), (0.1, 0.6))])
def test_zoom_draws(height_factor, width_factor):
    t = _draw(layers.RandomZoom(height_factor, width_factor, seed=3))
    for key, factor in (("height_zoom", height_factor), ("width_zoom", width_factor or height_factor)):
        low, high = (1 - factor, 1 + factor) if isinstance(factor, float) else (1 + factor[0], 1 + factor[1])
        z = t[key]
        assert z.shape == (N, 1) and low <= z.min().item() and z.max().item() <= high
        _within(z.mean().item(), (low + high) / 2, (high - low) / math.sqrt(12 * N), f"{key} mean")
    if width_factor is None:
        assert torch.equal(t["height_zoom"], t["width_zoom"])  # the aspect ratio is kept
    else:
        assert not torch.equal(t["height_zoom"], t["width_zoom"])


def test_translation_draws_in_pixels():
    height, width = 4, 5
    t = _draw(layers.RandomTranslation((-0.5, 0.25), 0.4, seed=4), (N, height, width, 1))["translations"]
    assert t.shape == (N, 2)
    for column, (low, high) in ((0, (-0.4 * width, 0.4 * width)), (1, (-0.5 * height, 0.25 * height))):
        values = t[:, column]
        assert low <= values.min().item() and values.max().item() <= high
        _within(values.mean().item(), (low + high) / 2, (high - low) / math.sqrt(12 * N), f"shift {column} mean")


def test_translation_by_whole_pixels_shifts_the_content():
    """A shift of (1, 2) pixels (width, height) moves the content right and down, filling with the constant."""
    x = torch.from_numpy(_images((1, 5, 6, 1)))
    layer = layers.RandomTranslation(0.5, 0.5, fill_mode="constant", fill_value=-1.0)
    out = layer.transform_images(x, {"translations": torch.tensor([[1.0, 2.0]])})
    expected = np.full(x.shape, -1.0, np.float32)
    expected[:, 2:, 1:] = x.numpy()[:, :-2, :-1]
    np.testing.assert_array_equal(out.numpy(), expected)


@pytest.mark.parametrize("factor,low,high", [(0.4, 1.0, 1.4), ((0.2, 0.5), 0.8, 1.5)])
def test_contrast_factor_range(factor, low, high):
    """Keras bounds the lower factor at 0: a single f draws from [1, 1 + f], not [1 - f, 1 + f]."""
    c = _draw(layers.RandomContrast(factor, seed=5))["contrast_factor"]
    assert c.shape == (N, 1, 1, 1) and low <= c.min().item() and c.max().item() <= high
    _within(c.mean().item(), (low + high) / 2, (high - low) / math.sqrt(12 * N), "contrast factor mean")


def test_crop_offsets_cover_every_position_uniformly():
    layer = layers.RandomCrop(3, 2, seed=6)
    x = torch.zeros(1, 7, 5, 1)
    tops, lefts = zip(*(layer.get_random_transformation(x) for _ in range(N)))
    for offsets, count in ((torch.stack(tops), 7 - 3 + 1), (torch.stack(lefts), 5 - 2 + 1)):
        frequencies = torch.bincount(offsets, minlength=count).double() / N
        assert len(frequencies) == count
        for f in frequencies.tolist():
            _within(f, 1 / count, math.sqrt((1 / count) * (1 - 1 / count) / N), "crop offset frequency")


# ---------------------------------------------------------------------------- seeding
SEEDED = [("RandomFlip", {}), ("RandomRotation", {"factor": 0.3}), ("RandomZoom", {"height_factor": 0.3}),
          ("RandomTranslation", {"height_factor": 0.2, "width_factor": 0.2}), ("RandomContrast", {"factor": 0.5}),
          ("RandomCrop", {"height": 3, "width": 3})]


@pytest.mark.parametrize("name,config", SEEDED, ids=_ids)
def test_equal_seeds_equal_outputs_successive_calls_differ(name, config):
    x = torch.from_numpy(_images((8, 6, 7, 3)))
    a, b = (getattr(layers, name)(**config, seed=42) for _ in range(2))
    first, second = a(x, training=True), a(x, training=True)
    torch.testing.assert_close(first, b(x, training=True), rtol=0, atol=0)
    torch.testing.assert_close(second, b(x, training=True), rtol=0, atol=0)
    assert not torch.equal(first, second)
    c = getattr(layers, name)(**config, seed=43)
    assert not torch.equal(first, c(x, training=True))


# ---------------------------------------------------------------------------- the training path compiled
# The affine gather and the crop's tensor offsets (compiling takes ~1 min a layer on 2 cores: two layers).
@pytest.mark.parametrize("name,config", [SEEDED[1], SEEDED[5]], ids=_ids)
def test_training_path_compiles_fullgraph(name, config):
    """The generic compile checks run inference; the draw and the transform compile too (without graph
    breaks), and the compiled transform of a given draw equals the eager one."""
    torch._dynamo.reset()
    x = torch.from_numpy(_images((3, 6, 7, 2)))
    layer = getattr(layers, name)(**config)
    assert layer(x, training=True).shape == torch.compile(layer, fullgraph=True)(x, training=True).shape
    transformation = layer.get_random_transformation(x)
    compiled = torch.compile(layer.transform_images, fullgraph=True)
    assert_close(compiled(x, transformation).numpy(), layer.transform_images(x, transformation).numpy(),
                 FORWARD["float32"], f"{name} compiled transform")
