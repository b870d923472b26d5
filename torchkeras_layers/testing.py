"""`assert_equivalent`: check that a converted module computes what the Keras model computes, and when it
does not, say which layer diverges first.

    import torchkeras_layers as tkl
    module = tkl.from_keras(keras_model)
    tkl.testing.assert_equivalent(keras_model, module, x)               # forward, inference
    tkl.testing.assert_equivalent(keras_model, module, x, gradients=True, training=True)

For `tkl.Sequential` / `tkl.Model` both graphs are run once, recording every layer call's output
(node by node, matched by layer name and call index), so the report shows where the numbers part:

    AssertionError: assert_equivalent: outputs differ; first divergence at node 'dense_1' (Dense)
      node                 class      shape        max|diff|  ratio
      conv2d               Conv2D     (2, 6, 6, 4)  2.4e-07    0.02
      dense_1              Dense      (2, 10)       3.1e-01  3.1e+04   <-- first divergence
      ... 1 later node(s) also differ

A node passes when |ours - keras| <= atol * max(1, max|keras|) + rtol * |keras| elementwise (the
suite's criterion and table, `torchkeras_layers._tolerances`); the defaults are the suite's forward and
gradient tolerances for the inputs' dtype.
"""

from __future__ import annotations

import inspect
import os
from dataclasses import dataclass, field

import numpy as np
import torch
from torch.utils import _pytree

from ._tolerances import FORWARD, GRADIENT, compare_arrays

__all__ = ["assert_equivalent", "EquivalenceReport", "NodeDiff", "compare_arrays", "REFERENCE_ENVIRONMENT",
           "use_reference_environment"]

# The TensorFlow that the suite takes Keras' numbers from. oneDNN is TensorFlow's default only on CPUs
# with AVX-512 VNNI/BF16 or AMX; elsewhere its Eigen CPU kernels reject channels_first convolutions,
# return an empty tensor for a pooling window larger than its input, and get 3-D average pooling wrong
# when a stride exceeds the window (off by ~1.3 against numpy and against oneDNN). Forcing oneDNN makes
# the reference the same on every x86 machine.
REFERENCE_ENVIRONMENT = {"KERAS_BACKEND": "tensorflow", "TF_ENABLE_ONEDNN_OPTS": "1", "TF_CPP_MIN_LOG_LEVEL": "3",
                         "CUDA_VISIBLE_DEVICES": ""}


def use_reference_environment() -> None:
    """Set `REFERENCE_ENVIRONMENT` (where not set already); call before TensorFlow is imported."""
    for key, value in REFERENCE_ENVIRONMENT.items():
        os.environ.setdefault(key, value)

@dataclass
class NodeDiff:
    """One compared tensor: a layer call's output, a model output, or a gradient."""

    name: str
    class_name: str
    shape: tuple
    max_abs_diff: float
    ratio: float  # max elementwise |diff| / allowed; <= 1 passes

    @property
    def ok(self) -> bool:
        return self.ratio <= 1.0


@dataclass
class EquivalenceReport:
    nodes: list = field(default_factory=list)  # per layer call, execution order
    outputs: list = field(default_factory=list)
    gradients: list = field(default_factory=list)

    @property
    def first_divergence(self) -> NodeDiff | None:
        return next((n for n in self.nodes if not n.ok), None)

    def format(self, rows: list | None = None, mark: NodeDiff | None = None) -> str:
        rows = self.nodes if rows is None else rows
        if not rows:
            return "  (no rows)"
        w_name = max(4, *(len(r.name) for r in rows))
        w_cls = max(5, *(len(r.class_name) for r in rows))
        w_shape = max(5, *(len(str(r.shape)) for r in rows))
        lines = [f"  {'node'.ljust(w_name)}  {'class'.ljust(w_cls)}  {'shape'.ljust(w_shape)}  max|diff|  ratio"]
        for r in rows:
            flag = "   <-- first divergence" if r is mark else ("   FAIL" if not r.ok else "")
            lines.append(f"  {r.name.ljust(w_name)}  {r.class_name.ljust(w_cls)}  {str(r.shape).ljust(w_shape)}  "
                         f"{r.max_abs_diff:9.2e}  {r.ratio:7.2g}{flag}")
        return "\n".join(lines)

    def __str__(self) -> str:
        parts = ["layer calls:", self.format()] if self.nodes else []
        parts += ["outputs:", self.format(self.outputs)]
        if self.gradients:
            parts += ["gradients:", self.format(self.gradients)]
        return "\n".join(parts)


