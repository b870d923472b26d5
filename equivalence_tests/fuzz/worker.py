"""The worker process: runs one side (ours or Keras) of a draw per request, so that a crash or a hang
of one draw costs a worker restart, not the test run.

Protocol: length-prefixed pickles on stdin/stdout; the real stdout is redirected to stderr so that
library prints cannot corrupt it. A request is ``("ours", draw)`` or ``("keras", draw, weights)``.
"""

from __future__ import annotations

import os
import pickle
import struct
import sys

MEMORY_LIMIT = 12 * 2**30  # address space: a runaway allocation fails here instead of swapping the machine


def _limit_resources() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _exception(stage: str, exc: BaseException) -> dict:
    return {"status": "rejected", "stage": stage, "type": type(exc).__name__,
            "clean": isinstance(exc, (ValueError, TypeError)), "message": str(exc)[:500]}


def run_ours(spec, draw) -> dict:
    import numpy as np
    import torch

    from ..harness import _without, as_numpy, flat_tensors
    from .draws import call_of, config_of

    sample = spec.samples[draw.sample]
    dtype = sample.dtypes[0]
    try:
        config = config_of(spec, draw)
        module = spec.cls(**{"dtype": dtype, **config})
    except Exception as exc:  # noqa: BLE001 - the classification is the point
        return _exception("config", exc)
    args, kwargs, args_t, kwargs_t = call_of(spec, draw, dtype)
    try:
        module.eval()
        with torch.no_grad():
            module(*args_t, **_without(kwargs_t, "training"))  # builds; touches no state
            weights = module.get_weights()
            module.train(bool(sample.training))
            call_kwargs = dict(kwargs_t) if sample.training is None else {**kwargs_t, "training": sample.training}
            outputs = [as_numpy(o) for o in flat_tensors(module(*args_t, **call_kwargs))]
    except Exception as exc:  # noqa: BLE001
        return _exception("call", exc)
    finite = all(np.isfinite(a).all() for a in flat_tensors(args) + flat_tensors(kwargs)
                 if isinstance(a, np.ndarray) and np.issubdtype(a.dtype, np.number))
    input_dtype = args_t[0][0].dtype if isinstance(args_t[0], list) else args_t[0].dtype
    return {"status": "ok", "outputs": outputs, "weights": weights, "input_finite": finite,
            "input_dtype": str(input_dtype).removeprefix("torch.")}


def _holds_serialized_layer(config: dict) -> bool:
    def serialized(value) -> bool:
        if isinstance(value, (list, tuple)):
            return any(serialized(v) for v in value)
        return isinstance(value, dict) and "class_name" in value and "config" in value

    return any(serialized(value) for value in config.values())


def run_keras(spec, draw, weights) -> dict:
    from ..harness import _without, keras_step, to_tf
    from .draws import call_of, config_of

    sample = spec.samples[draw.sample]
    dtype = sample.dtypes[0]
    try:
        config = config_of(spec, draw)
        config = spec.keras_config(config, sample.reference) if spec.keras_config else config
        if _holds_serialized_layer(config):  # wrappers: Keras' constructors take instances, from_config dicts
            layer = spec.keras_from_config({"dtype": dtype, **config}, sample.reference)
        else:
            layer = spec.keras_cls(sample.reference)(**{"dtype": dtype, **config})
    except Exception as exc:  # noqa: BLE001
        return _exception("config", exc)
    args, kwargs, _, _ = call_of(spec, draw, dtype)
    try:
        if spec.keras_build is not None:
            spec.keras_build(layer, args, kwargs)
        else:
            layer(*to_tf(args), **to_tf(_without(kwargs, "training")))
        if sample.keras_setup is not None:
            sample.keras_setup(layer)
        if weights is not None:
            layer.set_weights(weights)
        result = keras_step(layer, args, kwargs, sample.training, None, False)
    except Exception as exc:  # noqa: BLE001
        return _exception("call", exc)
    return {"status": "ok", "outputs": result["outputs"]}


def _read(stream):
    header = stream.read(8)
    if len(header) < 8:
        return None
    (size,) = struct.unpack("<Q", header)
    return pickle.loads(stream.read(size))


def _write(stream, obj) -> None:
    data = pickle.dumps(obj)
    stream.write(struct.pack("<Q", len(data)) + data)
    stream.flush()


def main() -> None:
    reply = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    from torchkeras_layers.testing import use_reference_environment

    use_reference_environment()
    import tensorflow as tf
    import torch

    # The machine's cores are shared: one thread each, and no oversubscription between frameworks.
    torch.set_num_threads(1)
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    import warnings

    import keras  # noqa: F401

    warnings.simplefilter("ignore")
    from ..registry import all_specs

    specs = {s.name: s for s in all_specs()}
    _limit_resources()
    _write(reply, "ready")
    requests = sys.stdin.buffer
    while (request := _read(requests)) is not None:
        kind, draw, *rest = request
        spec = specs[draw.spec]
        _write(reply, run_ours(spec, draw) if kind == "ours" else run_keras(spec, draw, *rest))


if __name__ == "__main__":
    main()

