"""Random image augmentation layers (Keras 3): RandomFlip, RandomRotation, RandomZoom, RandomTranslation,
RandomContrast, RandomCrop.

Their random streams cannot equal TensorFlow's, so the specs compare inference (`training=False`), where
Keras' outputs are deterministic: the images pass through, cast to the compute dtype except by
RandomContrast (integer images stay integer) and RandomCrop (any dtype stays). The training transforms
are compared with Keras' own `transform_images` for the transformation Keras drew, and checked
statistically, in `equivalence_tests/test_augmentation.py`.
"""

from __future__ import annotations

import numpy as np

from ..registry import BadInput, LayerSpec, Sample

LAYOUTS = ("channels_last", "channels_first")
FILL_MODES = ("reflect", "wrap", "constant", "nearest")


def _integers(shape, low=0, high=256, dtype="int32"):
    def make(rng):
        return [rng.integers(low, high, size=shape).astype(dtype)], {}

    return make


def _image_shape(rng, data_format):
    height, width, channels = (int(d) for d in rng.integers(1, 8, size=3))
    shape = (channels, height, width) if data_format == "channels_first" else (height, width, channels)
    return ((int(rng.integers(1, 4)),) + shape) if rng.random() < 0.8 else shape


def _inference_samples(config, extra=(), integers=True):
    """The inference samples every augmentation layer shares: batched, unbatched, channels_first, integers."""
    samples = [
        Sample(dict(config), (2, 5, 6, 3), training=False, id="batched"),
        Sample(dict(config), (4, 5, 2), training=False, id="unbatched"),
        Sample({**config, "data_format": "channels_first"}, (2, 3, 4, 5), training=False, id="channels-first"),
        Sample(dict(config), None, make_inputs=_integers((2, 4, 4, 3)), training=False, grad=False,
               id="integer-image"),
        *extra,
    ]
    return samples if integers else [s for s in samples if s.id != "integer-image"]


def _sampler(make_config):
    def sample(rng):
        data_format = str(rng.choice(LAYOUTS))
        return Sample({**make_config(rng), "data_format": data_format}, _image_shape(rng, data_format),
                      training=False)

    return sample


def _factor(rng, low=-1.0, high=1.0):
    if rng.random() < 0.5:
        return float(np.round(rng.uniform(0, high), 3))
    return sorted(float(v) for v in np.round(rng.uniform(low, high, 2), 3))


def _affine_config(rng):
    return {"fill_mode": str(rng.choice(FILL_MODES)), "interpolation": str(rng.choice(["nearest", "bilinear"])),
            "fill_value": float(np.round(rng.uniform(-1, 1), 2)), "seed": int(rng.integers(0, 100))}


def _rank_5(config):
    return BadInput(config, None, (2, 3, 4, 5, 6), match=r"expected images of rank 3 .* or 4", id="rank-5")


RANDOM_FLIP = LayerSpec(
    name="RandomFlip",
    samples=_inference_samples({"mode": "horizontal"}, [
        Sample({"mode": "vertical", "seed": 3}, (2, 3, 4, 1), training=False, id="vertical-seeded"),
        Sample({}, (1, 4, 4, 2), training=False, id="default-mode"),
    ]),
    sampler=_sampler(lambda rng: {"mode": str(rng.choice(["horizontal", "vertical", "horizontal_and_vertical"])),
                                  "seed": int(rng.integers(0, 100))}),
    bad_inputs=[_rank_5({})],
)

RANDOM_ROTATION = LayerSpec(
    name="RandomRotation",
    samples=_inference_samples({"factor": 0.2}, [
        Sample({"factor": (-0.3, 0.1), "fill_mode": "constant", "fill_value": 0.5, "interpolation": "nearest"},
               (2, 4, 4, 2), training=False, id="pair-constant-nearest"),
    ]),
    sampler=_sampler(lambda rng: {"factor": _factor(rng), **_affine_config(rng)}),
    bad_configs=[({"factor": 1.5}, "factor above 1"), ({"factor": (0.1, 0.2, 0.3)}, "factor of three numbers"),
                 ({"factor": "big"}, "factor not a number"),
                 ({"factor": 0.1, "fill_mode": "mirror"}, "unknown fill_mode"),
                 ({"factor": 0.1, "interpolation": "bicubic"}, "unsupported interpolation")],
    bad_inputs=[_rank_5({"factor": 0.1})],
)

