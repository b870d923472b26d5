"""The pooling family: Keras' max/average (1D/2D/3D), global and adaptive pooling against Keras, and
the kinds Keras lacks (LP, mean-shift, bilinear, overlapping) against the numpy references in
`numpy_refs_pooling.py`. Input sizes are chosen so that TF 'same' padding is asymmetric (and depends
on n mod stride), strides range over 1-3 (including strides larger than the pool)."""

from __future__ import annotations

import numpy as np

from .. import numpy_refs_pooling as refs
from ..registry import BadInput, LayerSpec, Sample, XFail, ndim_error


def _shape(batch, spatial, channels, data_format):
    return (batch, *spatial, channels) if data_format == "channels_last" else (batch, channels, *spatial)


def _window_sampler(rank, *, max_pool=4, pool_key="pool_size"):
    """Random pool/strides/padding/data_format with input sizes from pool_size to pool_size + 6."""

    def sample(rng) -> Sample:
        pool = tuple(int(k) for k in rng.integers(1, max_pool + 1, size=rank))
        strides = None if rng.random() < 0.25 else tuple(int(s) for s in rng.integers(1, 4, size=rank))
        padding = str(rng.choice(["valid", "same"]))
        data_format = str(rng.choice(["channels_last", "channels_first"]))
        extra = {1: 7, 2: 5, 3: 3}[rank]
        spatial = tuple(k + int(rng.integers(0, extra + 1)) for k in pool)
        config = {pool_key: pool, "strides": strides, "padding": padding, "data_format": data_format}
        return Sample(config, _shape(int(rng.integers(1, 4)), spatial, int(rng.integers(1, 4)), data_format))

    return sample


def _seed_example(rng):
    """Keras' documented example: MaxPooling1D(pool_size=2) on [1, 2, 4, 3, 1, 5] -> [2, 4, 5]."""
    return [np.array([1.0, 2.0, 4.0, 3.0, 1.0, 5.0]).reshape(1, 6, 1)], {}


def _seed_expected(config, args, kwargs, weights):
    return np.array([2.0, 4.0, 5.0]).reshape(1, 3, 1)  # stated by the issue, not computed


# TF 'same' splits, verified against Keras: n=7,k=2,s=2 -> (0,1); n=6,k=3,s=2 -> (0,1);
# n=8,k=4,s=3 -> (1,1); n=6,k=4,s=3 -> (0,1).
def _window_samples(rank, pool_default):
    """Hand-picked samples shared by MaxPooling and AveragePooling of one rank."""
    if rank == 1:
        return [
            Sample({"pool_size": 2}, (2, 6, 3), id="default"),
            Sample({"pool_size": 2, "padding": "same"}, (2, 7, 3), id="same-k2-s2-n7(0,1)"),
            Sample({"pool_size": 3, "strides": 2, "padding": "same"}, (2, 6, 3), id="same-k3-s2-n6(0,1)"),
            Sample({"pool_size": 4, "strides": 3, "padding": "same"}, (2, 8, 2), id="same-k4-s3-n8(1,1)"),
            Sample({"pool_size": 4, "strides": 3, "padding": "same"}, (2, 6, 2), id="same-k4-s3-n6(0,1)"),
            Sample({"pool_size": 2, "strides": 3}, (2, 9, 2), id="stride-larger-than-pool"),
            Sample({"pool_size": 3, "strides": 1, "padding": "same", "data_format": "channels_first"}, (2, 3, 7),
                   id="channels-first-same"),
        ]
    if rank == 2:
        return [
            Sample({"pool_size": pool_default}, (2, 6, 6, 3), id="default"),
            Sample({"pool_size": (2, 2)}, (2, 7, 5, 3), id="valid-odd-input"),
            Sample({"pool_size": 3, "strides": 2, "padding": "same"}, (2, 6, 7, 3), id="same-k3-s2-n6(0,1)-n7(1,1)"),
            Sample({"pool_size": (4, 2), "strides": (3, 2), "padding": "same"}, (2, 8, 7, 2), id="same-(1,1)-(0,1)"),
            Sample({"pool_size": 4, "strides": 3, "padding": "same"}, (2, 6, 6, 2), id="same-k4-s3-n6(0,1)"),
            Sample({"pool_size": 2, "strides": 1, "padding": "same"}, (2, 5, 4, 3), id="same-k2-s1(0,1)"),
            Sample({"pool_size": (2, 3), "strides": (1, 2), "padding": "SAME"}, (1, 5, 7, 2), id="uppercase-SAME"),
            Sample({"pool_size": 3, "strides": 2, "padding": "same", "data_format": "channels_first"}, (2, 3, 6, 7),
                   id="channels-first-same"),
            Sample({"pool_size": 2, "strides": 3, "padding": "valid"}, (2, 9, 8, 2), id="stride-larger-than-pool"),
        ]
    return [
        Sample({"pool_size": pool_default}, (2, 4, 4, 4, 2), id="default"),
        Sample({"pool_size": (2, 3, 2), "strides": (2, 2, 1), "padding": "same"}, (1, 5, 6, 3, 2), id="same-asymmetric"),
        Sample({"pool_size": 3, "strides": 2, "padding": "same", "data_format": "channels_first"}, (1, 2, 6, 5, 4),
               id="channels-first-same"),
        Sample({"pool_size": 2, "strides": 1}, (2, 3, 4, 3, 2), id="stride1-valid"),
    ]


