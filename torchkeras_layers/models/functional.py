"""`Model`: a Keras functional graph (branches, merges, shared layers, several inputs/outputs) run as an
explicit, printable node list.

The graph is the one a Keras functional config describes: each layer has an ordered list of calls
("nodes"); a call's arguments reference tensors as `TensorRef(layer, node_index, tensor_index)`
(Keras' `keras_history`). At construction the nodes are put in topological order and every tensor
gets a slot; `forward` then runs a flat list of steps that read and write slots, with no Python-side
decision that depends on data, so `torch.compile(fullgraph=True)` and `torch.onnx.export` trace it
into one graph.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any

from torch import nn

from ..dtypes import dtype_name
from ..layers.base import Layer, build_on, standardize_shape
from ..layers.core.input_layer import InputLayer
from .base import CallSignature, Container, call_layer, standardize_model_input
from .ops import KerasOp, TensorSpec
from .serialization import deserialize_layer, serialize_layer, to_shape_tuple, unsupported_layers, unsupported_message

__all__ = ["Model", "Node", "TensorRef"]


@dataclass(frozen=True)
class TensorRef:
    """A tensor of the graph: output `tensor_index` of call `node_index` of layer `layer` (Keras' keras_history)."""

    layer: str
    node_index: int = 0
    tensor_index: int = 0

    def __str__(self) -> str:
        return self.layer if (self.node_index, self.tensor_index) == (0, 0) else \
            f"{self.layer}[{self.node_index}][{self.tensor_index}]"


@dataclass(frozen=True)
class Node:
    """One call of a layer: `layer(*args, **kwargs)`, where tensors are `TensorRef`s (a plain string in
    `args` is shorthand for `TensorRef(name)`). A layer's calls are numbered in list order."""

    layer: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)


class _Slot(int):
    """A slot index inside an argument template (distinct from a plain int constant)."""


@dataclass
class _Step:
    layer_pos: int
    node_index: int
    args: tuple  # templates: _Slot leaves, constants elsewhere
    kwargs: dict
    arg_has_tensor: tuple  # per positional argument
    tensor_kwargs: tuple  # names of keyword arguments that hold tensors
    outputs: tuple  # (tensor_index, slot) for every output tensor the graph uses
    signature: CallSignature


