"""Error parity: what Keras rejects, we reject, with the spec's error type and a message that matches
its pattern (naming the layer and what is wrong)."""

import numpy as np
import pytest

from .harness import _fill, to_tf, to_torch
from .registry import all_specs

BAD_CONFIGS = [pytest.param(spec, cfg, why, id=f"{spec.name}-{why}", marks=spec.marks("errors", why))
               for spec in all_specs() for cfg, why in spec.bad_configs]
BAD_INPUTS = [pytest.param(spec, bad, id=f"{spec.name}-{bad.id or i}", marks=spec.marks("errors", bad.id or str(i)))
              for spec in all_specs() for i, bad in enumerate(spec.bad_inputs)]


def _names_layer(spec, message: str) -> bool:
    return spec.name in message or spec.cls.__name__ in message


@pytest.mark.parametrize("spec,config,why", BAD_CONFIGS)
def test_bad_config(spec, config, why):
    with pytest.raises((ValueError, TypeError)) as ours:
        spec.cls(**config)
    assert _names_layer(spec, str(ours.value)), f"message must name the layer: {ours.value}"
    if spec.has_keras_reference:
        keras_cls = spec.keras_cls()  # looked up outside `raises`: a missing class is an error, not a rejection
        with pytest.raises(Exception):  # noqa: B017 - any rejection: Keras raises ValueError, TypeError or TF errors
            keras_cls(**config)


def _as_float32(data):
    return [d.astype(np.float32) for d in data] if isinstance(data, list) else data.astype(np.float32)


@pytest.mark.parametrize("spec,bad", BAD_INPUTS)
def test_bad_input(spec, bad):
    assert bad.match, f"{spec.name}[{bad.id}]: BadInput needs the expected message pattern (`match`)"
    rng = np.random.default_rng(0)
    build = _fill(bad.build_shape, rng).astype(np.float32) if bad.build_shape is not None else None
    data = _as_float32(_fill(bad.bad_inputs, rng))

    module = spec.cls(**bad.config)
    module.eval()
    if build is not None:
        module(to_torch(build), **to_torch(bad.call_kwargs))
    with pytest.raises(bad.error, match=bad.match) as ours:
        module(to_torch(data), **to_torch(bad.call_kwargs))
    assert type(ours.value) is bad.error, f"raised {type(ours.value).__name__}, the spec expects {bad.error.__name__}"
    assert _names_layer(spec, str(ours.value)), f"message must name the layer: {ours.value}"

    if bad.keras_rejects:
        config = spec.keras_config(bad.config, bad.reference) if spec.keras_config else bad.config
        # Constructed and built outside `raises`: only the offending call counts as Keras rejecting it.
        layer = spec.keras_cls(bad.reference)(**config)
        if build is not None:
            layer(to_tf(build), **to_tf(bad.call_kwargs))
        with pytest.raises(Exception):  # noqa: B017 - any rejection: Keras raises ValueError, TypeError or TF errors
            layer(to_tf(data), **to_tf(bad.call_kwargs))