def _too_small_error(name):
    return rf"{name} \(.*smaller than `pool_size`=.* padding='valid': the output would be empty"


def _window_bad(name, rank, base_config, keras_rejects=True, small_keras_rejects=True):
    spatial = (6,) * rank
    return [
        BadInput(base_config, None, (2, *spatial), match=ndim_error(name, rank + 2, rank + 1),
                 keras_rejects=keras_rejects, id="rank-too-low"),
        BadInput(base_config, None, (2, *spatial, 3, 3), match=ndim_error(name, rank + 2, rank + 3),
                 keras_rejects=keras_rejects, id="rank-too-high"),
        BadInput({**base_config, "pool_size": 4}, None, (2, *((3,) * rank), 2), match=_too_small_error(name),
                 keras_rejects=small_keras_rejects, id="pool-larger-than-valid-input"),
    ]


def _window_bad_configs(rank):
    return [
        ({"pool_size": 0}, "pool_size=0"),
        ({"pool_size": -2}, "negative-pool_size"),
        ({"pool_size": (2,) * (rank + 1)}, "pool_size-wrong-length"),
        ({"pool_size": 2, "strides": -1}, "negative-strides"),
        ({"pool_size": 2, "data_format": "nhwc"}, "bad-data-format"),
        ({"pool_size": 2, "not_an_argument": 1}, "unknown-kwarg"),
    ]


def _window_spec(kind, rank):
    name = f"{kind}Pooling{rank}D"
    pool_default = (2,) * rank
    samples = _window_samples(rank, pool_default)
    if kind == "Max" and rank == 1:
        samples += [
            Sample({"pool_size": 2}, make_inputs=_seed_example, id="seed-example-vs-keras"),
            Sample({"pool_size": 2}, make_inputs=_seed_example, reference=_seed_expected, id="seed-example-[2,4,5]"),
        ]
    if rank == 3:  # TensorFlow has no float64 CPU kernel for 3-D pooling; float64 runs against numpy below
        for sample in samples:
            sample.dtypes = ("float32",)
    numpy_ref = refs.max_pool if kind == "Max" else refs.avg_pool
    samples.append(Sample({"pool_size": 3, "strides": 2, "padding": "same"}, (2, *((7,) * rank), 2),
                          reference=numpy_ref, id="same-vs-numpy"))
    return LayerSpec(
        name=name,
        samples=samples,
        sampler=_window_sampler(rank),
        bad_configs=_window_bad_configs(rank),
        # Keras' AveragePooling silently returns an empty (B, 0, C) tensor for a pool larger than a
        # 'valid' input (MaxPooling raises); we raise for both (README, deviations).
        bad_inputs=_window_bad(name, rank, {"pool_size": 2}, small_keras_rejects=kind == "Max"),
        xfails=_NO_TF_FLOAT16_3D if rank == 3 else [],
    )


