"""`Bidirectional`: a recurrent layer and its time-reversed copy, outputs merged (concat/sum/mul/ave/None)."""

from __future__ import annotations

import contextlib
import copy

import torch

from ..base import Layer
from ._nested import deserialize_nested, serialize_nested, with_dtype

MERGE_MODES = ("sum", "mul", "ave", "concat", None)


class Bidirectional(Layer):
    """Keras `Bidirectional(layer, merge_mode="concat", weights=None, backward_layer=None)`.

    The forward layer is a copy of `layer` named `forward_<name>`; the backward one is `backward_layer`
    or a copy with `go_backwards` flipped, named `backward_<name>`. Both output zeros at masked steps
    when they return sequences (Keras forces `zero_output_for_mask`), and the backward sequence is
    flipped back to forward time before merging. Weights: forward then backward, as in Keras.
    """

    supports_masking = True

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        super().__init__(**kwargs)
        dtype = kwargs.get("dtype")
        if isinstance(layer, dict):
            layer = deserialize_nested(self, "layer", with_dtype(layer, dtype))
        if isinstance(backward_layer, dict):
            backward_layer = deserialize_nested(self, "backward_layer", with_dtype(backward_layer, dtype))
        if not isinstance(layer, Layer) or not hasattr(layer, "go_backwards"):
            raise self._arg_error("layer", "must be a recurrent layer instance", layer)
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise self._arg_error("backward_layer", "must be a recurrent layer instance", backward_layer)
        if merge_mode not in MERGE_MODES:
            raise self._arg_error("merge_mode", f"must be one of {MERGE_MODES}", merge_mode)
        self.forward_layer = _renamed_copy(layer, "forward_")
        if backward_layer is None:
            backward_layer = _renamed_copy(layer, "backward_", go_backwards=not layer.go_backwards)
        self.backward_layer = backward_layer
        if self.forward_layer.go_backwards == self.backward_layer.go_backwards:
            raise self._arg_error("backward_layer", "must have the opposite `go_backwards` of `layer`",
                                  self.backward_layer.go_backwards)
        for attribute in ("stateful", "return_sequences", "return_state"):
            if getattr(self.forward_layer, attribute) != getattr(self.backward_layer, attribute):
                raise self._arg_error("backward_layer", f"must have the same `{attribute}` as `layer`",
                                      getattr(self.backward_layer, attribute))
        for sub in (self.forward_layer, self.backward_layer):
            sub.zero_output_for_mask = sub.return_sequences
            if hasattr(layer, "use_cudnn"):  # not part of the config: carried over by hand, as Keras does
                sub.use_cudnn = layer.use_cudnn
        self.merge_mode = merge_mode
        if weights is not None and not isinstance(weights, (list, tuple)):
            raise self._arg_error("weights", "must be a list of arrays, in `get_weights()` order", weights, TypeError)
        self._initial_weights = list(weights) if weights else None
        self.stateful = layer.stateful
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.input_spec = layer.input_spec

    @contextlib.contextmanager
    def _wrapped_errors(self):
        """The wrapped layers' ValueError/TypeError, said by this layer (they name themselves inside)."""
        try:
            yield
        except (ValueError, TypeError) as err:
            raise type(err)(f"Bidirectional ({self.name!r}): {err}") from err

    def build(self, sequences_shape, initial_state_shape=None):
        for sub in (self.forward_layer, self.backward_layer):
            if not sub.built:
                with self._wrapped_errors():
                    sub.build(sequences_shape)
                sub.built = True
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def forward(self, sequences, initial_state=None, mask=None, training=None):
        if sequences.ndim >= 2 and sequences.shape[1] == 0:  # said here, not by the wrapped layer
            raise self._arg_error("sequences", "must have at least one timestep", tuple(sequences.shape))
        forward_state = backward_state = None
        if initial_state is not None:
            states = [initial_state] if isinstance(initial_state, torch.Tensor) else list(initial_state)
            half = len(states) // 2
            forward_state, backward_state = states[:half], states[half:]
        with self._wrapped_errors():
            y = self.forward_layer(sequences, initial_state=forward_state, mask=mask, training=training)
            y_rev = self.backward_layer(sequences, initial_state=backward_state, mask=mask, training=training)
        states = ()
        if self.return_state:
            states = tuple(y[1:]) + tuple(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = y_rev.flip(1)
        if self.merge_mode == "concat":
            output = torch.cat([y, y_rev], dim=-1)
        elif self.merge_mode == "sum":
            output = y + y_rev
        elif self.merge_mode == "ave":
            output = (y + y_rev) / 2
        elif self.merge_mode == "mul":
            output = y * y_rev
        else:
            output = (y, y_rev)
        output = output if isinstance(output, tuple) else (output,)
        return output + states if (self.return_state or self.merge_mode is None) else output[0]

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        output_shape = self.forward_layer.compute_output_shape(sequences_shape)
        state_shape = ()
        if self.return_state:
            output_shape, state_shape = output_shape[0], tuple(output_shape[1:])
        if self.merge_mode == "concat":
            output_shape = tuple(output_shape[:-1]) + (output_shape[-1] * 2,)
        elif self.merge_mode is None:
            output_shape = [output_shape, output_shape]
        if self.return_state:
            if self.merge_mode is None:
                return tuple(output_shape) + state_shape + state_shape
            return (output_shape,) + state_shape + state_shape
        return tuple(output_shape) if self.merge_mode is not None else output_shape

    @property
    def states(self):
        if self.forward_layer.states and self.backward_layer.states:
            return tuple(self.forward_layer.states + self.backward_layer.states)
        return None

    def reset_state(self) -> None:
        if not self.stateful:
            raise AttributeError(f"Bidirectional ({self.name!r}): reset_state needs a stateful layer")
        self.forward_layer.reset_state()
        self.backward_layer.reset_state()

    def reset_states(self) -> None:
        self.reset_state()

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if self.return_sequences:
            output_mask = mask if self.merge_mode else (mask, mask)
        else:
            output_mask = None if self.merge_mode else (None, None)
        if self.return_state and self.states is not None:
            state_masks = (None,) * (2 * len(self.states))
            return (output_mask,) + state_masks
        return output_mask

    def get_config(self):
        return {**super().get_config(), "merge_mode": self.merge_mode,
                "layer": serialize_nested(self.forward_layer), "backward_layer": serialize_nested(self.backward_layer)}

    @classmethod
    def from_config(cls, config):
        return cls(**copy.deepcopy(config))


def _renamed_copy(layer: Layer, prefix: str, **overrides) -> Layer:
    """Keras' copy of a wrapped layer: rebuilt from its config, `prefix` on its name (once)."""
    config = layer.get_config()
    name = layer.name[len(prefix):] if layer.name.startswith(prefix) else layer.name
    config.update(name=prefix + name, **overrides)
    return type(layer).from_config(config)


__all__ = ["Bidirectional"]