class Model(Container, keras_module="keras.src.models.functional", keras_name="Functional"):
    """Keras' functional `Model` as an `nn.Module`.

    Usually made by `tkl.from_keras(keras_model)` or `Model.from_config(keras_model.get_config())`;
    it can also be written by hand::

        inputs = [tkl.Input((4,), name="a"), tkl.Input((4,), name="b")]
        model = tkl.Model(
            layers=[*inputs, tkl.Dense(3, name="d1"), tkl.Dense(3, name="d2"), tkl.Add(name="add")],
            nodes=[Node("d1", ("a",)), Node("d2", ("b",)), Node("add", ([TensorRef("d1"), TensorRef("d2")],))],
            inputs=["a", "b"], outputs="add")

    `layers` (an `nn.ModuleList`, Keras' weight order) holds the `InputLayer`s too, as Keras'
    `model.layers` does. `forward(inputs, training=None, mask=None)` takes a tensor, a list (input
    order) or a dict (by input key or input layer name) and returns the outputs in the structure
    they were declared with. `print(model.graph)` shows the node list.
    """

    def __init__(self, layers, nodes, inputs, outputs, name: str | None = None, trainable: bool = True,
                 _tensor_specs: dict | None = None, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        layers = list(layers)
        for layer in layers:
            if not isinstance(layer, Layer):
                raise TypeError(f"Model ({self.name!r}): argument `layers` must contain torchkeras_layers layers; "
                                f"received {type(layer).__name__}")
        names = [layer.name for layer in layers]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"Model ({self.name!r}): layer names must be unique; duplicated: {duplicates}")
        self.layers = nn.ModuleList(layers)
        self._positions = {layer.name: i for i, layer in enumerate(layers)}
        self._nodes = [_as_node(n, self) for n in nodes]
        self._input_struct = _map_refs(inputs, self._as_ref)
        self._output_struct = _map_refs(outputs, self._as_ref)
        for ref in _leaves(self._input_struct):
            if not isinstance(self._layer(ref.layer), InputLayer):
                raise ValueError(f"Model ({self.name!r}): argument `inputs` must reference Input layers; "
                                 f"{ref.layer!r} is a {type(self._layer(ref.layer)).__name__}")
        self._compile_graph()
        self._tensor_specs = dict(_tensor_specs or {})
        self._infer_shapes()
        self.built = True
        self._build_args = (None,)  # Keras' functional model writes the build config `{"input_shape": None}`

    def _layer(self, name: str) -> Layer:
        if name not in self._positions:
            raise ValueError(f"Model ({self.name!r}): unknown layer {name!r}; layers are {list(self._positions)}")
        return self.layers[self._positions[name]]

    def _as_ref(self, value) -> TensorRef:
        ref = TensorRef(value) if isinstance(value, str) else value
        if not isinstance(ref, TensorRef):
            raise TypeError(f"Model ({self.name!r}): expected a TensorRef or a layer name; received {value!r}")
        self._layer(ref.layer)
        return ref

    # ------------------------------------------------------------------ graph compilation
    def _compile_graph(self) -> None:
        """Order the nodes as Keras' functional_from_config does and give every used tensor a slot."""
        input_layers = [layer for layer in self.layers if isinstance(layer, InputLayer)]
        pending = {layer.name: [] for layer in self.layers}
        for node in self._nodes:
            if isinstance(self._layer(node.layer), InputLayer):
                raise ValueError(f"Model ({self.name!r}): Input layer {node.layer!r} cannot be called")
            pending[node.layer].append(node)
        used = {}  # (layer, node_index) -> tensor indices referenced anywhere
        for ref in _leaves(self._output_struct) + [r for n in self._nodes for r in _leaves((n.args, n.kwargs))]:
            used.setdefault((ref.layer, ref.node_index), set()).add(ref.tensor_index)
        slots: dict[TensorRef, int] = {}
        produced = set()
        for layer in input_layers:
            slots[TensorRef(layer.name)] = len(slots)
            produced.add((layer.name, 0))
        steps, order = [], []
        done = {name: 0 for name in pending}
        while any(pending.values()):
            progress = False
            for layer in self.layers:
                queue = pending[layer.name]
                while queue and all((r.layer, r.node_index) in produced for r in _leaves((queue[0].args, queue[0].kwargs))):
                    node = queue.pop(0)
                    index = done[layer.name]
                    done[layer.name] += 1
                    outputs = []
                    for tensor_index in sorted(used.get((layer.name, index), ())):
                        ref = TensorRef(layer.name, index, tensor_index)
                        slots[ref] = len(slots)
                        outputs.append((tensor_index, slots[ref]))
                    to_slot = lambda r: _Slot(slots[r])  # noqa: E731
                    steps.append(_Step(
                        layer_pos=self._positions[layer.name], node_index=index,
                        args=tuple(_map_refs(a, to_slot, refs_only=True) for a in node.args),
                        kwargs={k: _map_refs(v, to_slot, refs_only=True) for k, v in node.kwargs.items()},
                        arg_has_tensor=tuple(bool(_leaves(a)) for a in node.args),
                        tensor_kwargs=tuple(k for k, v in node.kwargs.items() if _leaves(v)),
                        outputs=tuple(outputs), signature=CallSignature.of(layer)))
                    order.append((node, index))
                    produced.add((layer.name, index))
                    progress = True
            if not progress:
                stuck = {name: [str(r) for n in q for r in _leaves((n.args, n.kwargs)) if (r.layer, r.node_index) not in produced]
                         for name, q in pending.items() if q}
                raise ValueError(f"Model ({self.name!r}): invalid graph: it has loops or references tensors that are "
                                 f"never produced. Unresolved inputs per layer: {stuck}")
        for ref in _leaves(self._output_struct):
            if ref not in slots:
                raise ValueError(f"Model ({self.name!r}): output {ref} is not produced by the graph")
        self._steps = steps
        self._ordered_nodes = order
        self._slots = slots
        self._n_slots = len(slots)
        self._input_refs = _leaves(self._input_struct)
        self._input_slots = tuple((self._positions[r.layer], slots[r]) for r in self._input_refs)
        self._output_template = _map_refs(self._output_struct, lambda r: _Slot(slots[r]))

    # ------------------------------------------------------------------ shapes and building
    def _infer_shapes(self) -> None:
        """Build unbuilt layers from their input shapes (Keras builds functional layers when they are
        connected) and record every tensor's (shape, dtype name)."""
        specs = self._tensor_specs
        for ref in self._input_refs:
            layer = self._layer(ref.layer)
            specs.setdefault(ref, (tuple(layer.batch_shape), dtype_name(layer.input_dtype)))
        self._call_shapes = {}
        for step, (node, index) in zip(self._steps, self._ordered_nodes):
            layer = self.layers[step.layer_pos]
            shape_of = lambda r: specs.get(r, (None, None))[0]  # noqa: E731
            arg_shapes = [_map_refs(a, shape_of, refs_only=True) for a in node.args]
            kwarg_shapes = {k: _map_refs(node.kwargs[k], shape_of, refs_only=True) for k in step.tensor_kwargs}
            shapes = _shapes_dict(step.signature, node.args, arg_shapes, kwarg_shapes)
            if index == 0 and shapes:
                self._call_shapes[layer.name] = next(iter(shapes.values()))
            if not layer.built:
                _build_layer(layer, shapes, self._build_device)
            missing = [t for t, _ in step.outputs if TensorRef(layer.name, index, t) not in specs]
            if missing and isinstance(layer, KerasOp):
                spec_of = lambda r: TensorSpec(*specs.get(r, (None, None)))  # noqa: E731
                out_specs = layer.output_specs(tuple(_map_refs(a, spec_of, refs_only=True) for a in node.args))
                for t in missing:
                    found = out_specs[t] if out_specs is not None and t < len(out_specs) else TensorSpec(None, None)
                    specs[TensorRef(layer.name, index, t)] = (found.shape, found.dtype)
            elif missing:
                out_shapes = _output_shapes(layer, shapes)
                dtype = dtype_name(layer.compute_dtype)
                for t in missing:
                    shape = out_shapes[t] if out_shapes is not None and t < len(out_shapes) else None
                    specs[TensorRef(layer.name, index, t)] = (shape, dtype)

    @property
    def input_shape(self):
        return _map_refs(self._input_struct, lambda r: self._tensor_specs[r][0])

    @property
    def output_shape(self):
        return _map_refs(self._output_struct, lambda r: self._tensor_specs[r][0])

    def compute_output_shape(self, input_shape):
        return self.output_shape

    # ------------------------------------------------------------------ running
    def forward(self, inputs, training=None, mask=None):
        return self._run(inputs, training, mask, None)[0]

    def forward_with_mask(self, inputs, training=None, mask=None):
        return self._run(inputs, training, mask, None)

    def forward_with_intermediates(self, inputs, training=None, mask=None):
        """(outputs, {"layer" or "layer[k]" (its k-th call): that call's output}) in one pass, nodes in
        execution order (what `tkl.testing` compares node by node)."""
        record = {}
        outputs, _ = self._run(inputs, training, mask, record)
        return outputs, record

    def node_keys(self) -> list[str]:
        """The keys of `forward_with_intermediates` ("layer", or "layer[k]" for its k-th call), in execution order."""
        return [node_key(node.layer, index) for node, index in self._ordered_nodes]

    def node_inputs(self, key: str) -> list[TensorRef]:
        """The graph tensors layer call `key` (a `node_keys()` entry) reads, in argument order."""
        node = self._node_of(key)[1]
        return _leaves((node.args, node.kwargs))

    def call_node(self, key: str, tensor_of, training=None):
        """Layer call `key` alone, on the tensors `tensor_of(ref)` returns for its inputs (`node_inputs(key)`)
        instead of the graph's own, with its recorded constant arguments: its outputs. What a layer-by-layer
        comparison feeds each layer (`equivalence_tests/layerwise.py`)."""
        step, node = self._node_of(key)
        values: list[Any] = [None] * self._n_slots
        for ref in _leaves((node.args, node.kwargs)):
            values[self._slots[ref]] = tensor_of(ref)
        args = tuple(_fill(a, values) for a in step.args)
        kwargs = {k: _fill(v, values) for k, v in step.kwargs.items()}
        return call_layer(self.layers[step.layer_pos], step.signature, args, kwargs, training,
                          tuple(None for _ in step.args), {k: None for k in step.tensor_kwargs},
                          n_tensor_args=sum(step.arg_has_tensor) + len(step.tensor_kwargs))[0]

    def _node_of(self, key: str):
        for step, (node, index) in zip(self._steps, self._ordered_nodes):
            if node_key(node.layer, index) == key:
                return step, node
        raise ValueError(f"Model ({self.name!r}): no layer call {key!r}; the calls are {self.node_keys()}")

    def _build_shapes(self, args, kwargs):  # never lazily built: a Model is built at construction
        return ()

    def _check_input_type(self, inputs) -> None:
        if isinstance(inputs, dict):
            inputs = list(inputs.values())
        super()._check_input_type(inputs)

    def _run(self, inputs, training, mask, record):
        values: list[Any] = [None] * self._n_slots
        masks: list[Any] = [None] * self._n_slots
        flat_inputs = self._flatten_inputs(inputs, "inputs")
        flat_masks = self._flatten_inputs(mask, "mask") if mask is not None else [None] * len(flat_inputs)
        for (layer_pos, slot), x, m in zip(self._input_slots, flat_inputs, flat_masks):
            values[slot] = standardize_model_input(self, self.layers[layer_pos], x)
            masks[slot] = m
        layers = list(self.layers)  # a plain list: indexing the ModuleList costs ~10 us a call
        for step in self._steps:
            layer = layers[step.layer_pos]
            args = tuple(_fill(a, values) for a in step.args)
            kwargs = {k: _fill(v, values) for k, v in step.kwargs.items()}
            arg_masks = tuple(_fill(a, masks) if has else None for a, has in zip(step.args, step.arg_has_tensor))
            kwarg_masks = {k: _fill(step.kwargs[k], masks) for k in step.tensor_kwargs}
            outputs, out_mask = call_layer(layer, step.signature, args, kwargs, training, arg_masks, kwarg_masks,
                                           n_tensor_args=sum(step.arg_has_tensor) + len(step.tensor_kwargs))
            flat_out = _flatten_outputs(outputs)
            flat_mask = _flatten_outputs(out_mask) if out_mask is not None else []
            for tensor_index, slot in step.outputs:
                values[slot] = flat_out[tensor_index]
                masks[slot] = flat_mask[tensor_index] if tensor_index < len(flat_mask) else None
            if record is not None:
                record[node_key(layer.name, step.node_index)] = outputs
        return _fill(self._output_template, values), _fill(self._output_template, masks)

    def _flatten_inputs(self, inputs, what: str) -> list:
        n = len(self._input_refs)
        if isinstance(inputs, dict):
            keys = list(self._input_struct) if isinstance(self._input_struct, dict) else [r.layer for r in self._input_refs]
            if isinstance(self._input_struct, dict):
                by_ref = {ref: key for key, ref in self._input_struct.items()}
                keys = [by_ref[r] for r in self._input_refs]
            missing = [k for k in keys if k not in inputs]
            if missing:
                raise ValueError(f"Model ({self.name!r}): argument `{what}` is missing the inputs {missing}; "
                                 f"expected keys {keys}, received {sorted(inputs)}")
            return [inputs[k] for k in keys]
        if isinstance(inputs, (list, tuple)):
            if len(inputs) != n:
                raise ValueError(f"Model ({self.name!r}): argument `{what}` must hold {n} tensors "
                                 f"({[r.layer for r in self._input_refs]}); received {len(inputs)}")
            return list(inputs)
        if n != 1:
            raise ValueError(f"Model ({self.name!r}): argument `{what}` must be a list or dict of {n} tensors "
                             f"({[r.layer for r in self._input_refs]}); received a single {type(inputs).__name__}")
        return [inputs]

    # ------------------------------------------------------------------ readable graph
    @property
    def graph(self) -> str:
        """The node list, one call per line: `out = layer_name(Class)(args)`."""
        lines = [f"inputs: {_format_struct(self._input_struct)}"]
        for step, (node, index) in zip(self._steps, self._ordered_nodes):
            layer = self.layers[step.layer_pos]
            target = str(TensorRef(layer.name, index))
            args = ", ".join([_format_struct(a) for a in node.args] +
                             [f"{k}={_format_struct(v)}" for k, v in node.kwargs.items()])
            lines.append(f"{target} = {layer.name}:{getattr(layer, 'class_label', type(layer).__name__)}({args})")
        lines.append(f"outputs: {_format_struct(self._output_struct)}")
        return "\n".join(lines)

    def extra_repr(self) -> str:
        return f"name={self.name!r}\ngraph:\n  " + self.graph.replace("\n", "\n  ")

    def _summary_rows(self):
        rows = []
        for layer in self.layers:
            calls = [(node, index) for node, index in self._ordered_nodes if node.layer == layer.name]
            shapes = [self._tensor_specs.get(TensorRef(layer.name, i), (None,))[0] for _, i in calls] or \
                [self._tensor_specs.get(TensorRef(layer.name), (None,))[0]]
            connected = ", ".join(f"{r.layer}[{r.node_index}][{r.tensor_index}]"
                                  for node, _ in calls for r in _leaves((node.args, node.kwargs)))
            rows.append((layer, shapes[0], connected or "-"))  # Keras shows the first call's shape
        return rows

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict:
        """Keras' functional config (`keras.Model.from_config` rebuilds the same graph)."""
        entries = []
        for layer in self.layers:
            entry = serialize_layer(layer, self._call_shapes.get(layer.name))
            entry["name"] = layer.name
            entry["inbound_nodes"] = [
                {"args": tuple(self._serialize_arg(a) for a in node.args),
                 "kwargs": {k: self._serialize_arg(v) for k, v in node.kwargs.items()}}
                for node in self._nodes if node.layer == layer.name
            ]
            entries.append(entry)

        def history(ref):
            # Keras counts a nested functional model's own (internal) call as its node 0.
            offset = 1 if type(self._layer(ref.layer)) is Model else 0
            return [ref.layer, ref.node_index + offset, ref.tensor_index]

        return {"name": self.name, "trainable": self.trainable, "layers": entries,
                "input_layers": _map_refs(self._input_struct, history),
                "output_layers": _map_refs(self._output_struct, history)}

    def _serialize_arg(self, value):
        def tensor(ref):
            shape, dtype = self._tensor_specs.get(ref, (None, None))
            return {"class_name": "__keras_tensor__",
                    "config": {"shape": shape, "dtype": dtype, "keras_history": [ref.layer, ref.node_index, ref.tensor_index]}}

        return _serialize_index_keys(_map_refs(value, tensor, refs_only=True))

    @classmethod
    def from_config(cls, config: dict, custom_objects=None, overrides=None):
        """From Keras' functional `get_config()` (and ours). Unsupported layers -> NotImplementedError
        listing all of them."""
        for key in ("layers", "input_layers", "output_layers"):
            if key not in config:
                raise ValueError(f"Model.from_config: a functional config needs the key {key!r}; received keys {sorted(config)}")
        missing = [m for entry in config["layers"] for m in unsupported_layers(entry)]
        if missing:
            raise NotImplementedError(unsupported_message(missing))
        layers, nodes, specs = [], [], {}
        for entry in config["layers"]:
            layer = deserialize_layer(entry, overrides)
            layers.append(layer)
            for node in entry.get("inbound_nodes", []):
                args, kwargs = _deserialize_node(node, specs)
                nodes.append(Node(entry["name"], args, kwargs))
        nested = {layer.name for layer in layers if type(layer) is Model}

        def ref(history):
            name, node_index, tensor_index = history
            if name in nested:
                node_index -= 1  # Keras' output_layers count a nested model's internal node
            return TensorRef(name, node_index, tensor_index)

        inputs = _map_histories(config["input_layers"], ref)
        outputs = _map_histories(config["output_layers"], ref)
        model = cls(layers, nodes, inputs, outputs, name=config.get("name"), _tensor_specs=specs)
        if config.get("trainable") is False:
            model.trainable = False
        return model