RANDOM_ZOOM = LayerSpec(
    name="RandomZoom",
    samples=_inference_samples({"height_factor": 0.2}, [
        Sample({"height_factor": (-0.3, 0.2), "width_factor": 0.4, "fill_mode": "wrap"}, (2, 5, 5, 1),
               training=False, id="both-factors"),
    ]),
    sampler=_sampler(lambda rng: {"height_factor": _factor(rng, -0.9, 0.9),
                                  "width_factor": None if rng.random() < 0.5 else _factor(rng, -0.9, 0.9),
                                  **_affine_config(rng)}),
    bad_configs=[({"height_factor": -1.0}, "zoom factor -1 (a zoom of 0)"), ({"height_factor": 1.2}, "above 1"),
                 ({"height_factor": 0.2, "width_factor": (0.1, 2.0)}, "width factor above 1"),
                 ({"height_factor": 0.2, "fill_mode": "mirror"}, "unknown fill_mode")],
    bad_inputs=[_rank_5({"height_factor": 0.1})],
)

RANDOM_TRANSLATION = LayerSpec(
    name="RandomTranslation",
    samples=_inference_samples({"height_factor": 0.2, "width_factor": 0.1}, [
        Sample({"height_factor": (-0.2, 0.0), "width_factor": (0.1, 0.3), "fill_mode": "nearest"}, (1, 6, 4, 2),
               training=False, id="pairs-nearest"),
    ]),
    sampler=_sampler(lambda rng: {"height_factor": _factor(rng), "width_factor": _factor(rng), **_affine_config(rng)}),
    bad_configs=[({"height_factor": 1.5, "width_factor": 0.1}, "above 1"),
                 ({"height_factor": 0.1, "width_factor": (-2.0, 0.1)}, "below -1"),
                 ({"height_factor": 0.1, "width_factor": 0.1, "interpolation": "area"}, "unsupported interpolation")],
    bad_inputs=[_rank_5({"height_factor": 0.1, "width_factor": 0.1})],
)

# No integer sample: the harness builds Keras' layer with a call in its default training mode, where Keras'
# RandomContrast fails on integers (test_augmentation.py checks that integers pass through in inference).
RANDOM_CONTRAST = LayerSpec(
    name="RandomContrast",
    samples=_inference_samples({"factor": 0.3}, [
        Sample({"factor": (0.2, 0.5), "value_range": (0, 1)}, (2, 3, 3, 2), training=False, id="pair"),
    ], integers=False),
    sampler=_sampler(lambda rng: {"factor": _factor(rng, 0.0, 1.0), "seed": int(rng.integers(0, 100))}),
    bad_configs=[({"factor": 1.5}, "above 1"), ({"factor": -0.2}, "below 0"), ({"factor": (2.0, 3.0)}, "pair above 1")],
    bad_inputs=[_rank_5({"factor": 0.1})],
)

# Keras' config carries a random seed when none is given: the samples give one, so the configs compare.
RANDOM_CROP = LayerSpec(
    name="RandomCrop",
    samples=_inference_samples({"height": 3, "width": 4, "seed": 7}, [
        Sample({"height": 8, "width": 9, "seed": 1}, (2, 4, 5, 1), training=False, id="smaller-input"),
        Sample({"height": 2, "width": 2, "seed": 1}, None, make_inputs=_integers((2, 4, 4, 3), dtype="uint8"),
               training=False, grad=False, id="uint8-stays"),
    ]),
    sampler=_sampler(lambda rng: {"height": int(rng.integers(1, 9)), "width": int(rng.integers(1, 9)),
                                  "seed": int(rng.integers(0, 100))}),
    bad_inputs=[_rank_5({"height": 2, "width": 2, "seed": 0})],
)

SPECS = [RANDOM_FLIP, RANDOM_ROTATION, RANDOM_ZOOM, RANDOM_TRANSLATION, RANDOM_CONTRAST, RANDOM_CROP]
