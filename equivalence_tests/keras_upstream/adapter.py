"""The one adapter between Keras' layer tests and our layers.

`TorchAdapter.layer_class("Dense")` is a class that Keras' tests can use wherever they use
`keras.layers.Dense`: constructing it constructs `torchkeras_layers.layers.Dense` with the same
arguments, and every member a test touches is answered by our module:

* calls take numpy / TensorFlow / Keras tensors, run our `forward` on torch tensors (in inference
  mode unless `training=True`, as a Keras layer called outside `fit`), and return TensorFlow tensors
  (what a Keras layer returns on the TensorFlow backend), with Keras' `_keras_mask` from our
  `compute_mask`;
* a call on symbolic `KerasTensor`s answers from our `compute_output_shape` and the dtype of our
  forward on small zero tensors;
* weights are views of our parameters/buffers in Keras layout (`assign`, `numpy`, `shape`, `path`);
* `get_config`/`from_config`, `build`, `count_params`, `losses`, `trainable`, `built`, `dtype`,
  `dtype_policy` are ours, translated only in representation (a torch dtype becomes its Keras name).

A test module's own layers, subclasses of `keras.layers.Layer` on `keras.ops` (the cells of Keras' RNN
tests), are layers of ours on Keras' Layer API (`KerasApiLayer`, `TorchOps`); the Keras classes a test
imports from their unexported module (`ConvLSTMCell`) are ours of that name (`TorchAdapter.private_class`).

Keras-only members raise `NotApplicable` with a category (see `CATEGORIES`); anything else our
layer lacks is an `AttributeError`, i.e. a failure to investigate.

`KerasIdentityAdapter` hands out Keras' own classes (the replay's self-test), `PerturbedAdapter`
adds 0.1 to every floating output of ours (the replay must then fail).
"""

from __future__ import annotations

import contextlib
import functools
import inspect

import numpy as np
import torch

import torchkeras_layers.layers as ours

# n/a categories: every case that is not pass/fail names one of these.
CATEGORIES = {
    "sparse": "sparse tensors (tf.SparseTensor): PyTorch layers take dense tensors",
    "ragged": "ragged tensors (tf.RaggedTensor): TensorFlow-only",
    "quantization": "Keras quantization (int8/int4/float8/GPTQ/AWQ): not part of the port",
    "keras_model": "Keras Model/Sequential/Functional around the layer (fit, predict, save, export)",
    "saving": "Keras saving machinery (.keras files, build/compile configs)",
    "keras_only_attribute": "Keras-only layer attributes (seed generators, Keras variables' internals, tracking)",
    "backend_specific": "the test is skipped by Keras itself on the TensorFlow backend",
    "error_wording": "every check passes; only the wording of expected errors (same exception type) differs",
    "not_our_layer": "the test does not construct any layer of the port",
    "flash_attention": "flash attention configuration of the Keras backend",
    "keras_private": "Keras-private members and hooks (_query_dense, _compute_attention, ...): internals differ",
    "keras_ops_function": "Lambda around a Keras op (keras.ops.*): it computes with the Keras backend, not torch",
    "symbolic": "Keras symbolic values as arguments (InputLayer(tensor=KerasTensor))",
    "graph_tensors": "TensorFlow graph tensors (backend.compute_output_spec / tf.function tracing of the call)",
}


class NotApplicable(Exception):
    """The case touches Keras-only machinery; `category` is a key of CATEGORIES."""

    def __init__(self, category: str, detail: str):
        assert category in CATEGORIES, category
        super().__init__(f"{category}: {detail}")
        self.category = category
        self.detail = detail


class KerasOnlyAttribute(NotApplicable, AttributeError):
    """A Keras-only member was read; an AttributeError too, so that Keras' `hasattr` probes answer False."""