# The reference cannot run: TensorFlow registers no float16 CPU kernel for MaxPool3D/AvgPool3D (bfloat16 it has).
_NO_TF_FLOAT16_3D = [XFail("policy", "TensorFlow has no float16 CPU kernel for 3-D pooling (NotFoundError)",
                           sample="mixed_float16")]


WINDOW_SPECS = [_window_spec(kind, rank) for kind in ("Max", "Average") for rank in (1, 2, 3)]



# ----------------------------------------------------------------------------- global pooling
def _mask_inputs(mask):
    def make(rng):
        return [rng.standard_normal((len(mask), len(mask[0]), 3))], {"mask": np.array(mask, dtype=bool)}

    return make


def _global_sampler(kind, rank):
    """Random sizes, data_format and keepdims; for GlobalAveragePooling1D also partial masks."""

    def sample(rng) -> Sample:
        spatial = tuple(int(n) for n in rng.integers(1, 7, size=rank))
        data_format = str(rng.choice(["channels_last", "channels_first"]))
        config = {"data_format": data_format, "keepdims": bool(rng.integers(2))}
        shape = _shape(int(rng.integers(1, 4)), spatial, int(rng.integers(1, 5)), data_format)
        if kind == "Average" and rank == 1 and rng.random() < 0.5:
            mask = rng.random((shape[0], spatial[0])) < 0.7
            mask[:, 0] = True  # no fully masked row: Keras' NaN there is a documented deviation
            return Sample(config, make_inputs=lambda r: ([r.standard_normal(shape)], {"mask": mask}), id="masked")
        return Sample(config, shape)

    return sample


def _global_spec(kind, rank):
    name = f"Global{kind}Pooling{rank}D"
    spatial = {1: (5,), 2: (4, 3), 3: (3, 4, 2)}[rank]
    samples = [
        Sample({}, (2, *spatial, 3), id="default"),
        Sample({"keepdims": True}, (2, *spatial, 3), id="keepdims"),
        Sample({"data_format": "channels_first"}, (2, 3, *spatial), id="channels-first"),
        Sample({"data_format": "channels_first", "keepdims": True}, (1, 4, *spatial), id="channels-first-keepdims"),
    ]
    bad_inputs = [BadInput({}, None, (2, *spatial), match=ndim_error(name, rank + 2, rank + 1), id="rank-too-low"),
                  BadInput({}, None, (2, *spatial, 3, 2), match=ndim_error(name, rank + 2, rank + 3), id="rank-too-high")]
    if kind == "Average" and rank == 1:
        partial = [[1, 1, 0, 1, 0], [0, 1, 1, 1, 1]]
        samples += [
            Sample({}, make_inputs=_mask_inputs(partial), id="mask"),
            Sample({"keepdims": True}, make_inputs=_mask_inputs(partial), id="mask-keepdims"),
            Sample({"data_format": "channels_first"}, make_inputs=lambda rng: (
                [rng.standard_normal((2, 3, 5))], {"mask": np.array(partial, dtype=bool)}), id="mask-channels-first"),
            # Keras gives NaN (0/0) for a fully masked row; we give 0 (README, deviations).
            Sample({}, make_inputs=_mask_inputs([[0, 0, 0, 0, 0], [1, 0, 1, 0, 0]]),
                   reference=refs.global_average_pool_masked, id="fully-masked-row-vs-numpy"),
        ]
        bad_inputs.append(BadInput({}, None, (2, 6, 3), call_kwargs={"mask": np.ones((2, 7), dtype=bool)},
                                   match=rf"{name} \(.*argument `mask` must have shape \(batch, steps\) = \(2, 6\); "
                                         r"received \(2, 7\)", id="mask-wrong-length"))
    return LayerSpec(
        name=name,
        samples=samples,
        sampler=_global_sampler(kind, rank),
        bad_configs=[({"data_format": "nchw"}, "bad-data-format"), ({"keepdims": True, "nope": 1}, "unknown-kwarg")],
        bad_inputs=bad_inputs,
    )


GLOBAL_SPECS = [_global_spec(kind, rank) for kind in ("Max", "Average") for rank in (1, 2, 3)]