# ---------------------------------------------------------------------------- helpers
def _as_node(node, model: Model) -> Node:
    if not isinstance(node, Node):
        raise TypeError(f"Model ({model.name!r}): argument `nodes` must contain Node objects; received {node!r}")
    args = tuple(TensorRef(a) if isinstance(a, str) else a for a in node.args)
    for ref in _leaves((args, node.kwargs)):
        model._as_ref(ref)
    model._layer(node.layer)
    return Node(node.layer, args, dict(node.kwargs))


def _map_refs(value, fn, refs_only: bool = False):
    """Apply `fn` to every TensorRef leaf (and, unless `refs_only`, to every string leaf)."""
    if isinstance(value, TensorRef) or (not refs_only and isinstance(value, str)):
        return fn(value)
    if isinstance(value, list):
        return [_map_refs(v, fn, refs_only) for v in value]
    if isinstance(value, tuple):
        return tuple(_map_refs(v, fn, refs_only) for v in value)
    if isinstance(value, dict):
        return {k: _map_refs(v, fn, refs_only) for k, v in value.items()}
    return value


def _leaves(value) -> list[TensorRef]:
    if isinstance(value, TensorRef):
        return [value]
    if isinstance(value, (list, tuple)):
        return [r for v in value for r in _leaves(v)]
    if isinstance(value, dict):
        return [r for k in value for r in _leaves(value[k])]
    return []