# Keras-only members of Keras layers, by category. A member not listed here and missing on our
# module is an AttributeError (a failure), never n/a.
KERAS_ONLY_ATTRIBUTES = {
    "quantization": ("quantize", "quantized_call", "quantization_mode", "kernel_scale", "_int8_call",
                     "_int4_call", "_float8_call", "inputs_scale", "outputs_grad_scale",
                     "quantized_build", "_quantization_mode_error", "kernel_zero", "g_idx",
                     "_orig_output_dim", "_orig_input_dim", "variable_serialization_spec"),
    "saving": ("save_own_variables", "load_own_variables", "get_build_config", "build_from_config"),
    "keras_private": ("_kernel", "_query_dense", "_key_dense", "_value_dense", "_output_dense", "_gate_dense",
                      "_compute_attention", "_sliding_window", "_masked_softmax", "_dot_product_equation",
                      "_combine_equation", "_build_attention", "_inverse_sqrt_key_dim", "_dropout_layer",
                      "_softmax", "_flash_attention", "_return_attention_scores"),
    "keras_only_attribute": ("_seed_generators", "seed_generator", "_tracker", "_flatten_layers", "torch_params",
                             "_layers", "_trainable_variables", "_non_trainable_variables", "symbolic_call",
                             "stateless_call", "_call_has_training_arg", "_open_name_scope", "path", "call", "output",
                             "_inbound_nodes", "_outbound_nodes", "_build_shapes_dict", "_called"),
}
_CATEGORY_OF_ATTRIBUTE = {a: c for c, names in KERAS_ONLY_ATTRIBUTES.items() for a in names}

# Adapter state lives in the instance dict under these names; everything else goes to our module.
_OWN = ("_module", "_adapter", "_built_here")


def _tf():
    import tensorflow as tf

    return tf


def _keras():
    import keras

    return keras


def _is_keras_tensor(x) -> bool:
    from keras.src.backend.common.keras_tensor import KerasTensor

    return isinstance(x, KerasTensor)


def _structure_any(value, predicate) -> bool:
    if isinstance(value, (list, tuple)):
        return any(_structure_any(v, predicate) for v in value)
    if isinstance(value, dict):
        return any(_structure_any(v, predicate) for v in value.values())
    return predicate(value)


def _map(value, fn):
    if isinstance(value, list):
        return [_map(v, fn) for v in value]
    if isinstance(value, tuple):
        return tuple(_map(v, fn) for v in value)
    if isinstance(value, dict):
        return {k: _map(v, fn) for k, v in value.items()}
    return fn(value)


def to_torch(x):
    """numpy / TensorFlow / Keras variable -> torch tensor; other values unchanged."""
    tf = _tf()
    keras = _keras()
    if isinstance(x, tf.SparseTensor):
        raise NotApplicable("sparse", "a tf.SparseTensor input")
    if isinstance(x, tf.RaggedTensor):
        raise NotApplicable("ragged", "a tf.RaggedTensor input")
    if isinstance(x, WeightView):
        return x.tensor
    if isinstance(x, keras.Variable):
        x = x.value
    if isinstance(x, tf.Tensor) and not hasattr(x, "numpy"):
        raise NotApplicable("graph_tensors", "a symbolic tf.Tensor input (traced by the Keras backend)")
    if isinstance(x, (tf.Tensor, tf.Variable)):
        if x.dtype == tf.bfloat16:  # numpy has no bfloat16: widen exactly, narrow back in torch
            return torch.from_numpy(tf.cast(x, tf.float32).numpy()).to(torch.bfloat16)
        return torch.from_numpy(np.array(x.numpy()))
    if isinstance(x, np.ndarray):
        return torch.from_numpy(np.array(x))
    if isinstance(x, np.generic):
        return torch.as_tensor(x)
    return x


def to_backend(x, perturbation: float = 0.0):
    """torch tensor -> TensorFlow tensor (the Keras backend's tensor), dtype kept."""
    tf = _tf()
    if isinstance(x, torch.Tensor):
        x = x.detach()
        if perturbation and x.is_floating_point():
            x = x + perturbation
        if x.dtype == torch.bfloat16:
            return tf.cast(tf.constant(x.float().cpu().numpy()), tf.bfloat16)
        return tf.constant(x.cpu().numpy())
    if isinstance(x, tf.Tensor) and perturbation and x.dtype.is_floating:
        return x + tf.cast(perturbation, x.dtype)
    return x


def _dtype_name(dtype) -> str:
    from keras.src.backend import standardize_dtype

    return standardize_dtype(dtype)


