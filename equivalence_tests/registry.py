"""The registry of layer specs (PyTorch's OpInfo idea): configs, input makers, references, expected
errors and known failures, in one place per layer.

Each module in `equivalence_tests/specs/` defines ``SPECS: list[LayerSpec]``. Generic tests
(`test_*.py`) consume every spec; adding a layer to the suite means adding a spec, not a test file.

A :class:`Sample` is one configuration plus the inputs to call it with. Inputs are described by shapes
(filled from a seeded generator) or made by `make_inputs`. A spec has hand-picked `samples` and a
`sampler(rng) -> Sample` for generated ones (fixed seeds in CI; ``TKL_FUZZ_EXAMPLES=N`` for long runs).

How to add a layer
------------------
1. Implement it as ``torchkeras_layers.layers.<KerasName>`` (the spec finds both classes by that
   name: ours in ``torchkeras_layers.layers``, the reference in ``keras.layers`` or ``tf_keras.layers``;
   pass ``torch_class=`` / ``keras_class=`` only where a spec needs another class, see `layer_class`).
2. Add a ``LayerSpec`` to the family's module in ``equivalence_tests/specs/`` (or a new module there
   with its own ``SPECS`` list; every module of the package is collected):

       from ..registry import BadInput, LayerSpec, Sample, ndim_error

       REPEAT_VECTOR = LayerSpec(
           name="RepeatVector",
           samples=[Sample({"n": 3}, (2, 4)), Sample({"n": 1}, (5, 1))],   # (config, input shape)
           sampler=_repeat_sample,                       # rng -> Sample, for the generated cases
           bad_configs=[({"n": 0}, "zero")],             # (config, id): both frameworks must reject it
           bad_inputs=[BadInput({"n": 2}, None, (2, 3, 4), error=ValueError,
                                match=ndim_error("RepeatVector", 2, 3), id="rank-3")],
       )
       SPECS = [FLATTEN, PERMUTE, REPEAT_VECTOR, RESHAPE]    # specs/reshaping.py

3. Run ``pytest equivalence_tests -k RepeatVector``: forward, gradients and state against Keras in
   float32 and float64 (`test_equivalence.py`), weights both ways and configs (`test_weights.py`),
   error parity (`test_errors.py`), compile/export/ONNX/autocast/state_dict/double
   (`test_compile_export.py`).
4. Where Keras is wrong or has no such layer, give the sample a numpy ``reference`` (and say why in a
   comment); where one of our checks fails for a reason out of reach, add ``XFail(check, reason,
   sample)`` to the spec's ``xfails`` (strict: a fix makes it fail until the entry is removed).
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
    """Inputs that must be rejected at the first forward (after build), with `error` and a message
    matching the regex `match` (it names the layer and what is wrong)."""

    config: dict
    build_shape: Any  # the shape the layer is first called (built) with; None = don't pre-build
    bad_inputs: Any  # shape(s) of the offending call, like Sample.inputs
    error: type = ValueError
    match: str = ""  # regex, searched in str(error); must name the layer
    call_kwargs: dict = field(default_factory=dict)
    keras_rejects: bool = True  # False only for documented deviations where Keras silently accepts
    id: str = ""
    reference: str = "keras"  # "tf_keras" for legacy arguments Keras 3 does not know


def ndim_error(name: str, expected: int | str, found: int) -> str:
    """The `match` regex of the InputSpec rank check every layer shares (expected: 3 or "min_ndim=2")."""
    expected = expected if isinstance(expected, str) else f"ndim={expected}"
    return rf"layer {name} \(.*expected {expected}, found ndim={found}"


CHECKS = ("equivalence", "weights", "errors", "compile", "export", "onnx", "autocast", "state_dict", "double", "policy")


@dataclass(frozen=True)
class XFail:
    """A known failure of one generic check on this spec: a strict xfail (a fix turns it into an XPASS
    failure until the entry is removed). `sample`: a sample's label (for "errors": a bad config's id or
    a BadInput's id), or None for every case of the check; "weights" runs per spec, so None there."""

    check: str  # one of CHECKS
    reason: str
    sample: str | None = None

    def __post_init__(self):
        if self.check not in CHECKS:
            raise ValueError(f"XFail: unknown check {self.check!r}; expected one of {CHECKS}")


