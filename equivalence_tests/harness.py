"""Build a layer in both frameworks with the same weights, run both, compare.

Everything here is generic over the registry: a spec says *what* to build and call; this module does
the building, the weight copy (both directions), forward, gradients (autograd vs tf.GradientTape
with the same random cotangents), training-mode state (moving statistics) and masks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch.utils import _pytree

from .registry import LayerSpec, Sample
from .tolerances import FORWARD, GRADIENT, STATE, assert_close

TORCH_DTYPES = {"float32": torch.float32, "float64": torch.float64, "float16": torch.float16,
                "bfloat16": torch.bfloat16}


@dataclass
class Report:
    """Max absolute errors seen, for the report command."""

    forward: float = 0.0
    gradient: float = 0.0
    state: float = 0.0
    checks: list = field(default_factory=list)

    def add(self, kind: str, err: float) -> None:
        setattr(self, kind, max(getattr(self, kind), err))
        self.checks.append(kind)


# ---------------------------------------------------------------------------- inputs
def make_call(sample: Sample, rng: np.random.Generator, dtype: str):
    """The sample's (args, kwargs) in numpy; floating arrays in `dtype`."""
    if sample.make_inputs is not None:
        args, kwargs = sample.make_inputs(rng)
        kwargs = {**sample.call_kwargs, **kwargs}
    else:
        args = [_fill(sample.inputs, rng)] + [_fill(s, rng) for s in sample.extra_args]
        kwargs = dict(sample.call_kwargs)
    return _cast(list(args), dtype), _cast(kwargs, dtype)


def _is_shape(obj) -> bool:
    return isinstance(obj, tuple) and all(isinstance(d, int) for d in obj)


def _fill(shape_spec, rng):
    if _is_shape(shape_spec):
        return rng.standard_normal(shape_spec)
    if isinstance(shape_spec, list):
        return [_fill(s, rng) for s in shape_spec]
    return shape_spec  # already data


def _cast(obj, dtype):
    target = np.float32 if dtype in ("float16", "bfloat16") else dtype
    def cast(array):
        return array.astype(target) if np.issubdtype(array.dtype, np.floating) else array

    return _pytree.tree_map_only(np.ndarray, cast, obj)


def to_torch(obj, requires_grad: bool = False):
    def convert(array):
        t = torch.from_numpy(np.ascontiguousarray(array))
        return t.requires_grad_(True) if requires_grad and t.is_floating_point() else t

    return _pytree.tree_map_only(np.ndarray, convert, obj)


def to_tf(obj):
    import tensorflow as tf

    return _pytree.tree_map_only(np.ndarray, tf.constant, obj)


def flat_tensors(obj) -> list:
    """The leaves of a (nested) output/argument structure, None dropped; dicts in insertion order."""
    return [t for t in _pytree.tree_leaves(obj) if t is not None]


def as_numpy(t) -> np.ndarray:
    if isinstance(t, torch.Tensor):
        return t.detach().float().cpu().numpy() if t.dtype == torch.bfloat16 else t.detach().cpu().numpy()
    return np.asarray(t)


# ---------------------------------------------------------------------------- building
def _without(kwargs: dict, *names) -> dict:
    return {k: v for k, v in kwargs.items() if k not in names and not k.endswith("mask")}


def build_module(spec: LayerSpec, sample: Sample, dtype: str, args, kwargs):
    """Our layer from the sample's config, built by one inference call (no state is touched)."""
    module = spec.cls(**{**sample.config, "dtype": dtype})
    module.eval()
    with torch.no_grad():
        module(*to_torch(args), **to_torch(_without(kwargs, "training")))
    return module


def reference_config(spec: LayerSpec, module, reference: str) -> dict:
    config = module.get_config()
    return spec.keras_config(config, reference) if spec.keras_config else config


def build_keras(spec: LayerSpec, sample: Sample, module, args, kwargs, copy_weights: bool = True):
    """The reference layer from our config, built, with our weights copied in (or the reverse)."""
    layer = spec.keras_from_config(reference_config(spec, module, sample.reference), sample.reference)
    if spec.keras_build is not None:
        spec.keras_build(layer, args, kwargs)
    else:
        layer(*to_tf(args), **to_tf(_without(kwargs, "training")))
    if sample.keras_setup is not None:
        sample.keras_setup(layer)
    if copy_weights:
        layer.set_weights(module.get_weights())
    else:
        module.set_weights(layer.get_weights())
    return layer


# ---------------------------------------------------------------------------- running
def _trainable_params(module):
    """Our trainable weights in Keras order, as (stored tensor, permutation to Keras layout)."""
    out = []
    for _, owner, info in module.keras_weights():
        tensor = getattr(owner, info.name)
        if isinstance(tensor, torch.nn.Parameter) and tensor.requires_grad:
            out.append((tensor, info.to_keras))
    return out