class WeightView:
    """One of our weights seen as a Keras variable: Keras layout, `assign`, `numpy`, `path`."""

    def __init__(self, tensor: torch.Tensor, path: str, trainable: bool, info=None):
        self.tensor = tensor  # a view in Keras layout of the stored parameter/buffer
        self.path = path
        self.name = path.rsplit("/", 1)[-1]
        self.trainable = trainable
        self._info = info

    @property
    def constraint(self):
        """Our constraint of this weight, as the Keras object of the same config."""
        from torchkeras_layers import constraints

        found = self._info.constraint if self._info is not None else None
        return None if found is None else _keras().constraints.get(constraints.serialize(found))

    @property
    def regularizer(self):
        from torchkeras_layers import regularizers

        found = self._info.regularizer if self._info is not None else None
        return None if found is None else _keras().regularizers.get(regularizers.serialize(found))

    shape = property(lambda self: tuple(self.tensor.shape))
    dtype = property(lambda self: _dtype_name(self.tensor.dtype))
    ndim = property(lambda self: self.tensor.dim())

    def numpy(self):
        t = self.tensor.detach()
        return (t.float() if t.dtype == torch.bfloat16 else t).cpu().numpy()

    @property
    def value(self):
        return to_backend(self.tensor)

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        return a.astype(dtype) if dtype is not None else a

    def assign(self, value):
        with torch.no_grad():
            self.tensor.copy_(torch.as_tensor(np.asarray(_keras().ops.convert_to_numpy(value))))
        return self

    def __len__(self):
        return len(self.tensor)

    def __repr__(self):
        return f"<WeightView path={self.path} shape={self.shape} dtype={self.dtype}>"


def _keras_policy(policy):
    """Our DTypePolicy as a Keras DTypePolicy of the same name, its compute and variable dtypes ours: a
    Keras object, so Keras' tests can serialize and compare it; what they see of it is our layer's."""
    from keras.src.dtype_policies.dtype_policy import DTypePolicy as KerasPolicy

    view = KerasPolicy(policy.name)
    view._compute_dtype = _dtype_name(policy.compute_dtype)
    view._variable_dtype = _dtype_name(policy.variable_dtype)
    return view


def _keras_argument_to_ours(value):
    """Keras objects in constructor arguments -> the forms our API takes (a config dict / a name)."""
    keras = _keras()
    from keras.src.dtype_policies.dtype_policy import DTypePolicy as KerasPolicy
    from keras.src.dtype_policies.dtype_policy_map import DTypePolicyMap

    if isinstance(value, AdaptedLayer):  # a wrapped layer (Bidirectional's, TimeDistributed's): ours inside
        return value.__dict__["_module"]
    if isinstance(value, list) and any(isinstance(v, AdaptedLayer) for v in value):  # RNN([cell, cell])
        return [_keras_argument_to_ours(v) for v in value]
    if isinstance(value, DTypePolicyMap):
        raise NotApplicable("quantization", "a DTypePolicyMap (per-sublayer, quantization) dtype")
    if isinstance(value, KerasPolicy):
        if value.quantization_mode is not None:
            raise NotApplicable("quantization", f"dtype policy {value.name}")
        return value.name
    if isinstance(value, (keras.initializers.Initializer, keras.regularizers.Regularizer,
                          keras.constraints.Constraint)):
        return keras.saving.serialize_keras_object(value)
    if inspect.isfunction(value) and getattr(value, "__module__", "").startswith("keras.src.activations"):
        return keras.activations.serialize(value)
    return value


def _trains_by_default(adapted_cls) -> bool:
    """Whether Keras' `call` of the adapted class defaults to training=True (the augmentation layers):
    called outside `fit`, such a layer trains; every other layer then runs in inference mode."""
    keras_class = getattr(_keras().layers, adapted_cls._our_class.__name__, None)
    call = getattr(keras_class, "call", None)
    parameter = inspect.signature(call).parameters.get("training") if call is not None else None
    return parameter is not None and parameter.default is True


