"""Layer by layer: is each layer call of a converted functional model as accurate as Keras' own, fed the same
inputs?

End to end, a deep network amplifies rounding, and where an input gradient crosses a kink (a ReLU whose
sign, or a max-pooling argmax, float32 rounding moved) it jumps: two correct float32 programs can then be far
apart, and which one lands nearer the float64 reference says where each rounding fell, not which program is
the more accurate (docs/notes/applications.md). Fed identical inputs, a layer's error is its own. Here every
layer call of the graph gets the float64 reference's own input tensors at that point, rounded to float32 (so
all three programs read the same numbers, and a ReLU or a max pooling takes the same branch in all of them):

* ours in float32, Keras in float32, and Keras' float64 model (the reference, on the same numbers in
  float64) each run that call alone;
* "inference" / "training" compare the call's outputs; "gradient" compares its vector-Jacobian product
  with respect to its inputs, the cotangent being the reference's own gradient at the call's outputs (the
  input gradient, step by step);
* a call passes when ours is as accurate as Keras against the reference, with the zoo's criterion
  (`zoo.accuracy_ratio`: elementwise within twice Keras' largest error plus the suite's float32 tolerance),
  on each tensor in units of its largest element (scale-free: a cotangent's scale is arbitrary).

    worst = layerwise(keras32, ours32, keras64, x64, "gradient", cotangent64)   # [CallAccuracy], one per output
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np

from .tolerances import FORWARD, GRADIENT
from .zoo import CHECKS as MODES, accuracy_ratio, keras_floatx, max_diff, to_numpy


@dataclass
class CallAccuracy:
    """One compared tensor of one layer call: its output (inference, training) or its input gradient."""

    key: str  # the call, as `tkl.Model.node_keys()` names it
    class_name: str
    ours32: float  # largest |ours - reference|
    keras32: float  # largest |Keras - reference|
    ratio: float  # `accuracy_ratio`: at most 1 is as accurate as Keras

    @property
    def ok(self) -> bool:
        return self.ratio <= 1.0


def graph_calls(keras_model) -> tuple[list, dict]:
    """[(key, node)] for every node of the functional `keras_model` (its inputs first), in Keras' execution
    order, keys as `tkl.Model.node_keys()` names them; and {id(KerasTensor): (key, tensor_index)}."""
    from torchkeras_layers.testing import keras_node_calls

    key_of = {id(node): key for _, node, key in keras_node_calls(keras_model)}
    calls, tensors = [], {}
    for depth in sorted(keras_model._nodes_by_depth, reverse=True):
        for node in keras_model._nodes_by_depth[depth]:
            key = key_of[id(node)]
            for i, tensor in enumerate(node.outputs):
                tensors[id(tensor)] = (key, i)
            calls.append((key, node))
    return calls, tensors


def reference_tensors(keras64, x64: np.ndarray, training: bool, cotangent64: np.ndarray | None = None):
    """Run `keras64`'s graph call by call (as `Functional.call` does) on `x64`: {(key, tensor_index): value},
    and with `cotangent64` also the gradient of ``sum(output * cotangent64)`` with respect to every tensor."""
    import keras
    import tensorflow as tf
    from keras.src.models.functional import operation_fn

    calls, refs = graph_calls(keras64)
    (input_tensor,) = keras64.inputs
    values = {id(input_tensor): tf.constant(x64)}
    with tf.GradientTape() as tape:
        tape.watch(values[id(input_tensor)])
        for _, node in calls:
            if node.is_input:
                continue
            args, kwargs = node.arguments.fill_in(values)
            outputs = operation_fn(node.operation, training=training)(*args, **kwargs)
            for tensor, value in zip(node.outputs, keras.tree.flatten(outputs)):
                values[id(tensor)] = value
        if cotangent64 is not None:
            (output,) = keras64.outputs
            loss = tf.reduce_sum(values[id(output)] * cotangent64)
    by_ref = {refs[i]: v for i, v in values.items()}
    gradients = None
    if cotangent64 is not None:
        names = list(by_ref)
        found = tape.gradient(loss, [by_ref[n] for n in names])
        gradients = {n: (np.zeros(by_ref[n].shape) if g is None else g.numpy()) for n, g in zip(names, found)}
    return {ref: v.numpy() for ref, v in by_ref.items()}, gradients


def layerwise(keras32, ours32, keras64, x64: np.ndarray, mode: str, cotangent64: np.ndarray | None = None) -> list:
    """Every layer call of `ours32` (`tkl.from_keras(keras32)`) against the same call of `keras32` and of
    `keras64` (Keras' float64 model with the same weights), fed the reference's own tensors (module doc).
    `mode`: "inference", "training" (batch statistics; BatchNormalization moving statistics move in all
    three models) or "gradient" (inference mode; needs `cotangent64`). Returns a CallAccuracy per output
    (or, for "gradient", per input) of every call."""
    import keras
    import tensorflow as tf
    import torch
    from keras.src.models.functional import operation_fn

    if mode not in MODES:
        raise ValueError(f"layerwise: mode must be one of {MODES}; received {mode!r}")
    gradient = mode == "gradient"
    training = mode == "training"
    tol = (GRADIENT if gradient else FORWARD)["float32"]
    with keras_floatx("float64"):  # as the float64 model was built and is called (Python constants: float64)
        values, cotangents = reference_tensors(keras64, x64, training, cotangent64 if gradient else None)
    calls, refs = graph_calls(keras64)
    calls32 = graph_calls(keras32)[0]
    # The two builds of one constructor: the same graph, but auto-generated names (the input layer's, Keras
    # ops') differ between them; ours has keras32's names.
    if [type(n.operation) for _, n in calls] != [type(n.operation) for _, n in calls32]:
        raise ValueError(f"layerwise: {keras32.name!r} and {keras64.name!r} are not the same graph")
    key32 = {key: key_ for (key, _), (key_, _) in zip(calls, calls32)}
    values = {(key32[k], i): v for (k, i), v in values.items()}
    cotangents = cotangents and {(key32[k], i): v for (k, i), v in cotangents.items()}
    refs = {t: (key32[k], i) for t, (k, i) in refs.items()}
    classes = {layer.name: type(layer).__name__ for layer in ours32.layers}
    results = []
    for (key, node), (_, node32) in zip(calls, calls32):
        if node.is_input:
            continue
        key = key32[key]
        inputs = [refs[id(t)] for t in node.input_tensors]
        as32 = {ref: values[ref].astype(np.float32) for ref in inputs}
        ours_inputs = {ref: torch.from_numpy(v.copy()).requires_grad_(gradient) for ref, v in as32.items()}
        tensor_of = partial(_ours_input, ours_inputs)
        # Keras, float32 and float64: the float64 graph's call structure, filled with each precision's inputs
        keras_runs = []
        for operation, dtype in ((node32.operation, np.float32), (node.operation, np.float64)):
            feed = {id(t): tf.constant(as32[refs[id(t)]].astype(dtype)) for t in node.input_tensors}
            with tf.GradientTape() as tape, keras_floatx(np.dtype(dtype).name):
                for value in feed.values():
                    tape.watch(value)
                args, kwargs = node.arguments.fill_in(feed)
                outputs = keras.tree.flatten(operation_fn(operation, training=training)(*args, **kwargs))
            if gradient:
                cots = [tf.constant(cotangents[(key, i)].astype(dtype)) for i in range(len(outputs))]
                found = tape.gradient(outputs, [feed[id(t)] for t in node.input_tensors], output_gradients=cots)
                keras_runs.append([np.zeros(as32[r].shape) if g is None else g.numpy() for g, r in zip(found, inputs)])
            else:
                keras_runs.append([o.numpy() for o in outputs])
        with torch.set_grad_enabled(gradient):
            outputs = _flat(ours32.call_node(key, tensor_of, training=training))
        if gradient:
            ours_in = [ours_inputs[ref] for ref in inputs]
            cots = [torch.from_numpy(cotangents[(key, i)].astype(np.float32)) for i in range(len(outputs))]
            found = torch.autograd.grad(outputs, ours_in, grad_outputs=cots, allow_unused=True)
            ours_run = [np.zeros(t.shape) if g is None else g.numpy() for g, t in zip(found, ours_in)]
        else:
            ours_run = [to_numpy(o) for o in outputs]
        keras_run, reference = keras_runs
        if len(ours_run) != len(reference):
            raise ValueError(f"layerwise: call {key!r} gives {len(ours_run)} tensors in ours, {len(reference)} in "
                             "Keras")
        for ours, theirs, ref in zip(ours_run, keras_run, reference):
            # In units of the tensor's largest element: a call's tensors (a cotangent most of all) have no
            # natural scale, and rounding errors are relative; `accuracy_ratio` alone would floor the scale at 1.
            unit = float(np.abs(ref).max()) or 1.0
            ours_error, keras_error = max_diff(ours, ref), max_diff(theirs, ref)
            ratio = accuracy_ratio(to_numpy(ours) / unit, ref / unit, keras_error / unit, tol)
            results.append(CallAccuracy(key, classes.get(key.split("[")[0], "?"), ours_error, keras_error, ratio))
    return results


def _ours_input(tensors: dict, ref):
    """Our tensor for the graph tensor `ref` (a `TensorRef`) from `tensors`, keyed by (call key, tensor index)."""
    from torchkeras_layers.models.functional import node_key

    return tensors[(node_key(ref.layer, ref.node_index), ref.tensor_index)]


def _flat(outputs) -> list:
    if isinstance(outputs, (list, tuple)):
        return [t for o in outputs for t in _flat(o)]
    if isinstance(outputs, dict):
        return [t for o in outputs.values() for t in _flat(o)]
    return [outputs]