def torch_step(module, args, kwargs, training, cotangents_rng, want_grad):
    module.train(bool(training))
    args_t = to_torch(args, requires_grad=want_grad)
    kwargs_t = to_torch(kwargs)
    if training is not None:
        kwargs_t["training"] = training
    outputs = module(*args_t, **kwargs_t)
    outs = flat_tensors(outputs)
    result = {"outputs": [as_numpy(o) for o in outs]}
    if want_grad:
        cotangents = [cotangents_rng.standard_normal(tuple(o.shape)) for o in outs]
        float_outs = [(o, c) for o, c in zip(outs, cotangents) if o.is_floating_point()]
        loss = sum((o * torch.as_tensor(c, dtype=o.dtype)).sum() for o, c in float_outs)
        wrt_inputs = [t for t in flat_tensors(args_t) if t.requires_grad]
        params = _trainable_params(module)
        grads = torch.autograd.grad(loss, wrt_inputs + [p for p, _ in params], allow_unused=True)
        n = len(wrt_inputs)
        result["input_grads"] = [as_numpy(g) if g is not None else np.zeros(t.shape)
                                 for g, t in zip(grads[:n], wrt_inputs)]
        result["weight_grads"] = [
            as_numpy(g.permute(*perm) if perm is not None else g) if g is not None
            else np.zeros(p.permute(*perm).shape if perm else p.shape)
            for g, (p, perm) in zip(grads[n:], params)
        ]
        result["cotangents"] = cotangents
    return result


def keras_step(layer, args, kwargs, training, cotangents, want_grad):
    import tensorflow as tf

    args_tf = to_tf(args)
    kwargs_tf = to_tf(kwargs)
    if training is not None:
        kwargs_tf["training"] = training
    _attach_implicit_masks(layer, args_tf, kwargs_tf)
    wrt_inputs = [t for t in flat_tensors(args_tf) if t.dtype.is_floating]
    with tf.GradientTape(persistent=True) as tape:
        for t in wrt_inputs:
            tape.watch(t)
        outputs = layer(*args_tf, **kwargs_tf)
        outs = flat_tensors(outputs)
        if want_grad:
            loss = tf.add_n([tf.reduce_sum(o * tf.cast(c, o.dtype))
                             for o, c in zip(outs, cotangents) if o.dtype.is_floating])
    result = {"outputs": [np.asarray(o) for o in outs]}
    if want_grad:
        weights = [w for w in layer.weights if w.trainable]
        grads = tape.gradient(loss, wrt_inputs + weights, unconnected_gradients=tf.UnconnectedGradients.ZERO)
        n = len(wrt_inputs)
        result["input_grads"] = [np.asarray(g) for g in grads[:n]]
        # A gather's gradient (Embedding) is an IndexedSlices: densify it.
        result["weight_grads"] = [np.asarray(tf.convert_to_tensor(g)) for g in grads[n:]]
    return result


def _attach_implicit_masks(layer, args_tf, kwargs_tf):
    """Keras layers whose `call` has no `mask` argument (merges, ...) read masks from the inputs'
    `_keras_mask` attribute; ours take them explicitly. Attach them so both see the same masks."""
    import inspect

    if "mask" not in kwargs_tf or "mask" in inspect.signature(layer.call).parameters:
        return
    masks = kwargs_tf.pop("mask")
    inputs = args_tf[0] if isinstance(args_tf[0], (list, tuple)) else [args_tf[0]]
    masks = masks if isinstance(masks, (list, tuple)) else [masks]
    for tensor, mask in zip(inputs, masks):
        if mask is not None:
            tensor._keras_mask = mask