class AdaptedLayer:
    """Base of the adapted classes; `_our_class` and `_adapter` are set per class."""

    _our_class: type = None
    _adapter: "TorchAdapter" = None

    def __init_subclass__(cls, **kwargs):
        """A test's subclass that overrides a Keras hook (`call`, `_compute_attention`, ...) tests Keras'
        internals: our layers have other ones (`forward`, ...)."""
        super().__init_subclass__(**kwargs)
        keras_class = getattr(_keras().layers, cls._our_class.__name__, None) if cls._our_class else None
        for name in vars(cls):
            if name == "call" or (name.startswith("_") and not name.startswith("__") and keras_class is not None
                                  and hasattr(keras_class, name) and name not in vars(AdaptedLayer)):
                raise NotApplicable("keras_private", f"a subclass overrides Keras' {name}")

    def __init__(self, *args, **kwargs):
        if isinstance(kwargs.get("dtype"), str) and "_from_" in kwargs["dtype"]:  # "int8_from_float32"
            raise NotApplicable("quantization", f"dtype={kwargs['dtype']!r}")
        if any(_is_keras_tensor(v) for v in list(args) + list(kwargs.values())):
            raise NotApplicable("symbolic", "a KerasTensor constructor argument")
        if kwargs.get("ragged"):
            raise NotApplicable("ragged", "ragged=True")
        if "quantization_config" in kwargs:
            raise NotApplicable("quantization", "quantization_config argument")
        function = kwargs.get("function", args[0] if args else None)
        if self._our_class is ours.Lambda and getattr(function, "__module__", "").startswith("keras.src.ops"):
            raise NotApplicable("keras_ops_function", f"Lambda({function.__module__}.{function.__name__})")
        args = tuple(_keras_argument_to_ours(a) for a in args)
        kwargs = {k: _keras_argument_to_ours(v) for k, v in kwargs.items()}
        self._adapter.constructed += 1  # counted before: a constructor that raises was exercised too
        our_class = self._our_class
        if type(self).build is not AdaptedLayer.build:
            # The test subclasses the layer and overrides `build` (run_layer_test's ModifiedBuildLayer):
            # do the same to ours, so that Keras' rule "an overridden build is not built at init" is tested.
            our_build = our_class.build
            our_class = type(our_class.__name__, (our_class,), {"build": lambda s, *a, **k: our_build(s, *a, **k)})
        module = our_class(*args, **kwargs)
        module.train(_trains_by_default(type(self)))  # a Keras layer called outside `fit`: its call's default
        self.__dict__["_module"] = module

    # --------------------------------------------------------------- construction from our module
    @classmethod
    def _wrap(cls, module):
        obj = cls.__new__(cls)
        module.train(_trains_by_default(cls))
        obj.__dict__["_module"] = module
        cls._adapter.constructed += 1
        return obj

    @classmethod
    def from_config(cls, config, *args, **kwargs):
        """Our from_config; where it takes `custom_objects` (Lambda), Keras' active custom-object scope is
        passed explicitly, as Keras' own from_config reads it implicitly."""
        config = {k: _keras_argument_to_ours(v) for k, v in dict(config).items()}
        accepts = inspect.signature(cls._our_class.from_config).parameters
        if "custom_objects" in accepts and "custom_objects" not in kwargs and not args:
            from keras.src.backend.common import global_state

            kwargs["custom_objects"] = dict(global_state.get_global_attribute("custom_objects_scope_dict", {}))
        return cls._wrap(cls._our_class.from_config(config, *args, **kwargs))

    # --------------------------------------------------------------- attribute forwarding
    def __getattr__(self, name):
        module = self.__dict__.get("_module")
        if module is None:
            raise AttributeError(name)
        try:
            value = getattr(module, name)
        except AttributeError:
            category = _CATEGORY_OF_ATTRIBUTE.get(name)
            if category is not None:
                raise KerasOnlyAttribute(category, f"{type(self).__name__}.{name}") from None
            raise
        if isinstance(value, torch.Tensor):
            return self._view_of(name, value)
        if isinstance(value, torch.dtype):
            return _dtype_name(value)
        return value

    def __setattr__(self, name, value):
        if name in _OWN:
            self.__dict__[name] = value
        elif name == "dtype_policy" and "_from_" in str(getattr(value, "name", value)):
            raise NotApplicable("quantization", f"dtype_policy = {value!r}")
        else:
            setattr(self._module, name, _keras_argument_to_ours(value))

    def __dir__(self):
        return sorted(set(dir(type(self))) | set(dir(self._module)))

    def __repr__(self):
        return f"<adapted {self._module!r}>"

    # --------------------------------------------------------------- weights
    def _weight_views(self):
        module = self._module
        if not hasattr(module, "keras_weights"):
            return []
        live = {(t.data_ptr(), tuple(t.shape), tuple(t.stride())) for t in module.trainable_weights}
        views = []
        for (path, _, info), tensor in zip(module.keras_weights(), module.weights):
            trainable = (tensor.data_ptr(), tuple(tensor.shape), tuple(tensor.stride())) in live
            views.append(WeightView(tensor, f"{module.name}/{path}", trainable, info))
        return views

    def _view_of(self, name, tensor):
        for view in self._weight_views():
            if view.name == name and view.tensor.data_ptr() == tensor.data_ptr():
                return view
        if isinstance(tensor, torch.nn.Parameter) or name in dict(self._module.named_buffers()):
            # a weight stored in torch layout: answer with its Keras-layout view
            for view in self._weight_views():
                if view.path.endswith("/" + name):
                    return view
        return to_backend(tensor)

    weights = property(lambda self: self._weight_views())
    variables = weights
    trainable_weights = property(lambda self: [v for v in self._weight_views() if v.trainable])
    non_trainable_weights = property(lambda self: [v for v in self._weight_views() if not v.trainable])
    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    @property
    def losses(self):
        return [to_backend(t) for t in self._module.losses]

    # --------------------------------------------------------------- dtype
    @property
    def dtype(self):
        return _dtype_name(self._module.dtype)

    @property
    def compute_dtype(self):
        return _dtype_name(self._module.compute_dtype)

    @property
    def variable_dtype(self):
        return _dtype_name(self._module.dtype)

    @property
    def dtype_policy(self):
        return _keras_policy(self._module.dtype_policy)

    @property
    def input_dtype(self):
        return _dtype_name(self._module.compute_dtype)

    # --------------------------------------------------------------- build / shapes / config
    def build(self, *args, **kwargs):
        args = _map(args, _shape_of)
        kwargs = {k: _map(v, _shape_of) for k, v in kwargs.items()}
        self._module.build(*args, **kwargs)

    def compute_output_shape(self, *args, **kwargs):
        return self._module.compute_output_shape(*args, **kwargs)

    def compute_output_spec(self, *args, **kwargs):
        return self._symbolic_call(args, kwargs)

    def compute_mask(self, inputs, mask=None):
        if _structure_any(inputs, _is_keras_tensor):
            return self._symbolic_mask(inputs, mask)
        result = self._module.compute_mask(_map(inputs, to_torch), _map(mask, to_torch))
        return _map(result, to_backend)

    def get_config(self):
        return self._module.get_config()

    def adapt(self, data, *args, **kwargs):
        """A backend tensor is one array to Keras' `adapt`, as a torch tensor is to ours (an iterable is batches)."""
        tf = _tf()
        if isinstance(data, (tf.Tensor, tf.Variable)):
            data = to_torch(data)
        return self._module.adapt(data, *args, **kwargs)

    def count_params(self):
        return self._module.count_params()

    def get_weights(self):
        return self._module.get_weights()

    def set_weights(self, weights):
        return self._module.set_weights([np.asarray(_keras().ops.convert_to_numpy(w)) for w in weights])

    # --------------------------------------------------------------- calls
    def __call__(self, *args, **kwargs):
        if _structure_any((args, kwargs), _is_keras_tensor):
            return self._symbolic_call(args, kwargs)
        return self._eager_call(args, kwargs)

    def _forward_parameters(self):
        return inspect.signature(self._module.forward).parameters

    def _eager_call(self, args, kwargs):
        params = self._forward_parameters()
        names = list(params)
        self._populate_masks(args, kwargs, names)
        torch_args = _map(args, to_torch)
        torch_kwargs = {k: _map(v, to_torch) for k, v in kwargs.items()}
        if "training" in torch_kwargs and torch_kwargs["training"] is None:
            del torch_kwargs["training"]
        output = self._module(*torch_args, **torch_kwargs)
        mask = self._output_mask(args, kwargs, torch_args, torch_kwargs)
        result = _map(output, functools.partial(to_backend, perturbation=self._adapter.perturbation))
        if mask is not None and not isinstance(result, (list, tuple, dict)):
            result._keras_mask = to_backend(mask)  # what keras.backend.set_keras_mask does on TensorFlow
        return result

    def _populate_masks(self, args, kwargs, names):
        """Keras' `__call__` step 6: masks attached to the tensors fill the `mask`/`<arg>_mask` arguments."""
        from keras.src.backend import get_keras_mask

        bound = dict(zip(names, args))
        bound.update(kwargs)
        tensors = {k: v for k, v in bound.items() if k not in ("mask", "training") and not k.endswith("_mask")
                   and v is not None and not isinstance(v, (bool, int, float, str))}
        if len(tensors) == 1 and "mask" in names and bound.get("mask") is None:
            value = next(iter(tensors.values()))
            mask = _map(value, get_keras_mask)
            if _structure_any(mask, lambda m: m is not None):
                kwargs["mask"] = mask
        elif len(tensors) > 1:
            for k, v in tensors.items():
                if f"{k}_mask" in names and bound.get(f"{k}_mask") is None:
                    mask = get_keras_mask(v)
                    if mask is not None:
                        kwargs[f"{k}_mask"] = mask

    def _output_mask(self, args, kwargs, torch_args, torch_kwargs):
        """Keras' output mask: compute_mask(first input, the `mask` argument or else the first input's mask)."""
        from keras.src.backend import get_keras_mask

        first_name = next(iter(self._forward_parameters()))
        first, torch_first = (args[0], torch_args[0]) if args else (kwargs.get(first_name), torch_kwargs.get(first_name))
        if torch_first is None:
            return None
        mask = torch_kwargs.get("mask")
        if mask is None and not isinstance(first, (list, tuple, dict)):
            mask = to_torch(get_keras_mask(first)) if get_keras_mask(first) is not None else None
        if mask is None and not self._module.supports_masking:
            return None
        result = self._module.compute_mask(torch_first, mask)
        return result if isinstance(result, torch.Tensor) else None

    def _symbolic_call(self, args, kwargs):
        """A call on KerasTensors: our compute_output_shape for shapes, our forward on small probe tensors for dtypes."""
        from keras.src.backend.common.keras_tensor import KerasTensor

        if _structure_any((args, kwargs), lambda x: _is_keras_tensor(x) and (x.sparse or x.ragged)):
            raise NotApplicable("sparse", "a sparse/ragged KerasTensor input")
        first = args[0] if args else next(iter(kwargs.values()))
        shapes = _map(first, _shape_of)
        if not self._module.built:  # built from the shapes, unknown dims kept, as Keras builds
            if isinstance(self._module, ours.MultiHeadAttention):  # build(query_shape, value_shape, key_shape)
                bound = dict(zip(self._forward_parameters(), args), **kwargs)
                self._module.build(*[_shape_of(bound[k]) for k in ("query", "value", "key") if bound.get(k) is not None])
            else:
                self._module.build(shapes)
        dtypes = self._probe_dtypes(args, kwargs)
        if isinstance(self._module, ours.MultiHeadAttention):
            return self._symbolic_attention(args, kwargs)
        out_shape = self._module.compute_output_shape(shapes)
        if isinstance(out_shape, list) and not _is_shape(out_shape):
            return [KerasTensor(s, dtype=d) for s, d in zip(out_shape, dtypes)]
        return KerasTensor(tuple(out_shape), dtype=dtypes[0])

    def _symbolic_attention(self, args, kwargs):
        """MultiHeadAttention: the output from our compute_output_shape; the attention scores (which our
        compute_output_shape does not give) from two probe forwards, dims that differ between them unknown."""
        from keras.src.backend.common.keras_tensor import KerasTensor

        bound = dict(zip(self._forward_parameters(), args), **kwargs)
        shapes = [_shape_of(bound[k]) for k in ("query", "value", "key") if bound.get(k) is not None]
        out = self._module.compute_output_shape(*shapes)
        dtypes = self._probe_dtypes(args, kwargs)
        if not bound.get("return_attention_scores"):
            return KerasTensor(tuple(out), dtype=dtypes[0])
        first, second = (self._probe_shapes(args, kwargs, fill)[1] for fill in (_PROBE_FILL, _PROBE_FILL + 2))
        scores = tuple(a if a == b else None for a, b in zip(first, second))
        return KerasTensor(tuple(out), dtype=dtypes[0]), KerasTensor(scores, dtype=dtypes[1])

    def _probe_shapes(self, args, kwargs, fill):
        probe = functools.partial(_probe_tensor, fill=fill)
        with torch.no_grad():
            out = self._module(*_map(args, probe), **{k: _map(v, probe) for k, v in kwargs.items()})
        return [tuple(t.shape) for t in _flatten(out)]

    def _probe_dtypes(self, args, kwargs):
        """Output dtypes of our forward on zero tensors (unknown dims filled with _PROBE_FILL). Where that
        fill makes the forward fail (Reshape((3, 5)) of (2, None)), the floating inputs' dtype after our
        layer's compute dtype, an approximation that only symbolic calls with unknown dims see."""
        module = self._module
        was_training = module.training
        module.eval()
        try:
            with torch.no_grad():
                out = module(*_map(args, _probe_tensor), **{k: _map(v, _probe_tensor) for k, v in kwargs.items()})
        except (ValueError, RuntimeError):
            if not _structure_any((args, kwargs), lambda x: _is_keras_tensor(x) and None in x.shape):
                raise
            first = _flatten(args)[0]
            floating = "float" in _dtype_name(first.dtype)
            return [self.compute_dtype if floating else _dtype_name(first.dtype)] * 2
        finally:
            module.train(was_training)
        flat = [t for t in _flatten(out) if isinstance(t, torch.Tensor)]
        return [_dtype_name(t.dtype) for t in flat]

    def _symbolic_mask(self, inputs, mask):
        from keras.src.backend.common.keras_tensor import KerasTensor

        result = self._module.compute_mask(_map(inputs, _probe_tensor), _map(mask, _probe_tensor))
        if result is None:
            return None
        return _map(result, lambda t: KerasTensor(tuple(t.shape), dtype=_dtype_name(t.dtype))
                    if isinstance(t, torch.Tensor) else t)