def layer_class(name: str, framework: str = "torchkeras_layers") -> type:
    """The class a spec named `name` tests: ours (``torchkeras_layers.layers.<name>``) or the Keras class it
    mirrors, by the Keras module and class in `torchkeras_layers.registry` (``keras.layers.<name>``, or a
    source module such as ``keras.src.applications.convnext``), or tf_keras' of the same name. Imported
    lazily, so importing the registry stays cheap. The one place that maps a spec name to classes."""
    from torchkeras_layers import layers, registry

    if framework == "torchkeras_layers":
        return getattr(layers, name)
    if framework == "keras":
        entry = registry.entry_of(getattr(layers, name, None))
        if entry is not None and not entry.torch_only:
            return entry.keras_class()
        from keras import layers as keras_layers

        return getattr(keras_layers, name)
    if framework == "tf_keras":
        from tf_keras import layers as tf_keras_layers

        return getattr(tf_keras_layers, name)
    raise ValueError(f"layer_class: unknown framework {framework!r}; expected torchkeras_layers, keras or tf_keras")


@dataclass
class LayerSpec:
    name: str  # the Keras class name, e.g. "Dense"
    samples: list[Sample]
    sampler: Callable[[np.random.Generator], Sample] | None = None
    torch_class: Callable[[], type] | None = None  # override of layer_class(name); none needs one today
    keras_class: Callable[[str], type] | None = None  # (reference) -> class; override of layer_class(name, reference)
    bad_configs: list[tuple[dict, str]] = field(default_factory=list)  # (config, why Keras rejects it)
    bad_inputs: list[BadInput] = field(default_factory=list)
    keras_build: Callable | None = None  # (keras_layer, args, kwargs) -> None, when a plain call can't build it
    keras_config: Callable[[dict, str], dict] | None = None  # (our config, reference) -> the reference's config
    from_config_kwargs: dict = field(default_factory=dict)  # extra from_config arguments for both (custom_objects)
    xfails: list[XFail] = field(default_factory=list)

    def module_from_config(self, config: dict):
        return self.cls.from_config(config, **self.from_config_kwargs)

    def keras_from_config(self, config: dict, reference: str = "keras"):
        return self.keras_cls(reference).from_config(config, **self.from_config_kwargs)

    @property
    def cls(self) -> type:
        return self.torch_class() if self.torch_class is not None else layer_class(self.name)

    @property
    def has_keras_reference(self) -> bool:
        """False for layers Keras lacks (LPPooling, BilinearPooling, ...): every sample is numpy-checked."""
        return any(isinstance(s.reference, str) for s in self.samples)

    def keras_cls(self, reference: str = "keras"):
        return self.keras_class(reference) if self.keras_class is not None else layer_class(self.name, reference)

    def xfail_reason(self, check: str, sample_label: str | None = None) -> str | None:
        """Why `check` is known to fail on this spec (for that sample), or None."""
        if check not in CHECKS:
            raise ValueError(f"xfail_reason: unknown check {check!r}; expected one of {CHECKS}")
        for xfail in self.xfails:
            if xfail.check == check and xfail.sample in (None, sample_label):
                return xfail.reason
        return None

    def marks(self, check: str, sample_label: str | None = None) -> list:
        """pytest marks for one parametrized case of a generic check: a strict xfail where known."""
        import pytest

        reason = self.xfail_reason(check, sample_label)
        return [pytest.mark.xfail(strict=True, reason=reason)] if reason else []

    def generated_samples(self, count: int = FUZZ_EXAMPLES, seed: int = FUZZ_SEED) -> list[Sample]:
        if self.sampler is None:
            return []
        out = []
        for i in range(count):
            sample = self.sampler(np.random.default_rng([seed, i, _stable_hash(self.name)]))
            sample.id = sample.id or f"fuzz{seed}-{i}"
            out.append(sample)
        return out


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


def spec_params(kind: str = "samples", check: str = "equivalence"):
    """(spec, sample, dtype) as pytest params with readable ids and the spec's xfail marks for `check`:
    hand-picked samples in each of their dtypes, generated ones in their first dtype. A sample limited
    to float32 (TensorFlow has no float64 kernel for it) simply has no float64 param — nothing is
    skipped at run time."""
    import pytest

    params = []
    for spec in all_specs():
        samples = spec.samples if kind == "samples" else spec.generated_samples()
        for i, sample in enumerate(samples):
            dtypes = sample.dtypes if kind == "samples" else sample.dtypes[:1]
            for dtype in dtypes:
                params.append(pytest.param(spec, sample, dtype, id=f"{dtype}-{spec.name}-{i}-{sample.label()}",
                                           marks=spec.marks(check, sample.label())))
    return params