def run_sample(spec: LayerSpec, sample: Sample, dtype: str = "float32", *, seed: int = 0,
               direction: str = "ours_to_keras", report: Report | None = None) -> Report:
    """Forward, gradients and state of one sample against its reference; raises on mismatch."""
    report = report or Report()
    rng = np.random.default_rng(seed)
    args, kwargs = make_call(sample, rng, dtype)
    module = build_module(spec, sample, dtype, args, kwargs)
    if callable(sample.reference):
        return _run_numpy_reference(spec, sample, module, dtype, rng, args, kwargs, report)
    layer = build_keras(spec, sample, module, args, kwargs, copy_weights=(direction == "ours_to_keras"))
    cot_rng = np.random.default_rng(seed + 1)
    for step in range(sample.steps):
        if step:
            args, kwargs = make_call(sample, rng, dtype)
        want_grad = sample.grad and step == 0
        ours = torch_step(module, args, kwargs, sample.training, cot_rng, want_grad)
        theirs = keras_step(layer, args, kwargs, sample.training, ours.get("cotangents"), want_grad)
        where = f"{spec.name}[{sample.label()}] {dtype} step {step}"
        _compare_lists(ours["outputs"], theirs["outputs"], FORWARD, f"{where} output", report, "forward")
        if want_grad:
            _compare_lists(ours["input_grads"], theirs["input_grads"], GRADIENT, f"{where} d/d(inputs)", report,
                           "gradient")
            _compare_lists(ours["weight_grads"], theirs["weight_grads"], GRADIENT,
                           f"{where} d/d(trainable weights) [trainable: ours {len(ours['weight_grads'])}, "
                           f"keras {len(theirs['weight_grads'])}]",
                           report, "gradient")
    _compare_lists(module.get_weights(), layer.get_weights(), STATE,
                   f"{spec.name}[{sample.label()}] {dtype} weights/state", report, "state")
    if "mask" in kwargs:
        _compare_masks(module, layer, args, kwargs, f"{spec.name}[{sample.label()}] mask")
    return report


def _compare_lists(ours, theirs, table, what, report, kind, expected_dtype=None):
    """Compare pairwise at the pair's dtype's tolerance. Against Keras the dtypes must be equal (a
    float64 layer keeps some float32 tensors, e.g. LoRA factors, in both frameworks); against a numpy
    reference (which computes in float64) our floating outputs must have the run's `expected_dtype`."""
    if len(ours) != len(theirs):
        raise AssertionError(f"{what}: ours gives {len(ours)} tensors, the reference {len(theirs)}")
    for i, (a, b) in enumerate(zip(ours, theirs)):
        a, b = np.asarray(a), np.asarray(b)
        if expected_dtype is None:
            if a.dtype != b.dtype:
                raise AssertionError(f"{what} #{i}: dtype {a.dtype}, the reference's is {b.dtype}")
        elif np.issubdtype(b.dtype, np.floating) and a.dtype.name != expected_dtype:
            raise AssertionError(f"{what} #{i}: dtype {a.dtype}, the run's dtype is {expected_dtype}")
        if not np.issubdtype(a.dtype, np.floating):
            np.testing.assert_array_equal(a, b, err_msg=f"{what} #{i}")  # integer outputs: exactly equal
            report.add(kind, 0.0)
            continue
        report.add(kind, assert_close(a, b, table[a.dtype.name], f"{what} #{i}"))


def _compare_masks(module, layer, args, kwargs, what):
    ours = flat_tensors(module.compute_mask(*to_torch(args[:1]), to_torch(kwargs["mask"])))
    theirs = flat_tensors(layer.compute_mask(*to_tf(args[:1]), to_tf(kwargs["mask"])))
    ours = [as_numpy(m) for m in ours if m is not None]
    theirs = [np.asarray(m) for m in theirs if m is not None]
    if len(ours) != len(theirs):
        raise AssertionError(f"{what}: ours returns {len(ours)} masks, Keras {len(theirs)}")
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a.astype(bool), b.astype(bool), err_msg=what)


def _run_numpy_reference(spec, sample, module, dtype, rng, args, kwargs, report):
    """Layers Keras lacks (or where Keras has a confirmed bug): numpy forward + float64 gradcheck."""
    where = f"{spec.name}[{sample.label()}] {dtype}"
    for step in range(sample.steps):
        if step:
            args, kwargs = make_call(sample, rng, dtype)
        ours = torch_step(module, args, kwargs, sample.training, rng, want_grad=False)
        expected = flat_tensors(sample.reference(sample.config, args, kwargs, module.get_weights()))
        _compare_lists(ours["outputs"], [np.asarray(e) for e in expected], FORWARD, f"{where} output vs numpy", report,
                       "forward", expected_dtype=dtype)
    if sample.grad and dtype == "float64":
        module.train(bool(sample.training))
        args_t = to_torch(args, requires_grad=True)
        kwargs_t = to_torch(kwargs)
        if sample.training is not None:
            kwargs_t["training"] = sample.training
        inputs = [t for t in flat_tensors(args_t) if t.requires_grad]
        params = [p for p, _ in _trainable_params(module)]

        def fn(*tensors):
            # Re-insert the gradcheck-perturbed inputs into the argument structure.
            it = iter(tensors[: len(inputs)])
            rebuilt = _pytree.tree_map_only(torch.Tensor, lambda t: next(it) if t.requires_grad else t, args_t)
            return tuple(o for o in flat_tensors(module(*rebuilt, **kwargs_t)) if o.is_floating_point())

        torch.autograd.gradcheck(fn, tuple(inputs) + tuple(params), eps=1e-6, atol=1e-6, rtol=1e-5)
        report.checks.append("gradcheck")
    return report

