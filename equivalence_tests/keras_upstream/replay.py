"""Run Keras' own layer test methods, unchanged, against the layers an adapter hands out.

While a test module's cases run, the names it uses for layers (`layers.Dense`, `InputLayer`, ...)
resolve to the adapter's classes; Keras Models around a layer (`models.Model`, `Sequential`) are
not ours and make the case not applicable. Inside `TestCase.run_layer_test` (Keras' code, run
unchanged) the training check's `Model.fit` becomes the same step done with torch on our module
(forward in training mode, loss = sum of the outputs as Keras' TestLoss, backward, one SGD step),
and the count of Keras SeedGenerators, a Keras-only notion, is recorded as a skipped sub-check.

Every test method of every replayed file gets one outcome: pass, fail (with the error), or n/a
with a category of `adapter.CATEGORIES`.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import sys
import time
import traceback
import types
import unittest
from dataclasses import dataclass, field

import torch

from .adapter import AdaptedLayer, NotApplicable, TorchAdapter, _flatten, _map, to_torch
from .families import test_modules


@dataclass
class CaseResult:
    file: str  # e.g. "core/dense_test.py"
    test: str  # "DenseTest.test_dense_basics"
    outcome: str  # "pass" | "fail" | "n/a"
    category: str | None = None  # n/a category
    detail: str = ""  # error (fail) or reason (n/a)
    skipped_checks: list = field(default_factory=list)  # Keras-only sub-checks of a passing case

    @property
    def key(self) -> str:
        return f"{self.file}::{self.test}"


# --------------------------------------------------------------------------- Keras' test module world
def _conftest_shim():
    """Keras' repository conftest (not installed with the wheel): `skip_if_backend`."""
    import pytest
    from keras.src import backend

    shim = types.ModuleType("conftest")
    shim.skip_if_backend = lambda given_backend, reason: pytest.mark.skipif(
        backend.backend() == given_backend, reason=reason)
    return shim


def load_test_module(name: str, adapter):
    """A fresh copy of Keras' test module `name`, executed while `keras.src.layers` is the adapter's
    namespace and `keras.src.ops` the adapter's ops, so that layer classes captured at import time (in
    `parameterized` arguments, or subclassed: `class OneStateRNNCell(layers.Layer)`) are the adapter's
    too. Test modules it imports (stacked_rnn_cells_test imports rnn_test's cells) are loaded the same
    way and forgotten afterwards, so that each adapter gets its own."""
    import keras.src
    import keras.src.layers as keras_layers
    import keras.src.ops as keras_ops

    spec = importlib.util.find_spec(name)
    module = importlib.util.module_from_spec(spec)
    namespace, ops = _LayersNamespace(adapter, keras_layers), adapter.ops(keras_ops)
    saved = {key: sys.modules.get(key) for key in ("conftest", "keras.src.layers", "keras.src.ops")}
    before = set(sys.modules)
    sys.modules["conftest"] = _conftest_shim()
    sys.modules["keras.src.layers"], sys.modules["keras.src.ops"] = namespace, ops
    keras.src.layers, keras.src.ops = namespace, ops
    try:
        spec.loader.exec_module(module)
    finally:
        keras.src.layers, keras.src.ops = keras_layers, keras_ops
        for key, value in saved.items():
            if value is None:
                sys.modules.pop(key, None)
            else:
                sys.modules[key] = value
        for key in set(sys.modules) - before:
            if key.startswith("keras.src.") and key.endswith("_test"):
                del sys.modules[key]
    return module


class _LayersNamespace:
    """`keras.src.layers` as a test module sees it: the adapter's class where the port has the layer."""

    def __init__(self, adapter, keras_layers):
        self._adapter = adapter
        self._keras_layers = keras_layers

    def __getattr__(self, name):
        if self._adapter.covers(name):
            return self._adapter.layer_class(name)
        return getattr(self._keras_layers, name)


class _LayerModuleNamespace:
    """A Keras layer's own module (`keras.src.layers.activations.relu`) as a test module sees it: the
    adapter's class for each layer class of the port it defines."""

    def __init__(self, adapter, module, keras_layers):
        self._adapter = adapter
        self._module = module
        self._keras_layers = keras_layers

    def __getattr__(self, name):
        value = getattr(self._module, name)
        if isinstance(value, type) and getattr(self._keras_layers, name, None) is value and self._adapter.covers(name):
            return self._adapter.layer_class(name)
        return value


def _keras_model_stub(what: str):
    class KerasModelStub:
        def __init__(self, *args, **kwargs):
            raise NotApplicable("keras_model", what)

    KerasModelStub.__name__ = what
    return KerasModelStub


class _ModelsNamespace:
    def __init__(self, keras_models):
        self._keras_models = keras_models

    def __getattr__(self, name):
        if name in ("Model", "Sequential", "Functional"):
            return _keras_model_stub(f"keras.models.{name}")
        if name in ("load_model", "clone_model", "model_from_json"):
            def stub(*args, **kwargs):
                raise NotApplicable("saving", f"keras.models.{name}")
            return stub
        return getattr(self._keras_models, name)