# ----------------------------------------------------------------------------- adaptive pooling
def _adaptive_sampler(rank, kind):
    def sample(rng) -> Sample:
        top = {1: 12, 2: 9, 3: 5}[rank]
        spatial = tuple(int(n) for n in rng.integers(1, top + 1, size=rank))
        out = tuple(int(o) for o in rng.integers(1, top + 3, size=rank))
        data_format = str(rng.choice(["channels_last", "channels_first"]))
        config = {"output_size": out, "data_format": data_format}
        shape = _shape(int(rng.integers(1, 3)), spatial, int(rng.integers(1, 4)), data_format)
        # Keras' AdaptiveMaxPooling kills the process (SIGFPE) when a size is 1: never call it then.
        if kind == "Max" and 1 in spatial + out:
            return Sample(config, shape, reference=refs.adaptive_max_pool, dtypes=("float64",))
        return Sample(config, shape)

    return sample


def _adaptive_numerical(values):
    def make(rng):
        return [np.array(values, dtype=np.float64).reshape(1, len(values), 1)], {}

    return make


def _adaptive_spec(kind, rank):
    name = f"Adaptive{kind}Pooling{rank}D"
    if rank == 1:
        samples = [
            # keras/src/layers/pooling/adaptive_pooling1d_test.py: [1..6] -> avg [2, 5], max [3, 6]
            Sample({"output_size": 2}, make_inputs=_adaptive_numerical([1, 2, 3, 4, 5, 6]), id="keras-numerical"),
            Sample({"output_size": 3}, (2, 10, 3), id="10->3"),
            Sample({"output_size": 7}, (2, 4, 2), id="upsample-4->7"),
            Sample({"output_size": (5,), "data_format": "channels_first"}, (2, 3, 12), id="channels-first-12->5"),
        ]
    elif rank == 2:
        samples = [
            Sample({"output_size": 3}, (2, 8, 7, 3), id="8x7->3x3"),
            Sample({"output_size": (9, 10)}, (1, 100, 37, 2), id="100x37->9x10"),
            Sample({"output_size": (4, 2), "data_format": "channels_first"}, (2, 3, 5, 6), id="channels-first"),
            Sample({"output_size": (6, 5)}, (2, 4, 3, 2), id="upsample"),
        ]
    else:  # TensorFlow has no float64 CPU kernel for 3-D pooling: float32 vs Keras, float64 vs numpy
        samples = [
            Sample({"output_size": 2}, (2, 5, 4, 6, 2), dtypes=("float32",), id="->2x2x2"),
            Sample({"output_size": (3, 2, 4), "data_format": "channels_first"}, (1, 2, 6, 5, 7), dtypes=("float32",),
                   id="channels-first"),
            Sample({"output_size": (3, 2, 4)}, (1, 5, 3, 7, 2), reference=refs.adaptive_max_pool if kind == "Max"
                   else refs.adaptive_avg_pool, dtypes=("float64",), id="float64-vs-numpy"),
        ]
    if kind == "Max":
        ones = (1,) * rank
        samples += [  # where Keras would crash the process: numpy reference only
            Sample({"output_size": 1}, (2, *((5,) * rank), 3), reference=refs.adaptive_max_pool, id="output-1-vs-numpy"),
            Sample({"output_size": 3}, (2, *ones, 3), reference=refs.adaptive_max_pool, id="input-1-vs-numpy"),
        ]
    bad_configs = [
        ({"output_size": "3"}, "string-output_size"),
        ({"output_size": (2,) * (rank + 1)}, "output_size-wrong-length"),
        ({"output_size": 2, "data_format": "CHANNELS_LAST"}, "uppercase-data_format"),
        ({"output_size": 2, "nope": 1}, "unknown-kwarg"),
    ]
    spatial = (4,) * rank
    bad_inputs = [
        # Keras' adaptive layers have no InputSpec: a lower-rank input silently runs the lower-rank
        # pooling with the first output sizes; we reject it (README, deviations).
        BadInput({"output_size": 2}, None, (2, *spatial), match=ndim_error(name, rank + 2, rank + 1), keras_rejects=False,
                 id="rank-too-low"),
    ]
    if rank < 3:  # a higher-rank input reaches a Keras op that fails to unpack output_size
        bad_inputs.append(BadInput({"output_size": 2}, None, (2, *spatial, 3, 3), match=ndim_error(name, rank + 2, rank + 3),
                                   id="rank-too-high"))
    return LayerSpec(
        name=name,
        samples=samples,
        sampler=_adaptive_sampler(rank, kind),
        bad_configs=bad_configs,
        bad_inputs=bad_inputs,
        xfails=_NO_TF_FLOAT16_3D if rank == 3 else [],
    )


