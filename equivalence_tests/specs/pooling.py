"""The pooling family: Keras' max/average (1D/2D/3D), global and adaptive pooling against Keras, and
the kinds Keras lacks (LP, mean-shift, bilinear, overlapping) against the numpy references in
`numpy_refs_pooling.py`. Input sizes are chosen so that TF 'same' padding is asymmetric (and depends
on n mod stride), strides range over 1-3 (including strides larger than the pool)."""

from __future__ import annotations

import numpy as np

from .. import numpy_refs_pooling as refs
from ..registry import BadInput, LayerSpec, Sample


def _cls(name):
    def load():
        from torchkeras_layers import layers

        return getattr(layers, name)

    return load


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
    """The seed's example: MaxPooling1D(pool_size=2) on [1, 2, 4, 3, 1, 5] -> [2, 4, 5]."""
    return [np.array([1.0, 2.0, 4.0, 3.0, 1.0, 5.0]).reshape(1, 6, 1)], {}


def _seed_expected(config, args, kwargs, weights):
    return np.array([2.0, 4.0, 5.0]).reshape(1, 3, 1)  # stated by the issue, not computed


# 'same' splits verified in keras_semantics.md §5: n=7,k=2,s=2 -> (0,1); n=6,k=3,s=2 -> (0,1);
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


def _window_bad(rank, base_config):
    spatial = (6,) * rank
    return [
        BadInput(base_config, None, (2, *spatial), id="rank-too-low"),
        BadInput(base_config, None, (2, *spatial, 3, 3), id="rank-too-high"),
        BadInput({**base_config, "pool_size": 4}, None, (2, *((3,) * rank), 2), id="pool-larger-than-valid-input"),
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
    numpy_ref = refs.max_pool if kind == "Max" else refs.avg_pool
    samples.append(Sample({"pool_size": 3, "strides": 2, "padding": "same"}, (2, *((7,) * rank), 2),
                          reference=numpy_ref, id="same-vs-numpy"))
    return LayerSpec(
        name=name,
        module=_cls(name),
        samples=samples,
        sampler=_window_sampler(rank),
        bad_configs=_window_bad_configs(rank),
        bad_inputs=_window_bad(rank, {"pool_size": 2}),
    )


WINDOW_SPECS = [_window_spec(kind, rank) for kind in ("Max", "Average") for rank in (1, 2, 3)]

SPECS = [*WINDOW_SPECS]