# ---------------------------------------------------------------------------- main entry point
def assert_equivalent(keras_model, torch_module, inputs, *, training: bool = False, mask=None,
                      gradients: bool = False, rtol: float | None = None, atol: float | None = None,
                      grad_rtol: float | None = None, grad_atol: float | None = None, seed: int = 0,
                      per_node: bool = True) -> EquivalenceReport:
    """Run `keras_model` and `torch_module` on the same `inputs` (numpy arrays: one, a list, or a dict)
    and raise AssertionError, with a per-layer divergence report, unless every output (and with
    `gradients=True`, the gradients of a random linear function of the outputs with respect to the
    inputs and every trainable weight) agree. Returns the report.

    `training=True` runs both in training mode (BatchNormalization then uses and updates batch
    statistics on both sides, once). Tolerances default to the suite's for the inputs' dtype.
    """
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import tensorflow as tf

    dtype = _dtype_name(inputs)
    forward = FORWARD.get(dtype, FORWARD["float32"])
    gradient = GRADIENT.get(dtype, forward)  # half precisions: one output rounding dominates both
    rtol = forward["rtol"] if rtol is None else rtol
    atol = forward["atol"] if atol is None else atol
    grad_rtol = gradient["rtol"] if grad_rtol is None else grad_rtol
    grad_atol = gradient["atol"] if grad_atol is None else grad_atol

    report = EquivalenceReport()
    # --- Keras: one call that also returns every layer call's output.
    extractor, keras_keys = _keras_extractor(keras_model) if per_node else (None, [])
    tf_inputs = _map(inputs, lambda a: tf.constant(a))
    tf_watch = [t for t in _flat(tf_inputs) if t.dtype.is_floating]
    with tf.GradientTape(persistent=True) as tape:
        for t in tf_watch:
            tape.watch(t)
        call_kwargs = {"training": training}
        if mask is not None:
            call_kwargs["mask"] = _map(mask, lambda a: tf.constant(a))
        if extractor is not None:
            result = extractor(tf_inputs, **call_kwargs)
            keras_out, keras_nodes = result["outputs"], dict(zip(keras_keys, result["nodes"]))
        else:
            keras_out, keras_nodes = keras_model(tf_inputs, **call_kwargs), {}
        keras_flat = _flat(keras_out)
        rng = np.random.default_rng(seed)
        cotangents = [rng.standard_normal(tuple(o.shape)) for o in keras_flat]
        if gradients:
            keras_loss = tf.add_n([tf.reduce_sum(o * tf.cast(c, o.dtype)) for o, c in zip(keras_flat, cotangents)
                                   if o.dtype.is_floating])

    # --- ours, the same way.
    torch_module.train(bool(training))
    torch_inputs = _map(inputs, lambda a: torch.from_numpy(np.ascontiguousarray(a)).requires_grad_(
        gradients and np.issubdtype(np.asarray(a).dtype, np.floating)))
    kwargs = {}
    if _accepts(torch_module, "training"):
        kwargs["training"] = training
    if mask is not None:
        kwargs["mask"] = _map(mask, lambda a: torch.from_numpy(np.ascontiguousarray(a)))
    with torch.set_grad_enabled(gradients):
        if per_node and hasattr(torch_module, "forward_with_intermediates"):
            ours_out, ours_nodes = torch_module.forward_with_intermediates(torch_inputs, **kwargs)
        else:
            ours_out, ours_nodes = torch_module(torch_inputs, **kwargs), {}
    ours_flat = _flat(ours_out)

    # --- per node, in our execution order (Keras' names and call indices).
    classes = _classes(torch_module)
    for key, value in ours_nodes.items():
        if key not in keras_nodes:
            continue
        for i, (a, b) in enumerate(zip(_flat(value), _flat(keras_nodes[key]))):
            a_np, b_np = _np(a), np.asarray(b)
            diff, ratio = compare_arrays(a_np, b_np, rtol, atol)  # (inf, inf) where the shapes differ
            name = key if len(_flat(value)) == 1 else f"{key}#{i}"
            report.nodes.append(NodeDiff(name, classes.get(key.split("[")[0], "?"), tuple(b_np.shape), diff, ratio))
    if len(ours_flat) != len(keras_flat):
        raise AssertionError(f"assert_equivalent: ours returns {len(ours_flat)} outputs, Keras {len(keras_flat)}")
    for i, (a, b) in enumerate(zip(ours_flat, keras_flat)):
        a_np, b_np = _np(a), np.asarray(b)
        diff, ratio = compare_arrays(a_np, b_np, rtol, atol)
        report.outputs.append(NodeDiff(f"output {i}", "", tuple(b_np.shape), diff, ratio))

    if gradients:
        _compare_gradients(report, keras_model, torch_module, tape, keras_loss, tf_watch, torch_inputs, ours_flat,
                           cotangents, grad_rtol, grad_atol)
    del tape

    failed = [r for r in report.outputs + report.gradients if not r.ok]
    first = report.first_divergence
    if failed or first is not None:
        lines = ["assert_equivalent: " + ("outputs differ" if any(not r.ok for r in report.outputs) else
                                          "gradients differ" if failed else "an intermediate output differs")
                 + (f"; first divergence at node {first.name!r} ({first.class_name})" if first else "")]
        if report.nodes:
            shown = report.nodes[: report.nodes.index(first) + 1] if first else report.nodes
            lines.append(report.format(shown, mark=first))
            later = [r for r in report.nodes[len(shown):] if not r.ok]
            if later:
                lines.append(f"  ... {len(later)} later node(s) also differ")
        lines += ["outputs:", report.format(report.outputs)]
        if report.gradients:
            lines += ["gradients:", report.format([g for g in report.gradients if not g.ok] or report.gradients)]
        lines.append(f"(tolerance: rtol={rtol}, atol={atol}" + (f"; gradients rtol={grad_rtol}, atol={grad_atol})"
                                                               if gradients else ")"))
        raise AssertionError("\n".join(lines))
    return report


