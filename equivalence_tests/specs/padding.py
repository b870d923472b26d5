"""Padding, cropping and upsampling layers: ZeroPadding1D/2D/3D, Cropping1D/2D/3D, UpSampling1D/2D/3D."""

from __future__ import annotations

import numpy as np

from ..registry import BadInput, LayerSpec, Sample


def _spatial_shape(rng, rank, data_format, low=1, high=5):
    spatial = tuple(int(d) for d in rng.integers(low, high, size=rank))
    batch, channels = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    return (batch,) + spatial + (channels,) if data_format == "channels_last" else (batch, channels) + spatial


def _pairs_config(rng, rank, high):
    """An int, `rank` ints or `rank` pairs: every form Keras accepts."""
    form = int(rng.integers(3))
    if form == 0:
        return int(rng.integers(0, high))
    if form == 1:
        return tuple(int(v) for v in rng.integers(0, high, size=rank))
    return tuple(tuple(int(v) for v in rng.integers(0, high, size=2)) for _ in range(rank))


def _format(rng):
    return str(rng.choice(["channels_last", "channels_first"]))


# ---------------------------------------------------------------------------- ZeroPadding
def _zero_padding_sample(rank):
    def sample(rng):
        data_format = _format(rng) if rank > 1 or rng.random() < 0.5 else "channels_last"
        padding = _pairs_config(rng, rank, 4) if rank > 1 else (
            int(rng.integers(0, 4)) if rng.random() < 0.5 else tuple(int(v) for v in rng.integers(0, 4, size=2)))
        return Sample({"padding": padding, "data_format": data_format}, _spatial_shape(rng, rank, data_format))

    return sample


ZERO_PADDING_1D = LayerSpec(
    name="ZeroPadding1D",
    samples=[
        Sample({}, (2, 3, 4)),
        Sample({"padding": (1, 3)}, (2, 3, 4), id="asymmetric"),
        Sample({"padding": 2, "data_format": "channels_first"}, (2, 3, 4), id="channels_first"),
        Sample({"padding": (0, 2), "data_format": "channels_first"}, (1, 2, 5), id="channels_first-asymmetric"),
        Sample({"padding": 0}, (2, 3, 4), id="zero"),
    ],
    sampler=_zero_padding_sample(1),
    bad_configs=[({"padding": (1, 2, 3)}, "three-values"), ({"padding": (-1, 1)}, "negative"),
                 ({"padding": 1, "data_format": "nwc"}, "bad-data_format")],
    bad_inputs=[BadInput({}, None, (2, 3), match=r"expected (ndim=\d+, found ndim=\d+|an input of rank \d+)", id="rank-2"), BadInput({}, None, (2, 3, 4, 5), match=r"expected (ndim=\d+, found ndim=\d+|an input of rank \d+)", id="rank-4")],
)

ZERO_PADDING_2D = LayerSpec(
    name="ZeroPadding2D",
    samples=[
        Sample({}, (2, 3, 4, 2)),
        Sample({"padding": 2}, (1, 2, 3, 2), id="int"),
        Sample({"padding": (1, 2)}, (2, 3, 4, 2), id="per-axis"),
        Sample({"padding": ((0, 1), (2, 3))}, (2, 3, 4, 2), id="pairs"),
        Sample({"padding": ((1, 0), (0, 2)), "data_format": "channels_first"}, (2, 2, 3, 4), id="channels_first-pairs"),
    ],
    sampler=_zero_padding_sample(2),
    bad_configs=[({"padding": (1, 2, 3)}, "three-entries"), ({"padding": ((1, 2), (1, 2, 3))}, "bad-pair"),
                 ({"padding": ((-1, 1), (0, 0))}, "negative-pair"), ({"padding": "same"}, "string"),
                 ({"padding": 1.5}, "float"), ({"data_format": "nhwc"}, "bad-data_format")],
    bad_inputs=[BadInput({}, None, (2, 3, 4), match=r"expected (ndim=\d+, found ndim=\d+|an input of rank \d+)", id="rank-3")],
)

ZERO_PADDING_3D = LayerSpec(
    name="ZeroPadding3D",
    samples=[
        Sample({}, (2, 2, 3, 2, 2)),
        Sample({"padding": 2}, (1, 2, 1, 2, 2), id="int"),
        Sample({"padding": (1, 0, 2)}, (1, 2, 3, 2, 2), id="per-axis"),
        Sample({"padding": ((0, 1), (2, 0), (1, 1)), "data_format": "channels_first"}, (1, 2, 2, 3, 2),
               id="channels_first-pairs"),
    ],
    sampler=_zero_padding_sample(3),
    bad_configs=[({"padding": (1, 2)}, "two-entries"), ({"padding": ((1, 1), (1, 1), (1, -1))}, "negative-pair")],
    bad_inputs=[BadInput({}, None, (2, 3, 4, 5), match=r"expected (ndim=\d+, found ndim=\d+|an input of rank \d+)", id="rank-4")],
)