class _TorchTrainingModel:
    """`run_layer_test`'s training check with our machinery: one SGD step on sum(outputs) in torch."""

    def __init__(self, *args, **kwargs):
        pass

    def compile(self, optimizer=None, loss=None, jit_compile=None, **kwargs):
        self._learning_rate = 0.01  # Keras' SGD default

    def fit(self, data, steps_per_epoch=1, verbose=0, **kwargs):
        layer = self.layer
        if not isinstance(layer, AdaptedLayer):
            raise TypeError(f"the torch training step needs an adapted layer, got {type(layer).__name__}")
        x, _ = next(iter(data)) if not isinstance(data, tuple) else data
        module = layer._module
        inputs = _map(x, to_torch)
        accepts_training = "training" in layer._forward_parameters()
        kwargs = {"training": True} if accepts_training else {}
        module.train()
        try:
            out = module(**inputs, **kwargs) if isinstance(inputs, dict) else module(inputs, **kwargs)
        finally:
            module.eval()
        floats = [t for t in _flatten(out) if isinstance(t, torch.Tensor) and t.is_floating_point()]
        loss = sum(t.float().sum() for t in floats)
        params = [p for p in module.parameters() if p.requires_grad]
        if params and isinstance(loss, torch.Tensor) and loss.requires_grad:
            grads = torch.autograd.grad(loss, params, allow_unused=True)
            with torch.no_grad():
                for p, g in zip(params, grads):
                    if g is not None:
                        p.sub_(self._learning_rate * g)
        return None


class _SkippedCheck(list):
    """Stands for a Keras-only quantity inside `run_layer_test`; its assertion is recorded, not made."""

    def __init__(self, what):
        super().__init__()
        self.what = what


class ReplayMixin:
    """Put first in the MRO of each Keras TestCase class during the replay."""

    _replay_skipped: list = None
    _replay_wording: list = None

    def assertLen(self, iterable, expected_len, msg=None):
        if isinstance(iterable, _SkippedCheck):
            self._replay_skipped.append(iterable.what)
            return
        super().assertLen(iterable, expected_len, msg=msg)

    def assertRaisesRegex(self, expected_exception, expected_regex, *args, **kwargs):
        """Keras' wording is Keras': a raise of the expected type whose message differs is recorded and the
        test continues; a case whose only deviations are such messages is n/a `error_wording`."""
        context = _WordingTolerantRaises(self, expected_exception, expected_regex)
        if args:
            with context:
                args[0](*args[1:], **kwargs)
            return None
        return context


class _WordingTolerantRaises:
    def __init__(self, case, expected_exception, expected_regex):
        self.case, self.expected, self.regex = case, expected_exception, expected_regex
        self.exception = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        import re

        if exc_type is None:
            name = getattr(self.expected, "__name__", str(self.expected))
            raise self.case.failureException(f"{name} not raised")
        if issubclass(exc_type, NotApplicable):
            return False
        if not issubclass(exc_type, self.expected):
            return False  # the wrong exception propagates: a failure
        self.exception = exc
        if not re.search(self.regex, str(exc)):
            # Recorded, and the test goes on (the type matched): its later checks still count.
            self.case._replay_wording.append(f"{exc_type.__name__} raised as expected; Keras expects "
                                             f"{self.regex!r}, ours says {str(exc)[:300]!r}")
        return True


def _replayed_class(cls):
    return type(cls.__name__, (ReplayMixin, cls), {"__module__": cls.__module__, "__qualname__": cls.__qualname__})


@contextlib.contextmanager
def _patched(module, adapter):
    """The test module's layer names resolve to the adapter's classes; Keras Models are stubs."""
    import keras.src.layers as keras_layers
    import keras.src.models as keras_models
    import keras.src.testing.test_case as test_case
    from keras.src.saving import object_registration

    saved = dict(vars(module))
    replaced = {}
    for name, value in saved.items():
        if value is keras_layers:
            replaced[name] = _LayersNamespace(adapter, keras_layers)
        elif isinstance(value, types.ModuleType) and value.__name__.startswith("keras.src.layers."):
            replaced[name] = _LayerModuleNamespace(adapter, value, keras_layers)  # `relu.ReLU`
        elif value is keras_models:
            replaced[name] = _ModelsNamespace(keras_models)
        elif isinstance(value, type) and name in ("Model", "Sequential", "Functional"):
            replaced[name] = _keras_model_stub(f"keras.{name}")
        elif isinstance(value, type) and getattr(keras_layers, name, None) is value and adapter.covers(name):
            replaced[name] = adapter.layer_class(name)
        elif isinstance(value, type) and value.__module__.startswith("keras.src.layers.") and \
                adapter.private_class(value) is not None:
            replaced[name] = adapter.private_class(value)  # `from keras.src.layers.rnn.conv_lstm import ConvLSTM`
    vars(module).update(replaced)
    saved_test_case = {k: getattr(test_case, k) for k in ("Model", "get_seed_generators")}
    if isinstance(adapter, TorchAdapter) and adapter.name != "keras":
        test_case.Model = _TorchTrainingModel
        original = saved_test_case["get_seed_generators"]
        test_case.get_seed_generators = lambda layer: (
            _SkippedCheck("count of Keras SeedGenerators") if isinstance(layer, AdaptedLayer) else original(layer))
    # As `register_keras_serializable` would: Keras' deserialization finds the adapted classes by name.
    registered = object_registration.GLOBAL_CUSTOM_OBJECTS
    saved_registered = dict(registered)
    registered.update(adapter.custom_objects())
    try:
        with adapter.counting():
            yield
    finally:
        registered.clear()
        registered.update(saved_registered)
        for name in replaced:
            vars(module)[name] = saved[name]
        for k, v in saved_test_case.items():
            setattr(test_case, k, v)


