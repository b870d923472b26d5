"""Error parity: what Keras rejects, we reject, with ValueError/TypeError naming the layer."""

import numpy as np
import pytest

from .harness import _fill, to_tf, to_torch
from .registry import all_specs

BAD_CONFIGS = [pytest.param(spec, cfg, why, id=f"{spec.name}-{why}") for spec in all_specs() for cfg, why in spec.bad_configs]
BAD_INPUTS = [pytest.param(spec, bad, id=f"{spec.name}-{bad.id or i}") for spec in all_specs() for i, bad in enumerate(spec.bad_inputs)]


@pytest.mark.parametrize("spec,config,why", BAD_CONFIGS)
def test_bad_config(spec, config, why):
    with pytest.raises((ValueError, TypeError)) as ours:
        spec.cls(**config)
    assert spec.name in str(ours.value) or spec.cls.__name__ in str(ours.value), f"message must name the layer: {ours.value}"
    if spec.has_keras_reference:
        keras_cls = spec.keras_cls()  # looked up outside `raises`: a missing class is an error, not a rejection
        with pytest.raises(Exception):
            keras_cls(**config)


@pytest.mark.parametrize("spec,bad", BAD_INPUTS)
def test_bad_input(spec, bad):
    rng = np.random.default_rng(0)
    module = spec.cls(**bad.config)
    module.eval()
    if bad.build_shape is not None:
        module(*to_torch([_fill(bad.build_shape, rng).astype(np.float32)]), **to_torch(bad.call_kwargs))
    data = _fill(bad.bad_inputs, rng)
    data = [d.astype(np.float32) for d in data] if isinstance(data, list) else data.astype(np.float32)
    with pytest.raises((ValueError, TypeError)) as ours:
        module(to_torch(data), **to_torch(bad.call_kwargs))
    assert spec.name in str(ours.value) or spec.cls.__name__ in str(ours.value), f"message must name the layer: {ours.value}"
    if bad.keras_rejects:
        config = spec.keras_config(bad.config, bad.reference) if spec.keras_config else bad.config
        layer = spec.keras_cls(bad.reference)(**config)
        with pytest.raises(Exception):
            if bad.build_shape is not None:
                layer(to_tf(_fill(bad.build_shape, rng).astype(np.float32)), **to_tf(bad.call_kwargs))
            layer(to_tf(data), **to_tf(bad.call_kwargs))