def node_key(layer: str, node_index: int) -> str:
    return layer if node_index == 0 else f"{layer}[{node_index}]"


def _fill(template, values):
    if isinstance(template, _Slot):
        return values[template]
    if isinstance(template, list):
        return [_fill(t, values) for t in template]
    if isinstance(template, tuple):
        return tuple(_fill(t, values) for t in template)
    if isinstance(template, dict):
        return {k: _fill(v, values) for k, v in template.items()}
    return template


def _flatten_outputs(outputs) -> list:
    if isinstance(outputs, (list, tuple)):
        return [t for o in outputs for t in _flatten_outputs(o)]
    if isinstance(outputs, dict):
        return [t for k in sorted(outputs) for t in _flatten_outputs(outputs[k])]
    return [outputs]


def _format_struct(value) -> str:
    if isinstance(value, TensorRef):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_format_struct(v) for v in value) + "]"
    if isinstance(value, tuple):
        return "(" + ", ".join(_format_struct(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_format_struct(v)}" for k, v in value.items()) + "}"
    return repr(value)


def _is_keras_tensor(value) -> bool:
    return isinstance(value, dict) and value.get("class_name") == "__keras_tensor__"


def _deserialize_node(node, specs: dict):
    """(args, kwargs) of one inbound node of a Keras config, tensors as TensorRefs (their shapes into `specs`)."""
    if isinstance(node, list):  # legacy (Keras 2) form: [[layer, node, tensor, kwargs], ...]
        refs = [TensorRef(d[0], d[1], d[2]) for d in node]
        kwargs = node[0][3] if node and len(node[0]) > 3 else {}
        return ((refs[0] if len(refs) == 1 else refs),), dict(kwargs)

    def convert(value):
        if isinstance(value, dict) and value.get("class_name") == "__slice__":
            bounds = value.get("config") or {}
            return slice(bounds.get("start"), bounds.get("stop"), bounds.get("step"))
        if isinstance(value, dict) and value.get("class_name") == "__ellipsis__":
            return Ellipsis
        if _is_keras_tensor(value):
            config = value["config"]
            name, node_index, tensor_index = config["keras_history"]
            ref = TensorRef(name, node_index, tensor_index)
            if config.get("shape") is not None:
                specs[ref] = (to_shape_tuple(config["shape"]), config.get("dtype"))
            return ref
        if isinstance(value, list):
            return [convert(v) for v in value]
        if isinstance(value, tuple):
            return tuple(convert(v) for v in value)
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        return value

    return tuple(convert(a) for a in node.get("args", ())), {k: convert(v) for k, v in node.get("kwargs", {}).items()}