ADAPTIVE_SPECS = [_adaptive_spec(kind, rank) for kind in ("Average", "Max") for rank in (1, 2, 3)]


# ----------------------------------------------------------------------------- kinds Keras lacks
def _numpy_sampler(rank, reference, extra_config=None, pool_key="pool_size"):
    window = _window_sampler(rank, pool_key=pool_key)

    def sample(rng) -> Sample:
        base = window(rng)
        config = {**base.config, **(extra_config(rng) if extra_config else {})}
        if config["strides"] is None:
            del config["strides"]
        return Sample(config, base.inputs, reference=reference)

    return sample


def _lp_spec(rank, fixed_p=False):
    name = f"L2Pooling{rank}D" if fixed_p else f"LPPooling{rank}D"
    spatial = {1: (9,), 2: (7, 6)}[rank]
    base = {} if fixed_p else {"norm_type": 3}
    samples = [
        Sample({**base}, (2, *spatial, 3), reference=refs.lp_pool, id="default"),
        Sample({**base, "pool_size": 3, "strides": 2, "padding": "same"}, (2, *spatial, 2), reference=refs.lp_pool,
               id="same-asymmetric"),
        Sample({**base, "pool_size": 4, "strides": 3, "padding": "same", "data_format": "channels_first"},
               (2, 2, *spatial), reference=refs.lp_pool, id="channels-first-same"),
        Sample({**base, "pool_size": 2, "strides": 1}, (1, *spatial, 2), reference=refs.lp_pool, id="overlapping"),
    ]
    if not fixed_p:
        samples += [
            Sample({"norm_type": 1, "pool_size": 3, "padding": "same"}, (2, *spatial, 2), reference=refs.lp_pool, id="p=1"),
            Sample({"norm_type": 2.5, "pool_size": 2, "strides": 3}, (2, *spatial, 2), reference=refs.lp_pool, id="p=2.5"),
        ]
    extra = None if fixed_p else (lambda rng: {"norm_type": float(rng.choice([1.0, 2.0, 3.0, 1.5]))})
    bad_configs = [({"pool_size": 0}, "pool_size=0"), ({"padding": "full"}, "unknown-padding"), ({"strides": 0}, "strides=0")]
    if not fixed_p:
        bad_configs += [({"norm_type": 0.5}, "norm_type<1"), ({"norm_type": float("inf")}, "infinite-norm_type"),
                        ({"norm_type": "2"}, "string-norm_type")]
    else:
        bad_configs += [({"norm_type": 3}, "norm_type-is-fixed")]
    return LayerSpec(name=name, samples=samples,
                     sampler=_numpy_sampler(rank, refs.lp_pool, extra),
                     bad_configs=bad_configs, bad_inputs=_window_bad(name, rank, {}, keras_rejects=False, small_keras_rejects=False))


def _mean_shift_spec(rank):
    name = f"MeanShiftPooling{rank}D"
    spatial = {1: (9,), 2: (7, 6)}[rank]
    ref = refs.mean_shift_pool
    samples = [
        Sample({}, (2, *spatial, 3), reference=ref, id="default"),
        Sample({"pool_size": 3, "strides": 2, "padding": "same"}, (2, *spatial, 2), reference=ref, id="same-asymmetric"),
        Sample({"pool_size": 4, "strides": 3, "padding": "same", "data_format": "channels_first"}, (2, 2, *spatial),
               reference=ref, id="channels-first-same"),
        Sample({"pool_size": 3, "strides": 1}, (1, *spatial, 2), reference=ref, id="overlapping"),
    ]
    return LayerSpec(name=name, samples=samples, sampler=_numpy_sampler(rank, ref),
                     bad_configs=[({"pool_size": 0}, "pool_size=0"), ({"padding": 3}, "non-string-padding")],
                     bad_inputs=_window_bad(name, rank, {}, keras_rejects=False, small_keras_rejects=False))


