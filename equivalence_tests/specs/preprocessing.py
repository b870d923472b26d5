"""Preprocessing layers that live inside models: Rescaling, Normalization, CenterCrop, Resizing (Keras 3)."""

from __future__ import annotations

import numpy as np

from ..registry import BadInput, LayerSpec, Sample, ndim_error
from ._helpers import with_mask

# tf.image.resize computes bilinear resizes in float32 whatever the image dtype (it returns float32; Keras
# casts back), so against Keras a float64 bilinear resize is only float32-accurate: those samples run in float32.
# Rescaling and Normalization(mean=, variance=): Keras' TF backend turns the Python-float scale/offset and
# the given statistics into float32 tensors before casting them to float64 (docs/deviations.md), so Keras'
# float64 results are float32-accurate: those samples run in float32 against Keras, and in float64 against numpy.
F32 = ("float32",)
F64 = ("float64",)


def _integers(shape, low, high, dtype="int32", scale=1):
    def make(rng):
        return [(rng.integers(low, high, size=shape) * scale).astype(dtype)], {}

    return make


def _uniform(shape, low, high):
    def make(rng):
        return [rng.uniform(low, high, size=shape)], {}

    return make


def _numpy_rescaling(config, args, kwargs, weights):
    return np.asarray(args[0], np.float64) * np.asarray(config["scale"], np.float64) + np.asarray(
        config.get("offset", 0.0), np.float64)


def _numpy_normalization(config, args, kwargs, weights):
    """Given statistics along the last axis (the applications' ImageNet preprocessing)."""
    mean, variance = (np.asarray(config[k], np.float64) for k in ("mean", "variance"))
    return (np.asarray(args[0], np.float64) - mean) / np.maximum(np.sqrt(variance), 1e-7)


# ---------------------------------------------------------------------------- Rescaling
def _rescaling_sample(rng):
    shape = tuple(int(d) for d in rng.integers(1, 5, size=int(rng.integers(2, 5))))
    per_channel = rng.random() < 0.4
    scale = [float(np.round(v, 3)) for v in rng.uniform(-2, 2, shape[-1])] if per_channel else float(
        np.round(rng.uniform(-2, 2), 4))
    return Sample({"scale": scale, "offset": float(np.round(rng.uniform(-1, 1), 3))}, shape)


RESCALING = LayerSpec(
    name="Rescaling",
    samples=[
        Sample({"scale": 1 / 255.0}, (2, 4, 4, 3), id="scale-only"),
        Sample({"scale": 1 / 127.5, "offset": -1.0}, (2, 3, 5), id="scale-offset"),
        Sample({"scale": [0.5, 2.0, -1.0], "offset": 0.25}, (2, 4, 3), id="per-channel-scale"),
        Sample({"scale": 2.0, "offset": [0.1, -0.2, 0.3, 0.4]}, (3, 4), id="per-channel-offset"),
        Sample({"scale": 0.5}, None, make_inputs=with_mask((2, 3, 4)), id="mask-passes-through"),
        Sample({"scale": 1 / 255.0, "offset": -0.5}, None, make_inputs=_integers((2, 3, 3, 2), 0, 256),
               grad=False, dtypes=F32, id="integer-image"),
        Sample({"scale": 1 / 255.0}, None, make_inputs=_uniform((2, 4, 4, 3), 0.0, 255.0), reference=_numpy_rescaling,
               dtypes=F64, id="pixel-range-float64-vs-numpy"),
        Sample({"scale": 1 / 127.5, "offset": -1.0}, None, make_inputs=_uniform((2, 4, 4, 3), 0.0, 255.0),
               reference=_numpy_rescaling, dtypes=F64, id="pixel-range-offset-float64-vs-numpy"),
    ],
    sampler=_rescaling_sample,
    bad_inputs=[BadInput({"scale": [1.0, 2.0, 3.0]}, None, (2, 4), match=r"argument `scale` of shape .* does not match the trailing axes", id="per-channel-size-mismatch")],
)


# ---------------------------------------------------------------------------- Normalization
def _adapted_keras_build(layer, args, kwargs):
    """Keras' `set_weights` leaves the statistics its `call` reads (computed by `finalize_state` at build,
    adapt and weight loading) stale; re-finalise after it so the copied weights are the ones used."""
    from ..harness import to_tf

    layer(*to_tf(args))
    keras_set_weights = layer.set_weights

    def set_weights(weights):
        keras_set_weights(weights)
        layer.finalize_state()

    layer.set_weights = set_weights