def _pytest_skip(cls, method_name) -> str | None:
    """The reason when Keras' own pytest marks skip this test on this (TensorFlow) backend."""
    method = getattr(cls, method_name)
    marks = list(getattr(method, "pytestmark", [])) + list(getattr(cls, "pytestmark", []))
    for mark in marks:
        if mark.name == "skipif" and mark.args and mark.args[0]:
            return mark.kwargs.get("reason", "skipif")
        if mark.name == "skip":
            return mark.kwargs.get("reason", "skip")
    return None


def _run_case(cls, method_name, adapter) -> tuple[str, str | None, str, list]:
    import pytest

    reason = _pytest_skip(cls, method_name)
    if reason is not None:
        return "n/a", "backend_specific", reason, []
    case = _replayed_class(cls)(method_name)
    case._replay_skipped = []
    case._replay_wording = []
    before = adapter.constructed
    try:
        case.setUp()
        try:
            getattr(case, method_name)()
        finally:
            case.doCleanups()
            case.tearDown()
    except NotApplicable as err:
        return "n/a", err.category, err.detail, []
    except (unittest.SkipTest, pytest.skip.Exception) as err:
        return "n/a", "backend_specific", str(err), []
    except Exception as err:  # noqa: BLE001 - every error is the case's outcome
        if isinstance(err.__context__, NotApplicable) and not isinstance(err, AssertionError):
            return "n/a", err.__context__.category, err.__context__.detail, []
        text = "".join(traceback.format_exception_only(type(err), err)).strip()
        where = [f for f in traceback.extract_tb(err.__traceback__)
                 if "keras/src/layers/" in f.filename or "torchkeras_layers/" in f.filename
                 or "keras/src/testing/" in f.filename or "keras_upstream/adapter" in f.filename]
        frames = [f"{f.filename.rsplit('site-packages/', 1)[-1].rsplit('/upstream/', 1)[-1]}:{f.lineno}"
                  for f in where[-4:]]
        return "fail", None, f"{text[:800]} [at {' <- '.join(reversed(frames))}]", []
    if adapter.constructed == before:
        return "n/a", "not_our_layer", "no layer of the adapter was constructed", []
    if case._replay_wording:
        return "n/a", "error_wording", " / ".join(case._replay_wording), []
    return "pass", None, "", list(dict.fromkeys(case._replay_skipped))


def _test_classes(module):
    from keras.src.testing import TestCase

    return [v for v in vars(module).values()
            if isinstance(v, type) and issubclass(v, TestCase) and v.__module__ == module.__name__]


def run_replay(adapter=None, families=None, modules=None) -> list[CaseResult]:
    """Replay every test method of the chosen Keras test modules; one CaseResult each."""
    adapter = adapter if adapter is not None else TorchAdapter()
    results = []
    loader = unittest.TestLoader()
    for module_name in modules if modules is not None else test_modules(families):
        module = load_test_module(module_name, adapter)
        file = module_name.removeprefix("keras.src.layers.").replace(".", "/") + ".py"
        with _patched(module, adapter):
            for cls in _test_classes(module):
                for method_name in loader.getTestCaseNames(cls):
                    outcome, category, detail, skipped = _run_case(cls, method_name, adapter)
                    results.append(CaseResult(file, f"{cls.__name__}.{method_name}", outcome, category, detail,
                                              skipped))
    return results


def summarize(results: list[CaseResult]) -> dict:
    """{file: {"pass": n, "fail": n, "n/a": {category: n}}} in replay order."""
    table = {}
    for r in results:
        row = table.setdefault(r.file, {"pass": 0, "fail": 0, "n/a": {}})
        if r.outcome == "n/a":
            row["n/a"][r.category] = row["n/a"].get(r.category, 0) + 1
        else:
            row[r.outcome] += 1
    return table


def timed_replay(**kwargs):
    start = time.perf_counter()
    results = run_replay(**kwargs)
    return results, time.perf_counter() - start