def _compare_gradients(report, keras_model, torch_module, tape, keras_loss, tf_watch, torch_inputs, ours_flat,
                       cotangents, rtol, atol):
    keras_weights = [w for w in keras_model.trainable_weights]
    import tensorflow as tf

    # A gather's (Embedding's) gradient comes back as IndexedSlices: made dense to compare.
    keras_grads = [g if g is None else tf.convert_to_tensor(g)
                   for g in tape.gradient(keras_loss, tf_watch + keras_weights)]
    n = len(tf_watch)
    float_outs = [(o, c) for o, c in zip(ours_flat, cotangents) if o.is_floating_point()]
    loss = sum((o * torch.as_tensor(c, dtype=o.dtype)).sum() for o, c in float_outs)
    watched = [t for t in _flat(torch_inputs) if t.requires_grad]
    entries = [(path, owner, info) for path, owner, info in torch_module.keras_weights()
               if getattr(owner, info.name).requires_grad] if hasattr(torch_module, "keras_weights") else []
    params = [getattr(owner, info.name) for _, owner, info in entries]
    grads = torch.autograd.grad(loss, watched + params, allow_unused=True)
    for i, (g, k) in enumerate(zip(grads[:n], keras_grads[:n])):
        ours = np.zeros(tuple(watched[i].shape)) if g is None else _np(g)
        theirs = np.zeros(ours.shape) if k is None else np.asarray(k)
        diff, ratio = compare_arrays(ours, theirs, rtol, atol)
        report.gradients.append(NodeDiff(f"d/d(input {i})", "", tuple(theirs.shape), diff, ratio))
    if len(entries) != len(keras_weights):
        raise AssertionError(f"assert_equivalent: ours has {len(entries)} trainable weights, "
                             f"Keras {len(keras_weights)} (ours: {[p for p, _, _ in entries]}; "
                             f"Keras: {[w.path for w in keras_weights]})")
    for (_, _, info), g, w, k in zip(entries, grads[n:], keras_weights, keras_grads[n:]):
        if g is not None and info.to_keras is not None:
            g = g.permute(*info.to_keras)
        ours = np.zeros(info.keras_shape) if g is None else _np(g)
        theirs = np.zeros(ours.shape) if k is None else np.asarray(k)
        diff, ratio = compare_arrays(ours, theirs, rtol, atol)
        report.gradients.append(NodeDiff(f"d/d({w.path})", "", tuple(theirs.shape), diff, ratio))