def _serialize_index_keys(value):
    """Slices and `...` in node arguments (a GetItem key) as Keras' serialization_lib writes them."""
    if isinstance(value, slice):
        return {"class_name": "__slice__", "config": {"start": value.start, "stop": value.stop, "step": value.step}}
    if value is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    if isinstance(value, list):
        return [_serialize_index_keys(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_serialize_index_keys(v) for v in value)
    if isinstance(value, dict) and value.get("class_name") != "__keras_tensor__":
        return {k: _serialize_index_keys(v) for k, v in value.items()}
    return value


def _map_histories(value, fn):
    """Keras' input_layers/output_layers: a [name, node, tensor] leaf, or lists/dicts of them."""
    if isinstance(value, (list, tuple)) and len(value) == 3 and isinstance(value[0], str):
        return fn(value)
    if isinstance(value, dict):
        return {k: _map_histories(v, fn) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(_map_histories(v, fn) for v in value)
    return [_map_histories(v, fn) for v in value]


def _shapes_dict(signature: CallSignature, args: tuple, arg_shapes: list, kwarg_shapes: dict) -> dict:
    """Keras' `get_shapes_dict`: {"<argument>_shape": shape} for every tensor argument of a call."""
    shapes = {}
    names = [n for n in signature.arg_names if n not in kwarg_shapes]
    for i, (arg, shape) in enumerate(zip(args, arg_shapes)):
        if _leaves(arg):
            name = names[i] if i < len(names) else f"arg{i}"
            shapes[f"{name}_shape"] = shape
    for name, shape in kwarg_shapes.items():
        if name != "mask" and not name.endswith("_mask"):
            shapes[f"{name}_shape"] = shape
    return shapes


def _aligned(fn, shapes: dict) -> list:
    """Keras' `update_shapes_dict_for_target_fn`, as positional arguments for `fn`."""
    params = [p.name for p in inspect.signature(fn).parameters.values()
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    if len(params) <= 1:
        return [next(iter(shapes.values()), None)]
    values = [shapes.get(p) for p in params]
    while values and values[-1] is None:
        values.pop()
    return values


def _build_layer(layer: Layer, shapes: dict, device) -> None:
    with build_on(device):
        layer.build(*_aligned(layer.build, shapes))
    layer.built = True


def _output_shapes(layer: Layer, shapes: dict):
    """The layer's output shape(s) as a list indexed by tensor_index; None when it cannot say."""
    try:
        out = layer.compute_output_shape(*_aligned(layer.compute_output_shape, shapes))
    except (NotImplementedError, TypeError, ValueError, RuntimeError, AttributeError):
        return None
    if isinstance(out, (list, tuple)) and any(isinstance(o, (list, tuple)) for o in out):
        return [standardize_shape(o) if o is not None else None for o in out]
    return [standardize_shape(out)]
