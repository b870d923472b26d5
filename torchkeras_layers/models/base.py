"""What `Sequential` and the functional `Model` share: a `Layer` that owns an ordered list of layers.

* Weights: Keras orders a model's weights layer by layer (each layer's trainable, then its
  non-trainable weights), in the order of the model's layer list; `Container.sublayers` returns that
  list, so the base `Layer.get_weights`/`set_weights`/`count_params`/`losses` apply unchanged.
* Calling a layer: Keras passes `training` only to layers whose `call` accepts it, and the mask of the
  incoming tensor(s) as `mask=` (one tensor argument) or `<arg>_mask=` (several); `CallSignature`
  records, once per layer, which of those a layer's `forward` accepts, so `forward` does no
  introspection (and stays `torch.compile(fullgraph=True)`-friendly).
* Serialisation lives in `serialization`, which finds every class (containers included) through
  `torchkeras_layers.registry`.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

import torch
from torch import nn

from ..layers.base import Layer
from ..layers.core.input_layer import InputLayer

__all__ = ["Container", "CallSignature", "call_layer", "standardize_model_input"]


@dataclass(frozen=True)
class CallSignature:
    """Which Keras call-context arguments a layer's `forward` takes."""

    training: bool
    mask: bool
    mask_args: tuple  # positional/keyword tensor arguments that have a matching `<name>_mask` parameter
    arg_names: tuple  # forward's parameter names, in order

    @classmethod
    def of(cls, layer: nn.Module) -> "CallSignature":
        params = inspect.signature(layer.forward).parameters
        names = tuple(params)
        var_kw = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        return cls(
            training="training" in params or var_kw,
            mask="mask" in params,
            mask_args=tuple(n for n in names if f"{n}_mask" in params),
            arg_names=names,
        )


class Container(Layer, registered=False):
    """Base of the model classes: a `Layer` whose weights are those of an ordered list of layers."""

    # Subclasses keep their layers in the `nn.ModuleList` `self.layers`, in Keras' weight order.
    # Each layer casts its own arguments to its compute dtype; the model casts nothing (Keras' Functional).
    _convert_input_args = False

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """Keras `get_layer(name=None, index=None)`."""
        if (name is None) == (index is None):
            raise ValueError(f"{type(self).__name__} ({self.name!r}): provide exactly one of `name` or `index`")
        layers = list(self.layers)
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise ValueError(f"{type(self).__name__} ({self.name!r}): was asked to retrieve layer at index "
                                 f"{index} but model only has {len(layers)} layers")
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(f"{type(self).__name__} ({self.name!r}): no such layer: {name}. "
                         f"Existing layers are: {[l.name for l in layers]}")

    def summary(self, line_length: int | None = None, positions=None, print_fn=None,
                show_trainable: bool = False) -> None:
        """Keras-style table: layer (type), output shape, param # (and connections for graphs)."""
        from .summary import format_summary

        text = format_summary(self, line_length=line_length, positions=positions, show_trainable=show_trainable)
        (print_fn or print)(text)

    def compute_mask(self, inputs, mask=None):
        # The mask of a model's output is produced while running it; `forward_with_mask` returns both.
        return self.forward_with_mask(inputs, training=False, mask=mask)[1]

    def forward_with_mask(self, inputs, training=None, mask=None):  # pragma: no cover - overridden
        raise NotImplementedError


# ---------------------------------------------------------------------------- model inputs
def standardize_model_input(model: Layer, input_layer: InputLayer, x):
    """What a Keras model does with the data for one `Input`: check the rank and every static
    dimension except the batch axis (Keras' functional input spec leaves the batch size free, even
    for `Input(batch_shape=...)`), densify, and cast to the Input's dtype."""
    if x is None:
        if input_layer.optional:
            return None
        raise ValueError(f"{type(model).__name__} ({model.name!r}): input {input_layer.name!r} received None "
                         "but is not optional")
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{type(model).__name__} ({model.name!r}): input {input_layer.name!r} must be a "
                        f"torch.Tensor; received {type(x).__name__}")
    expected = input_layer.batch_shape
    if x.dim() != len(expected) or any(e is not None and e != d for e, d in zip(expected[1:], x.shape[1:])):
        raise ValueError(f"{type(model).__name__} ({model.name!r}): input {input_layer.name!r} is incompatible: "
                         f"expected shape={(None,) + tuple(expected[1:])}, found shape={tuple(x.shape)}")
    if x.is_sparse and not input_layer.sparse:
        x = x.to_dense()
    return x if x.dtype == input_layer.input_dtype else x.to(input_layer.input_dtype)


# ---------------------------------------------------------------------------- calling one layer
def call_layer(layer: nn.Module, signature: CallSignature, args: tuple, kwargs: dict, training,
               arg_masks: tuple = (), kwarg_masks: dict | None = None, n_tensor_args: int | None = None):
    """Call `layer` as Keras' `Layer.__call__` does inside a model. Returns (outputs, output mask).

    * `training` is passed when it is set and the layer's forward takes it (an explicit
      `training=` in `kwargs`, recorded in a functional node, wins);
    * masks (`arg_masks` aligned with `args`, `kwarg_masks` with tensor keyword arguments): with one
      tensor argument they go to `mask=`; with several, each to its `<argument>_mask=` parameter;
    * the output mask is `compute_mask(first argument, its mask)` for layers that support masking,
      else None (Keras drops it).
    """
    kwargs = dict(kwargs)
    kwarg_masks = kwarg_masks or {}
    if training is not None and signature.training and "training" not in kwargs:
        kwargs["training"] = training
    if n_tensor_args is None:
        n_tensor_args = len(arg_masks) + len(kwarg_masks)
    if n_tensor_args == 1:
        only = arg_masks[0] if arg_masks else next(iter(kwarg_masks.values()))
        if signature.mask and kwargs.get("mask") is None and _has_mask(only):
            kwargs["mask"] = only
    elif n_tensor_args > 1:
        named = dict(zip(signature.arg_names, arg_masks))
        named.update(kwarg_masks)
        for name, mask in named.items():
            if name in signature.mask_args and kwargs.get(f"{name}_mask") is None and _has_mask(mask):
                kwargs[f"{name}_mask"] = mask
    first_mask = arg_masks[0] if arg_masks else None
    if isinstance(layer, Container):
        return layer.forward_with_mask(*args, mask=first_mask if _has_mask(first_mask) else None,
                                       **{k: v for k, v in kwargs.items() if k != "mask"})
    outputs = layer(*args, **kwargs)
    if not getattr(layer, "supports_masking", False):
        return outputs, None
    return outputs, layer.compute_mask(args[0] if args else None, first_mask)


def _has_mask(mask) -> bool:
    if mask is None:
        return False
    if isinstance(mask, (list, tuple)):
        return any(_has_mask(m) for m in mask)
    return True