def _flatten(value):
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _flatten(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _flatten(v)]
    return [value]


def _is_shape(value) -> bool:
    return isinstance(value, (list, tuple)) and all(d is None or isinstance(d, int) for d in value)


def _shape_of(x):
    if _is_keras_tensor(x) or isinstance(x, (torch.Tensor, np.ndarray)) or hasattr(x, "shape"):
        return tuple(None if d is None else int(d) for d in x.shape)
    return x


_PROBE_FILL = 3  # unknown (None) dims of symbolic inputs when our forward probes the output dtypes


def _probe_tensor(x, fill=_PROBE_FILL):
    """A KerasTensor as a small zero CPU tensor of its dtype (unknown dims: `fill`)."""
    if _is_keras_tensor(x):
        dims = [fill if d is None else d for d in x.shape]
        return torch.zeros(dims, dtype=getattr(torch, _dtype_name(x.dtype)))
    return x


class KerasApiLayer(ours.Layer, registered=False):
    """`keras.layers.Layer` as Keras' test modules subclass it (their own RNN cells, `OneStateRNNCell`):
    a layer of ours written against Keras' Layer API, as a user moving such a cell would write it. The
    subclass's `call` is its forward, `add_weight` takes Keras' keywords, its `keras.ops` calls run on
    torch (`TorchOps`), its constructor arguments are its config (Keras' auto-config), and it is registered
    under its test module (Keras finds it there by module and class name when it deserializes)."""

    def __init_subclass__(cls, **kwargs):
        if "call" in vars(cls):  # forward's signature is call's (Keras reads `training` off it)
            cls.forward = vars(cls)["call"]
        super().__init_subclass__(keras_module=cls.__module__, **kwargs)

    def __new__(cls, *args, **kwargs):
        obj = super().__new__(cls)
        signature = inspect.signature(cls.__init__)
        bound = signature.bind(None, *args, **kwargs).arguments
        bound.pop(next(iter(bound)))  # self
        extra = {name for name, p in signature.parameters.items() if p.kind is inspect.Parameter.VAR_KEYWORD}
        config = {k: v for k, v in bound.items() if k not in extra}
        for name in extra:
            config.update(bound.get(name, {}))
        obj.__dict__["_auto_config"] = config
        return obj

    def add_weight(self, shape=None, initializer=None, dtype=None, trainable=True, regularizer=None,
                   constraint=None, name=None, **keras_only):
        if isinstance(dtype, str):
            dtype = getattr(torch, dtype)
        return super().add_weight(name or f"variable_{len(self._weight_infos)}", shape, initializer, dtype=dtype,
                                  trainable=trainable, regularizer=regularizer, constraint=constraint)

    def get_config(self) -> dict:
        return {**super().get_config(), **self.__dict__["_auto_config"]}