def _normalization_sample(rng):
    shape = (int(rng.integers(1, 4)),) + tuple(int(d) for d in rng.integers(1, 5, size=int(rng.integers(1, 4))))
    rank = len(shape)
    axis = -1 if rng.random() < 0.6 else None
    config = {"axis": axis, "invert": bool(rng.random() < 0.3)}
    kept = [] if axis is None else [shape[-1]]
    if rng.random() < 0.7:
        mean, variance = np.round(rng.uniform(-1, 1, kept), 3), np.round(rng.uniform(0.1, 3, kept), 3)
        config["mean"] = mean.tolist() if kept else float(mean)
        config["variance"] = variance.tolist() if kept else float(variance)
    return Sample(config, shape, id=f"fuzz-rank{rank}")


NORMALIZATION = LayerSpec(
    name="Normalization",
    samples=[
        Sample({}, (3, 4), id="weights-default"),
        Sample({"axis": (1, 2)}, (2, 3, 4), id="weights-two-axes"),
        Sample({"axis": None}, (3, 4), id="weights-axis-none"),
        Sample({"mean": [0.5, -1.0, 2.0], "variance": [4.0, 0.25, 1.0]}, (2, 5, 3), id="given-per-channel"),
        Sample({"mean": 3.0, "variance": 2.0, "axis": None}, (2, 3, 4), id="given-scalars"),
        Sample({"mean": [0.5, -1.0, 2.0], "variance": [4.0, 0.0, 1.0], "invert": True}, (2, 3), id="invert-zero-var"),
        Sample({"mean": [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], "variance": [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]],
                "axis": (1, 2)}, (2, 3, 2), id="given-2d-statistics"),
        Sample({"mean": 2.0, "variance": 9.0}, (2, 4), id="given-scalar-broadcast-to-axis"),
        Sample({"mean": 2.0, "variance": 9.0}, None, make_inputs=with_mask((2, 3, 4)), id="mask-passes-through"),
        Sample({"mean": [10.0, 20.0], "variance": [4.0, 16.0]}, None, make_inputs=_integers((3, 2), 0, 30),
               grad=False, id="integer-inputs"),
        Sample({"mean": [0.485, 0.456, 0.406], "variance": [0.229**2, 0.224**2, 0.225**2]}, None,
               make_inputs=_uniform((2, 4, 4, 3), 0.0, 1.0), reference=_numpy_normalization, dtypes=F64,
               id="imagenet-statistics-float64-vs-numpy"),
    ],
    sampler=_normalization_sample,
    keras_build=_adapted_keras_build,
    bad_configs=[({"mean": 1.0}, "mean-without-variance"), ({"variance": 1.0}, "variance-without-mean"),
                 ({"mean": [1.0, 2.0], "variance": [1.0]}, "shape-mismatch"),
                 ({"mean": [[1.0]], "variance": [[1.0]]}, "mean-rank-above-axes")],
    bad_inputs=[BadInput({"axis": 2}, None, (2, 3), match=r"`axis`.*(out of bounds|must be in \[-ndim, ndim\))", id="axis-out-of-range"),
                BadInput({"mean": [1.0, 2.0], "variance": [1.0, 1.0]}, None, (2, 3), match=r"argument `mean`/`variance` of shape .* does not broadcast", id="given-size-mismatch"),
                # Another rank after build is taken where the statistics broadcast (aligned from the last axis)
                # and keep the output shape: a lower rank is rejected (Keras silently enlarges the output).
                BadInput({}, (2, 3, 4), (3, 4), match=ndim_error("Normalization", "min_ndim=3", 2), keras_rejects=False, id="rank-decrease-after-build"),
                BadInput({}, (2, 3), (2, 5, 4), match=r"expected axis -1 of input shape to have value 3, found 4", id="rank-increase-resizes-kept-axis")],
)


# ---------------------------------------------------------------------------- CenterCrop
def _image_shape(rng, data_format, height, width, batched=True):
    channels = int(rng.integers(1, 4))
    spatial = (height, width)
    shape = (channels,) + spatial if data_format == "channels_first" else spatial + (channels,)
    return ((int(rng.integers(1, 3)),) + shape) if batched else shape


def _center_crop_sample(rng):
    data_format = str(rng.choice(["channels_last", "channels_first"]))
    height, width = (int(d) for d in rng.integers(2, 9, size=2))
    target = (int(d) for d in rng.integers(1, 9, size=2))
    config = dict(zip(("height", "width"), target), data_format=data_format)
    return Sample(config, _image_shape(rng, data_format, height, width, batched=rng.random() < 0.8))