def _overlapping_sampler(rng) -> Sample:
    pool = tuple(int(k) for k in rng.integers(2, 5, size=2))
    strides = tuple(int(rng.integers(1, k)) for k in pool)
    data_format = str(rng.choice(["channels_last", "channels_first"]))
    config = {"pool_size": pool, "strides": strides, "padding": str(rng.choice(["valid", "same"])),
              "data_format": data_format, "pool_mode": str(rng.choice(["max", "average"]))}
    spatial = tuple(k + int(rng.integers(0, 6)) for k in pool)
    return Sample(config, _shape(int(rng.integers(1, 3)), spatial, int(rng.integers(1, 4)), data_format),
                  reference=refs.overlapping_pool)


OVERLAPPING = LayerSpec(
    name="OverlappingPooling2D",
    samples=[
        Sample({}, (2, 13, 13, 3), reference=refs.overlapping_pool, id="alexnet-3x3-stride2"),
        Sample({"pool_mode": "average"}, (2, 9, 8, 2), reference=refs.overlapping_pool, id="average"),
        Sample({"padding": "same"}, (2, 8, 7, 2), reference=refs.overlapping_pool, id="same-(0,1)-(1,1)"),
        Sample({"pool_mode": "average", "padding": "same", "pool_size": (4, 3), "strides": (3, 1),
                "data_format": "channels_first"}, (1, 2, 6, 5), reference=refs.overlapping_pool, id="average-same-channels-first"),
    ],
    sampler=_overlapping_sampler,
    bad_configs=[
        ({"pool_size": 3, "strides": 3}, "strides-equal-pool"),
        ({"pool_size": 2, "strides": (1, 3)}, "strides-larger-than-pool"),
        ({"pool_mode": "min"}, "unknown-pool_mode"),
        ({"pool_size": 0}, "pool_size=0"),
    ],
    bad_inputs=_window_bad("OverlappingPooling2D", 2, {}, keras_rejects=False)[:2],
)


def _two_maps(shape_a, shape_b):
    def make(rng):
        return [[rng.standard_normal(shape_a), rng.standard_normal(shape_b)]], {}

    return make


def _bilinear_sample(rng, reference, config) -> Sample:
    """One or two maps of rank 3-5, random flags and data_format (float64: gradcheck runs there)."""
    rank = int(rng.integers(1, 4))
    spatial = tuple(int(n) for n in rng.integers(1, 5, size=rank))
    data_format = str(rng.choice(["channels_last", "channels_first"]))
    config = {**config, "data_format": data_format, "signed_sqrt": bool(rng.integers(2)),
              "l2_normalize": bool(rng.integers(2))}
    batch = int(rng.integers(1, 3))
    shape_a = _shape(batch, spatial, int(rng.integers(1, 5)), data_format)
    if rng.random() < 0.5:
        return Sample(config, shape_a, reference=reference, dtypes=("float64",))
    shape_b = _shape(batch, spatial, int(rng.integers(1, 5)), data_format)
    return Sample(config, make_inputs=_two_maps(shape_a, shape_b), reference=reference, dtypes=("float64",))


# "{}": the layer's name (str.format), then a regex.
_MAPS_DIFFER = r"{} \(.*argument `inputs`: both maps need the same batch and spatial sizes"