class TorchOps:
    """`keras.ops` as the replay's `KerasApiLayer` cells see it: an op called on torch tensors is its
    torch equivalent from the functional-graph table (`torchkeras_layers.models.ops.OPERATIONS`, keyed
    by Keras' operation class, `matmul` -> `Matmul`); on anything else (a test body's numpy data) it is
    Keras' own."""

    def __init__(self, keras_ops):
        self._keras_ops = keras_ops

    def __getattr__(self, name):
        from torchkeras_layers.models.ops import lookup_op

        keras_op = getattr(self._keras_ops, name)
        spec = lookup_op(getattr(keras_op, "__module__", None), "".join(p.capitalize() for p in name.split("_")))
        if spec is None:
            return keras_op

        @functools.wraps(keras_op)  # still Keras' op to the replay's checks (a `Lambda(ops.relu)` is n/a)
        def op(*args, **kwargs):
            if any(isinstance(t, torch.Tensor) for t in _flatten([list(args), list(kwargs.values())])):
                return spec.fn(*args, **kwargs)
            return keras_op(*args, **kwargs)

        return op


class TorchAdapter:
    """Hands out, per Keras layer name, the class that constructs our layer of that name."""

    perturbation = 0.0
    name = "ours"

    def __init__(self):
        self.constructed = 0
        self._classes = {}

    def covers(self, name: str) -> bool:
        return name in ours.__all__ and isinstance(getattr(ours, name), type) and name != "Input"

    def layer_class(self, name: str):
        if name == "Layer":  # subclassed by a test module: a layer of ours on Keras' Layer API
            return KerasApiLayer
        if name not in self._classes:
            our_class = getattr(ours, name)
            self._classes[name] = type(name, (AdaptedLayer,), {"_our_class": our_class, "_adapter": self,
                                                              "__module__": __name__})
        return self._classes[name]

    def counting(self):
        """Context in which constructions are counted (ours count in AdaptedLayer.__init__)."""
        return contextlib.nullcontext()

    def private_class(self, keras_class: type):
        """The adapted class for a Keras class that Keras does not export and a test imports from its module
        (`from keras.src.layers.rnn.conv_lstm import ConvLSTMCell`); None where ours has none."""
        key = f"{keras_class.__module__}.{keras_class.__qualname__}"
        if key not in self._classes:
            from torchkeras_layers.layers.rnn import _conv_lstm

            def conv_lstm(rank, **kwargs):  # Keras' rank-generic base; ours has one class per rank
                return getattr(ours, f"ConvLSTM{rank}D")(**kwargs)

            conv_lstm.__name__ = "ConvLSTM"
            our_class = {"keras.src.layers.rnn.conv_lstm.ConvLSTMCell": _conv_lstm.ConvLSTMCell,
                         "keras.src.layers.rnn.conv_lstm.ConvLSTM": staticmethod(conv_lstm)}.get(key)
            self._classes[key] = None if our_class is None else type(
                keras_class.__name__, (AdaptedLayer,), {"_our_class": our_class, "_adapter": self,
                                                        "__module__": __name__})
        return self._classes[key]

    def ops(self, keras_ops):
        """`keras.src.ops` as the test modules see it."""
        return TorchOps(keras_ops)

    def custom_objects(self) -> dict:
        """Every adapted class by its Keras name, for Keras' deserialization (`deserialize_keras_object`)."""
        return {name: self.layer_class(name) for name in ours.__all__ if self.covers(name)}