CENTER_CROP = LayerSpec(
    name="CenterCrop",
    samples=[
        Sample({"height": 3, "width": 4}, (2, 6, 8, 3), id="crop-even"),
        Sample({"height": 2, "width": 3}, (2, 5, 6, 2), id="crop-odd-offsets"),
        Sample({"height": 4, "width": 5}, (1, 4, 5, 3), id="same-size"),
        Sample({"height": 3, "width": 2, "data_format": "channels_first"}, (2, 3, 7, 5), id="channels-first"),
        Sample({"height": 3, "width": 3}, (5, 6, 2), id="unbatched"),
        # Smaller input: Keras' smart_resize (aspect-ratio crop, then bilinear resize).
        Sample({"height": 8, "width": 6}, (2, 5, 4, 3), dtypes=F32, id="upscale-both"),
        Sample({"height": 7, "width": 3}, (2, 5, 6, 2), dtypes=F32, id="taller-than-input"),
        Sample({"height": 4, "width": 9, "data_format": "channels_first"}, (2, 3, 6, 5), dtypes=F32,
               id="wider-channels-first"),
    ],
    sampler=_center_crop_sample,
    bad_inputs=[BadInput({"height": 2, "width": 2}, None, (2, 3, 4, 5, 6), match=r"expected images of rank 3 .* or 4", id="rank-5"),
                BadInput({"height": 2, "width": 2}, None, (4, 5), match=r"expected images of rank 3 .* or 4", id="rank-2")],
)


# ---------------------------------------------------------------------------- Resizing
def _resizing_sample(rng):
    data_format = str(rng.choice(["channels_last", "channels_first"]))
    height, width = (int(d) for d in rng.integers(1, 10, size=2))
    config = {"height": int(rng.integers(1, 10)), "width": int(rng.integers(1, 10)),
              "interpolation": str(rng.choice(["bilinear", "nearest"])), "data_format": data_format}
    if rng.random() < 0.3:
        config["interpolation"] = str(rng.choice(["bicubic", "area", "lanczos3", "lanczos5"]))
    if rng.random() < 0.25:
        config["antialias"] = True
        config["interpolation"] = str(rng.choice(["bilinear", "bicubic", "nearest", "area", "lanczos3", "lanczos5"]))
    aspect = rng.random()
    if aspect < 0.25:
        config["crop_to_aspect_ratio"] = True
    elif aspect < 0.5:
        config["pad_to_aspect_ratio"] = True
        config["fill_value"] = float(np.round(rng.uniform(-1, 1), 2))
    return Sample(config, _image_shape(rng, data_format, height, width, batched=rng.random() < 0.8),
                  grad=config["interpolation"] != "area")  # TF registers no gradient for ResizeArea