BILINEAR = LayerSpec(
    name="BilinearPooling",
    samples=[
        Sample({}, (2, 4, 5, 3), reference=refs.bilinear_pool, id="one-map"),
        Sample({}, make_inputs=_two_maps((2, 4, 3, 3), (2, 4, 3, 5)), reference=refs.bilinear_pool, id="two-maps"),
        Sample({"signed_sqrt": False, "l2_normalize": False}, make_inputs=_two_maps((2, 6, 2), (2, 6, 4)),
               reference=refs.bilinear_pool, id="plain-average-1d"),
        Sample({"l2_normalize": False}, (3, 2, 3, 2, 4), reference=refs.bilinear_pool, id="signed-sqrt-only-3d"),
        Sample({"data_format": "channels_first"}, make_inputs=_two_maps((2, 3, 4, 5), (2, 2, 4, 5)),
               reference=refs.bilinear_pool, id="channels-first"),
    ],
    sampler=lambda rng: _bilinear_sample(rng, refs.bilinear_pool, {}),
    bad_configs=[({"epsilon": 0}, "epsilon=0"), ({"data_format": "nhwc"}, "bad-data-format")],
    bad_inputs=[
        BadInput({}, None, (2, 5), match=r"BilinearPooling \(.*argument `inputs` must have rank >= 3",
                 keras_rejects=False, id="rank-2"),
        BadInput({}, None, [(2, 4, 4, 3), (2, 4, 5, 3)], match=_MAPS_DIFFER.format("BilinearPooling"),
                 keras_rejects=False, id="spatial-mismatch"),
        BadInput({}, None, [(2, 4, 4, 3), (3, 4, 4, 3)], match=_MAPS_DIFFER.format("BilinearPooling"),
                 keras_rejects=False, id="batch-mismatch"),
        BadInput({}, None, [(2, 4, 4, 3), (2, 4, 4, 3), (2, 4, 4, 3)],
                 match=r"BilinearPooling \(.*argument `inputs` must be one tensor or a list of 2; received 3",
                 keras_rejects=False, id="three-maps"),
    ],
)

COMPACT_BILINEAR = LayerSpec(
    name="CompactBilinearPooling",
    samples=[
        Sample({"output_dim": 16, "seed": 1}, (2, 4, 5, 3), reference=refs.compact_bilinear_pool, id="one-map"),
        Sample({"output_dim": 32, "seed": 2}, make_inputs=_two_maps((2, 4, 3, 6), (2, 4, 3, 5)),
               reference=refs.compact_bilinear_pool, id="two-maps"),
        Sample({"output_dim": 8, "seed": 3, "signed_sqrt": False, "l2_normalize": False},
               make_inputs=_two_maps((2, 6, 4), (2, 6, 3)), reference=refs.compact_bilinear_pool, id="plain-1d"),
        Sample({"output_dim": 12, "seed": 4, "data_format": "channels_first"}, make_inputs=_two_maps((2, 5, 3, 4), (2, 2, 3, 4)),
               reference=refs.compact_bilinear_pool, id="channels-first-odd-dim"),
    ],
    sampler=lambda rng: _bilinear_sample(rng, refs.compact_bilinear_pool,
                                         {"output_dim": int(rng.integers(2, 20)), "seed": int(rng.integers(0, 100))}),
    bad_configs=[({"output_dim": 0}, "output_dim=0"), ({"seed": "x"}, "string-seed"), ({"epsilon": -1.0}, "negative-epsilon")],
    bad_inputs=[
        BadInput({"output_dim": 8}, None, (2, 5), match=r"CompactBilinearPooling \(.*argument `inputs` must have rank >= 3",
                 keras_rejects=False, id="rank-2"),
        BadInput({"output_dim": 8}, None, [(2, 4, 4, 3), (2, 4, 5, 3)], match=_MAPS_DIFFER.format("CompactBilinearPooling"),
                 keras_rejects=False, id="spatial-mismatch"),
        BadInput({"output_dim": 8}, (2, 4, 4, 3), (2, 4, 4, 5),
                 match=r"CompactBilinearPooling \(.*built for 3 channels in this map; received shape \(2, 4, 4, 5\)",
                 keras_rejects=False, id="channels-change-after-build"),
    ],
)

OTHER_SPECS = [_lp_spec(1), _lp_spec(2), _lp_spec(1, fixed_p=True), _lp_spec(2, fixed_p=True),
               _mean_shift_spec(1), _mean_shift_spec(2), OVERLAPPING, BILINEAR, COMPACT_BILINEAR]

SPECS = [*WINDOW_SPECS, *GLOBAL_SPECS, *ADAPTIVE_SPECS, *OTHER_SPECS]
