"""Weights and configs move both ways: Keras weights into our module, configs through Keras'
from_config and back, and `from_keras`/`to_keras` round trips."""

import numpy as np
import pytest

import torchkeras_layers as tkl

from .harness import (
    as_numpy,
    build_keras,
    build_module,
    flat_tensors,
    make_call,
    reference_config,
    run_sample,
    to_tf,
    to_torch,
)
from .registry import all_specs
from .tolerances import FORWARD, assert_close


def _first_keras_sample(spec):
    for sample in spec.samples:
        if sample.reference == "keras":
            return sample
    return None


KERAS_SPECS = [pytest.param(s, id=s.name, marks=s.marks("weights"))
               for s in all_specs() if _first_keras_sample(s) is not None]


@pytest.mark.parametrize("spec", KERAS_SPECS)
def test_keras_weights_into_module(spec):
    """The reverse direction: a Keras layer's own (random) weights copied into ours."""
    for sample in [s for s in spec.samples if s.reference == "keras"][:5]:
        run_sample(spec, sample, "float32", direction="keras_to_ours")


@pytest.mark.parametrize("spec", KERAS_SPECS)
def test_config_round_trip(spec):
    for sample in [s for s in spec.samples if s.reference == "keras"]:
        rng = np.random.default_rng(0)
        args, kwargs = make_call(sample, rng, "float32")
        module = build_module(spec, sample, "float32", args, kwargs)
        config = module.get_config()
        keras_layer = spec.keras_from_config(reference_config(spec, module, "keras"))
        assert _normalized(keras_layer.get_config()) == _normalized(config), \
            f"{spec.name}: Keras rebuilds a different config"
        again = spec.module_from_config(keras_layer.get_config())
        assert _normalized(again.get_config()) == _normalized(config)


def _normalized(obj):
    """Floats rounded to float32: Keras' L1 keeps its factor as a float32 tensor, so its config
    reports 0.01 as 0.009999999776482582."""
    if isinstance(obj, float):
        return float(np.float32(obj))
    if isinstance(obj, dict):
        return {k: _normalized(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_normalized(v) for v in obj]
    return obj


@pytest.mark.parametrize("spec", KERAS_SPECS)
def test_from_keras_to_keras(spec):
    sample = _first_keras_sample(spec)
    rng = np.random.default_rng(0)
    args, kwargs = make_call(sample, rng, "float32")
    module = build_module(spec, sample, "float32", args, kwargs)
    keras_layer = build_keras(spec, sample, module, args, kwargs, copy_weights=False)  # Keras' own weights
    ported = tkl.from_keras(keras_layer)
    assert type(ported) is spec.cls
    for a, b in zip(ported.get_weights(), keras_layer.get_weights()):
        np.testing.assert_array_equal(a, b)
    back = tkl.to_keras(ported)
    assert type(back) is type(keras_layer)
    assert back.get_config() == keras_layer.get_config()
    for a, b in zip(back.get_weights(), keras_layer.get_weights()):
        np.testing.assert_array_equal(a, b)
    ported.eval()
    mode = {} if sample.training is None else {"training": sample.training}  # Keras augmentation: default True
    ours = flat_tensors(ported(*to_torch(args), **mode))
    theirs = flat_tensors(keras_layer(*to_tf(args), **mode))
    for a, b in zip(ours, theirs):
        assert_close(as_numpy(a), np.asarray(b), FORWARD["float32"], f"{spec.name} from_keras forward")


@pytest.mark.parametrize("name,config", [("Dense", {"units": 3}), ("Conv1D", {"filters": 2, "kernel_size": 2})])
def test_bfloat16_weights_move_both_ways_bit_for_bit(name, config):
    """numpy has no bfloat16: Keras' get_weights() returns `ml_dtypes.bfloat16` arrays, which set_weights
    reads bit for bit; ours returns their exact float32 values, which Keras' set_weights takes back."""
    import keras

    shape = (2, 4, 3) if name == "Conv1D" else (2, 3)
    theirs = getattr(keras.layers, name)(**config, dtype="bfloat16", bias_initializer="random_normal")
    theirs.build(shape)
    ours = getattr(tkl.layers, name)(**config, dtype="bfloat16")
    ours.build(shape)
    ours.set_weights(theirs.get_weights())
    mine = ours.get_weights()
    assert [w.dtype for w in mine] == [np.float32] * len(mine)
    for a, b in zip(mine, theirs.get_weights()):
        np.testing.assert_array_equal(a, b.astype(np.float32))
    fresh = getattr(keras.layers, name)(**config, dtype="bfloat16")
    fresh.build(shape)
    fresh.set_weights(mine)
    for a, b in zip(fresh.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(a.view(np.uint16), b.view(np.uint16))