RESIZING = LayerSpec(
    name="Resizing",
    samples=[
        Sample({"height": 7, "width": 9}, (2, 4, 5, 3), dtypes=F32, id="bilinear-up"),
        Sample({"height": 3, "width": 2}, (2, 8, 7, 2), dtypes=F32, id="bilinear-down-fractional"),
        Sample({"height": 6, "width": 4, "interpolation": "nearest"}, (2, 4, 5, 3), id="nearest-mixed"),
        Sample({"height": 3, "width": 5, "interpolation": "nearest"}, (2, 9, 11, 1), id="nearest-down"),
        Sample({"height": 4, "width": 4, "crop_to_aspect_ratio": True}, (2, 5, 8, 2), dtypes=F32, id="crop-to-aspect"),
        Sample({"height": 6, "width": 3, "crop_to_aspect_ratio": True, "interpolation": "nearest"}, (1, 5, 7, 2),
               id="crop-to-aspect-nearest"),
        Sample({"height": 4, "width": 4, "pad_to_aspect_ratio": True, "fill_value": 0.5}, (2, 3, 6, 2),
               dtypes=F32, id="pad-rows"),
        Sample({"height": 5, "width": 3, "pad_to_aspect_ratio": True, "fill_value": -1.0}, (2, 5, 2, 1),
               dtypes=F32, id="pad-columns-odd"),
        Sample({"height": 5, "width": 6, "data_format": "channels_first"}, (2, 3, 4, 7), dtypes=F32,
               id="channels-first"),
        Sample({"height": 3, "width": 8, "pad_to_aspect_ratio": True, "data_format": "channels_first"}, (1, 2, 4, 4),
               dtypes=F32, id="pad-channels-first"),
        Sample({"height": 5, "width": 3}, (4, 6, 2), dtypes=F32, id="unbatched"),
        Sample({"height": 4, "width": 5, "antialias": True}, (2, 9, 13, 2), dtypes=F32, id="antialias-bilinear-down"),
        Sample({"height": 3, "width": 7, "antialias": True, "interpolation": "bicubic"}, (2, 8, 5, 2), dtypes=F32,
               id="antialias-bicubic-mixed"),
        Sample({"height": 9, "width": 11, "antialias": True, "interpolation": "bicubic"}, (1, 4, 5, 1), dtypes=F32,
               id="antialias-bicubic-up"),
        Sample({"height": 3, "width": 4, "antialias": True, "interpolation": "nearest"}, (2, 7, 9, 1),
               id="antialias-ignored-for-nearest"),
        # TF's kernels without an equal torch one: separable weight matrices (ops/resize.py).
        Sample({"height": 9, "width": 4, "interpolation": "bicubic"}, (2, 5, 7, 2), dtypes=F32, id="bicubic-mixed"),
        Sample({"height": 3, "width": 2, "interpolation": "bicubic"}, (1, 8, 7, 1), dtypes=F32, id="bicubic-down"),
        # TF registers no gradient for ResizeArea: forward only.
        Sample({"height": 3, "width": 5, "interpolation": "area"}, (2, 7, 9, 2), dtypes=F32, grad=False,
               id="area-down-fractional"),
        Sample({"height": 8, "width": 3, "interpolation": "area", "antialias": True}, (2, 4, 7, 1), dtypes=F32,
               grad=False, id="area-mixed-antialias-ignored"),
        Sample({"height": 11, "width": 4, "interpolation": "lanczos3"}, (2, 5, 9, 2), dtypes=F32, id="lanczos3-mixed"),
        Sample({"height": 3, "width": 4, "interpolation": "lanczos3", "antialias": True}, (2, 10, 9, 1), dtypes=F32,
               id="lanczos3-antialias-down"),
        Sample({"height": 6, "width": 13, "interpolation": "lanczos5"}, (1, 9, 6, 2), dtypes=F32, id="lanczos5-mixed"),
        Sample({"height": 2, "width": 5, "interpolation": "lanczos5", "antialias": True,
                "data_format": "channels_first"}, (2, 2, 11, 12), dtypes=F32, id="lanczos5-antialias-channels-first"),
        Sample({"height": 4, "width": 4, "interpolation": "area", "pad_to_aspect_ratio": True, "fill_value": 0.5},
               (2, 3, 6, 2), dtypes=F32, grad=False, id="area-pad"),
        Sample({"height": 5, "width": 3, "interpolation": "lanczos3"}, (4, 6, 2), dtypes=F32, id="lanczos3-unbatched"),
        # Integer images are rounded back to their dtype. Bilinear values of integers can land on k + 0.5, where
        # float rounding decides the integer; multiples of 16 resized by 2 give exact integers (weights k/16).
        Sample({"height": 6, "width": 8}, None, make_inputs=_integers((2, 3, 4, 2), 0, 16, scale=16), grad=False,
               dtypes=F32, id="integer-image-bilinear"),
        Sample({"height": 5, "width": 7, "interpolation": "nearest"}, None, make_inputs=_integers((2, 3, 4, 2), 0, 256),
               grad=False, dtypes=F32, id="integer-image-nearest"),
    ],
    sampler=_resizing_sample,
    bad_inputs=[
        BadInput({"height": 2, "width": 2}, None, (2, 3, 4, 5, 6), match=r"expected images of rank 3 .* or 4", id="rank-5"),
        BadInput({"height": 2, "width": 2, "interpolation": "cubic"}, None, (2, 3, 4, 5), match=r"argument `interpolation` must be one of", id="unknown-interpolation"),
        BadInput({"height": 2, "width": 2, "fill_mode": "reflect"}, None, (2, 3, 4, 5), match=r"argument `fill_mode` must be one of", id="fill-mode-not-constant"),
        BadInput({"height": 2, "width": 2, "crop_to_aspect_ratio": True, "pad_to_aspect_ratio": True}, None,
                 (2, 3, 4, 5), match=r"only one of `pad_to_aspect_ratio` and `crop_to_aspect_ratio` can be True", id="crop-and-pad"),
    ],
)

SPECS = [RESCALING, NORMALIZATION, CENTER_CROP, RESIZING]