# ---------------------------------------------------------------------------- Keras side
def keras_node_calls(graph):
    """``(operation, node, key)`` for every call made inside the functional Keras model `graph`, operation by
    operation, each operation's calls in order; `key` as ``tkl.Model.node_keys()`` names it ("layer" for a
    layer's first call in this model, "layer[k]" for its k-th). Keras' own node indices also count calls made
    in other models, which a layer shared between models has."""
    from keras.src.ops.function import make_node_key

    from .models.functional import node_key

    for operation in graph.operations:
        own = 0
        for index, node in enumerate(operation._inbound_nodes):
            if make_node_key(operation, index) in graph._nodes:
                yield operation, node, node_key(operation.name, own)
                own += 1


def _keras_extractor(keras_model):
    """A Keras model returning {"outputs": the model's outputs, "nodes": every layer call's output} in
    one call, and the node keys (`keras_node_calls`)."""
    import keras
    from keras.src.models.functional import Functional

    graph = keras_model
    if isinstance(keras_model, keras.Sequential):
        graph = keras_model._functional
    if not isinstance(graph, Functional):
        return None, []
    keys, tensors = [], []
    for operation, node, key in keras_node_calls(graph):
        if type(operation).__name__ == "InputLayer":
            continue
        keys.append(key)
        outputs = node.output_tensors
        tensors.append(outputs[0] if len(outputs) == 1 else list(outputs))
    extractor = keras.Model(graph._inputs_struct, {"outputs": graph._outputs_struct, "nodes": tensors})
    return extractor, keys


# ---------------------------------------------------------------------------- helpers
def _dtype_name(inputs) -> str:
    for a in _flat(inputs):
        a = np.asarray(a)
        if np.issubdtype(a.dtype, np.floating):
            return a.dtype.name
    return "float32"


def _map(value, fn):
    return _pytree.tree_map(lambda leaf: None if leaf is None else fn(leaf), value)


def _flat(value) -> list:
    """Leaves, None dropped. Dicts in insertion order: Keras and our models both keep their output
    structure's order."""
    return [leaf for leaf in _pytree.tree_leaves(value) if leaf is not None]


def _np(t) -> np.ndarray:
    if isinstance(t, torch.Tensor):
        t = t.detach()
        return (t.float() if t.dtype == torch.bfloat16 else t).cpu().numpy()
    return np.asarray(t)


def _accepts(module, name: str) -> bool:
    try:
        return name in inspect.signature(module.forward).parameters
    except (TypeError, ValueError):
        return False


def _classes(module) -> dict:
    layers = getattr(module, "layers", None)
    return {layer.name: type(layer).__name__ for layer in layers} if layers is not None else {}