# ---------------------------------------------------------------------------- Cropping
def _cropping_sample(rank):
    def sample(rng):
        data_format = _format(rng) if rank > 1 else "channels_last"
        shape = _spatial_shape(rng, rank, data_format, low=5, high=9)
        cropping = _pairs_config(rng, rank, 3) if rank > 1 else tuple(int(v) for v in rng.integers(0, 3, size=2))
        config = {"cropping": cropping}
        if rank > 1:
            config["data_format"] = data_format
        return Sample(config, shape)

    return sample


CROPPING_1D = LayerSpec(
    name="Cropping1D",
    samples=[
        Sample({}, (2, 5, 3)),
        Sample({"cropping": 2}, (2, 6, 3), id="int"),
        Sample({"cropping": (0, 3)}, (2, 5, 3), id="end-only"),
        Sample({"cropping": (2, 0)}, (1, 4, 2), id="start-only"),
        Sample({"cropping": (0, 0)}, (2, 3, 2), id="none"),
    ],
    sampler=_cropping_sample(1),
    bad_configs=[({"cropping": (1, 2, 3)}, "three-values"), ({"cropping": -1}, "negative")],
    bad_inputs=[BadInput({"cropping": (2, 3)}, None, (2, 5, 3), match=r"argument `cropping` must be smaller than the input", id="crops-everything"),
                BadInput({}, None, (2, 5), match=r"expected (ndim=\d+, found ndim=\d+|an input of rank \d+)", id="rank-2")],
)

CROPPING_2D = LayerSpec(
    name="Cropping2D",
    samples=[
        Sample({}, (2, 3, 4, 2), id="default-nothing"),
        Sample({"cropping": 1}, (2, 4, 5, 2), id="int"),
        Sample({"cropping": (1, 2)}, (2, 4, 5, 2), id="per-axis"),
        Sample({"cropping": ((0, 1), (2, 0))}, (2, 4, 5, 2), id="pairs-one-sided"),
        Sample({"cropping": ((1, 2), (0, 1)), "data_format": "channels_first"}, (2, 2, 5, 4), id="channels_first"),
    ],
    sampler=_cropping_sample(2),
    bad_configs=[({"cropping": -1}, "negative-int"), ({"cropping": (1, 2, 3)}, "three-entries"),
                 ({"cropping": ((1, -1), (0, 0))}, "negative-pair"), ({"data_format": "nhwc"}, "bad-data_format")],
    bad_inputs=[BadInput({"cropping": ((2, 2), (0, 0))}, None, (2, 4, 5, 1), match=r"argument `cropping` must be smaller than the input", id="crops-all-rows"),
                BadInput({"cropping": ((0, 0), (3, 3)), "data_format": "channels_first"}, None, (2, 1, 4, 6),
                         match=r"argument `cropping` must be smaller than the input", id="crops-all-columns-channels_first"),
                BadInput({}, None, (2, 4, 5), match=r"expected (ndim=\d+, found ndim=\d+|an input of rank \d+)", id="rank-3")],
)

CROPPING_3D = LayerSpec(
    name="Cropping3D",
    samples=[
        Sample({}, (2, 3, 4, 5, 2)),
        Sample({"cropping": 0}, (1, 2, 3, 2, 2), id="int-zero"),
        Sample({"cropping": (1, 0, 2)}, (1, 3, 3, 5, 2), id="per-axis"),
        Sample({"cropping": ((0, 1), (1, 0), (0, 0)), "data_format": "channels_first"}, (1, 2, 3, 3, 2),
               id="channels_first-pairs"),
    ],
    sampler=_cropping_sample(3),
    bad_configs=[({"cropping": -2}, "negative-int"), ({"cropping": (1, 1)}, "two-entries")],
    bad_inputs=[BadInput({"cropping": 1}, None, (1, 2, 3, 3, 1), match=r"argument `cropping` must be smaller than the input", id="crops-everything"),
                BadInput({}, None, (2, 3, 4, 5), match=r"expected (ndim=\d+, found ndim=\d+|an input of rank \d+)", id="rank-4")],
)


# ---------------------------------------------------------------------------- UpSampling
def _repeat(x, sizes, axes):
    for axis, size in zip(axes, sizes):
        x = np.repeat(x, size, axis=axis)
    return x


def _area_is_repeat(config, args, kwargs, weights):
    """TF's `resize_area` (no gradient in TF) for whole factors: each output pixel lies inside one input pixel."""
    axes = (2, 3) if config.get("data_format") == "channels_first" else (1, 2)
    return _repeat(args[0], config.get("size", (2, 2)), axes)


INTERPOLATIONS = ["nearest", "bilinear", "bicubic", "lanczos3", "lanczos5", "area"]
# TensorFlow resizes in float32 only (float64 images are computed in float32 and cast back; its
# ScaleAndTranslateGrad rejects float64): the interpolating samples run in float32.
FLOAT32 = ("float32",)