class PerturbedAdapter(TorchAdapter):
    """Ours with +0.1 on every floating output: a replay that still passes would prove nothing."""

    perturbation = 0.1
    name = "perturbed"


class KerasIdentityAdapter(TorchAdapter):
    """Keras' own classes: the replay's self-test must then never fail. Constructions are counted by
    wrapping the Keras classes' `__init__` while the replay runs (a subclass would not do: Keras
    treats subclasses differently, e.g. `Dense.quantize` refuses them)."""

    name = "keras"

    def layer_class(self, name: str):
        import keras

        return getattr(keras.layers, name)

    def custom_objects(self) -> dict:
        return {}

    def ops(self, keras_ops):
        return keras_ops

    def private_class(self, keras_class: type):
        return None

    @contextlib.contextmanager
    def counting(self):
        import keras

        classes = {getattr(keras.layers, n) for n in ours.__all__ if self.covers(n) and hasattr(keras.layers, n)}
        saved = {cls: cls.__dict__.get("__init__") for cls in classes}
        for cls in classes:
            cls.__init__ = _counting_init(cls, cls.__init__, self)
        try:
            yield
        finally:
            for cls, init in saved.items():
                if init is None:
                    del cls.__init__
                else:
                    cls.__init__ = init


def _counting_init(cls, original, adapter):
    """`cls.__init__` that counts constructions of `cls` itself (not of its Keras subclasses' inner
    calls), with the original's signature, which Keras' `Operation.__new__` inspects."""

    @functools.wraps(original)
    def __init__(self, *args, **kwargs):
        if type(self) is cls:
            adapter.constructed += 1
        original(self, *args, **kwargs)

    __init__.__signature__ = inspect.signature(original)  # getfullargspec and signature alike
    return __init__
