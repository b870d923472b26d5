"""The registry of layer specs (PyTorch's OpInfo idea): configs, input makers, references.

Each module in `equivalence_tests/specs/` defines ``SPECS: list[LayerSpec]``. Generic tests
(`test_*.py`) consume every spec; adding a layer to the suite means adding a spec, not a test file.

A :class:`Sample` is one configuration plus the inputs to call it with. Inputs are described by shapes
(filled from a seeded generator) or made by `make_inputs`. A spec has hand-picked `samples` and a
`sampler(rng) -> Sample` for generated ones (fixed seeds in CI; ``TKL_FUZZ_EXAMPLES=N`` for long runs).
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

FUZZ_EXAMPLES = int(os.environ.get("TKL_FUZZ_EXAMPLES", "20"))
FUZZ_SEED = int(os.environ.get("TKL_FUZZ_SEED", "0"))


@dataclass
class Sample:
    """One configuration of a layer and how to call it.

    inputs: the first positional argument: a shape tuple (one tensor) or a list of shape tuples (a
        list input, as merge layers take). Floating inputs are standard normal unless `make_inputs`.
    extra_args: shapes of further positional tensors (e.g. MultiHeadAttention's value, key).
    call_kwargs: keyword arguments for both calls; numpy arrays (masks) are converted per framework.
    training: passed as `training=` when not None.
    steps: forward(+backward) passes with fresh inputs; weights/state are compared after all of them.
    make_inputs: rng -> (args list, kwargs dict) in numpy, replacing `inputs`/`extra_args`/`call_kwargs`.
    reference: "keras" (Keras 3), "tf_keras", or a numpy function
        ``ref(config, args, kwargs, weights) -> output(s)`` where Keras has no such layer or has a
        confirmed bug (the README lists those deviations).
    keras_setup: called with the built Keras layer before weights are copied (e.g. Keras quirks).
    """

    config: dict
    inputs: Any = None
    extra_args: tuple = ()
    call_kwargs: dict = field(default_factory=dict)
    training: bool | None = None
    steps: int = 1
    make_inputs: Callable[[np.random.Generator], tuple[list, dict]] | None = None
    reference: Any = "keras"
    keras_setup: Callable | None = None
    grad: bool = True
    dtypes: tuple = ("float32", "float64")
    id: str | None = None

    def label(self) -> str:
        if self.id:
            return self.id
        parts = [f"{k}={getattr(v, '__name__', v)}" for k, v in self.config.items() if not isinstance(v, dict)]
        return ",".join(parts)[:80] or "default"


@dataclass
class BadInput:
    """Inputs that must be rejected with ValueError/TypeError at the first forward (after build)."""

    config: dict
    build_shape: Any  # the shape the layer is first called (built) with; None = don't pre-build
    bad_inputs: Any  # shape(s) of the offending call, like Sample.inputs
    call_kwargs: dict = field(default_factory=dict)
    keras_rejects: bool = True  # False only for documented deviations where Keras silently accepts
    id: str = ""
    reference: str = "keras"  # "tf_keras" for legacy arguments Keras 3 does not know


@dataclass
class LayerSpec:
    name: str  # the Keras class name, e.g. "Dense"
    module: Callable[[], type]  # -> our class (lazy, so importing the registry is cheap)
    samples: list[Sample]
    sampler: Callable[[np.random.Generator], Sample] | None = None
    keras_class: Callable[[], type] | None = None  # default: keras.layers.<name>
    bad_configs: list[tuple[dict, str]] = field(default_factory=list)  # (config, why Keras rejects it)
    bad_inputs: list[BadInput] = field(default_factory=list)
    keras_build: Callable | None = None  # (keras_layer, args, kwargs) -> None, when a plain call can't build it
    keras_config: Callable[[dict, str], dict] | None = None  # (our config, reference) -> the reference's config
    from_config_kwargs: dict = field(default_factory=dict)  # extra from_config arguments for both (custom_objects)

    def module_from_config(self, config: dict):
        return self.cls.from_config(config, **self.from_config_kwargs)

    def keras_from_config(self, config: dict, reference: str = "keras"):
        return self.keras_cls(reference).from_config(config, **self.from_config_kwargs)

    @property
    def cls(self) -> type:
        return self.module()

    @property
    def has_keras_reference(self) -> bool:
        """False for layers Keras lacks (LPPooling, BilinearPooling, ...): every sample is numpy-checked."""
        return any(isinstance(s.reference, str) for s in self.samples)

    def keras_cls(self, reference: str = "keras"):
        if self.keras_class is not None:
            return self.keras_class()
        if reference == "tf_keras":
            import tf_keras

            return getattr(tf_keras.layers, self.name)
        import keras

        return getattr(keras.layers, self.name)

    def generated_samples(self, count: int = FUZZ_EXAMPLES, seed: int = FUZZ_SEED) -> list[Sample]:
        if self.sampler is None:
            return []
        out = []
        for i in range(count):
            sample = self.sampler(np.random.default_rng([seed, i, _stable_hash(self.name)]))
            sample.id = sample.id or f"fuzz{seed}-{i}"
            out.append(sample)
        return out

    def all_samples(self) -> list[Sample]:
        return list(self.samples) + self.generated_samples()


def _stable_hash(text: str) -> int:
    return sum((i + 1) * ord(c) for i, c in enumerate(text))


def all_specs() -> list[LayerSpec]:
    from . import specs as specs_pkg

    found = []
    for info in sorted(pkgutil.iter_modules(specs_pkg.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{specs_pkg.__name__}.{info.name}")
        found.extend(getattr(module, "SPECS", []))
    names = [s.name for s in found]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise RuntimeError(f"duplicate layer specs: {sorted(duplicates)}")
    return found


def spec_params(kind: str = "samples"):
    """(spec, sample, dtype) as pytest params with readable ids: hand-picked samples in each of their
    dtypes, generated ones in their first dtype. A sample limited to float32 (TensorFlow has no float64
    kernel for it) simply has no float64 param — nothing is skipped at run time."""
    import pytest

    params = []
    for spec in all_specs():
        samples = spec.samples if kind == "samples" else spec.generated_samples()
        for i, sample in enumerate(samples):
            dtypes = sample.dtypes if kind == "samples" else sample.dtypes[:1]
            for dtype in dtypes:
                params.append(pytest.param(spec, sample, dtype, id=f"{dtype}-{spec.name}-{i}-{sample.label()}"))
    return params