UP_SAMPLING_1D = LayerSpec(
    name="UpSampling1D",
    samples=[Sample({}, (2, 3, 4)), Sample({"size": 3}, (2, 2, 3), id="size-3"), Sample({"size": 1}, (2, 3, 2), id="size-1")],
    sampler=lambda rng: Sample({"size": int(rng.integers(1, 4))}, _spatial_shape(rng, 1, "channels_last")),
    bad_configs=[({"size": 0}, "zero"), ({"size": 2.0}, "float"), ({"size": True}, "bool"), ({"size": (2,)}, "tuple")],
    bad_inputs=[BadInput({}, None, (2, 3), match=r"expected (ndim=\d+, found ndim=\d+|an input of rank \d+)", id="rank-2")],
)


def _up_sampling_2d_sample(rng):
    data_format = _format(rng)
    interpolation = str(rng.choice(INTERPOLATIONS[:-1]))  # area has no TF gradient: hand-picked samples only
    size = tuple(int(v) for v in rng.integers(1, 4, size=2))
    return Sample({"size": size, "data_format": data_format, "interpolation": interpolation},
                  _spatial_shape(rng, 2, data_format, high=6))


UP_SAMPLING_2D = LayerSpec(
    name="UpSampling2D",
    samples=[
        Sample({}, (2, 3, 4, 2)),
        # Second, so that the compile/export/ONNX checks (first two samples) run the matrix path too.
        Sample({"size": (2, 3), "interpolation": "bicubic", "data_format": "channels_first"}, (2, 2, 3, 4),
               dtypes=FLOAT32, id="bicubic-channels_first-small"),
        Sample({"size": (3, 2), "data_format": "channels_first"}, (2, 2, 3, 4), id="nearest-channels_first"),
        Sample({"size": 3}, (1, 2, 3, 2), id="int-size"),
    ]
    + [Sample({"size": (2, 3), "interpolation": name}, (2, 4, 5, 3), dtypes=FLOAT32, id=f"{name}") for name in INTERPOLATIONS[1:-1]]
    + [Sample({"size": (3, 2), "interpolation": name, "data_format": "channels_first"}, (2, 3, 2, 5),
              dtypes=FLOAT32, id=f"{name}-channels_first") for name in INTERPOLATIONS[1:-1]]
    + [Sample({"size": (4, 1), "interpolation": name}, (1, 1, 2, 2), dtypes=FLOAT32,
              id=f"{name}-tiny-image") for name in INTERPOLATIONS[1:-1]]
    + [
        Sample({"size": (2, 3), "interpolation": "BiLinear"}, (2, 3, 3, 1), dtypes=FLOAT32,
               id="interpolation-case-insensitive"),
        # TF registers no gradient for ResizeArea: the Keras comparison is forward only, and the gradient is
        # checked (gradcheck) in the numpy-referenced sample below.
        Sample({"size": (3, 2), "interpolation": "area"}, (2, 3, 4, 2), grad=False, dtypes=FLOAT32,
               id="area-forward-vs-keras"),
        Sample({"size": (3, 2), "interpolation": "area", "data_format": "channels_first"}, (2, 2, 3, 4),
               reference=_area_is_repeat, id="area-vs-numpy-gradcheck"),
    ],
    sampler=_up_sampling_2d_sample,
    bad_configs=[({"size": 0}, "zero"), ({"size": (1, 2, 3)}, "three-values"), ({"size": (2, -1)}, "negative"),
                 ({"interpolation": 3}, "interpolation-not-a-string"), ({"data_format": "nhwc"}, "bad-data_format")],
    bad_inputs=[BadInput({}, None, (2, 3, 4), match=r"expected (ndim=\d+, found ndim=\d+|an input of rank \d+)", id="rank-3"), BadInput({}, None, (2, 3, 4, 5, 6), match=r"expected (ndim=\d+, found ndim=\d+|an input of rank \d+)", id="rank-5")],
)


def _up_sampling_3d_sample(rng):
    data_format = _format(rng)
    size = tuple(int(v) for v in rng.integers(1, 4, size=3))
    return Sample({"size": size, "data_format": data_format}, _spatial_shape(rng, 3, data_format, high=4))


UP_SAMPLING_3D = LayerSpec(
    name="UpSampling3D",
    samples=[
        Sample({}, (2, 2, 3, 2, 2)),
        Sample({"size": (1, 2, 3), "data_format": "channels_first"}, (1, 2, 2, 3, 2), id="channels_first"),
        Sample({"size": 3}, (1, 2, 1, 2, 1), id="int-size"),
    ],
    sampler=_up_sampling_3d_sample,
    bad_configs=[({"size": 0}, "zero"), ({"size": (1, 2)}, "two-values"), ({"data_format": "ndhwc"}, "bad-data_format")],
    bad_inputs=[BadInput({}, None, (2, 3, 4, 5), match=r"expected (ndim=\d+, found ndim=\d+|an input of rank \d+)", id="rank-4")],
)

SPECS = [ZERO_PADDING_1D, ZERO_PADDING_2D, ZERO_PADDING_3D, CROPPING_1D, CROPPING_2D, CROPPING_3D, UP_SAMPLING_1D,
         UP_SAMPLING_2D, UP_SAMPLING_3D]
