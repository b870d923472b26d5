"""`TimeDistributed`: one inner layer applied to every temporal slice (axis 1) of the input."""

from __future__ import annotations

import torch

from ..base import Layer, forward_arguments


class TimeDistributed(Layer):
    """Keras `TimeDistributed(layer)`: `inputs (B, T, ...)` -> `layer` on each `(B, ...)` slice -> `(B, T, ...)`.

    The slices are run as one batch of B*T (`flatten(0, 1)`, a view for contiguous inputs), which equals
    Keras' per-timestep loop for every layer that treats batch rows independently. A layer that couples
    the rows of a batch (BatchNormalization in training: statistics and moving-average updates per
    timestep) is run per timestep, as Keras does. The mask `(B, T, ...)` is passed to the inner layer
    (flattened the same way) when its forward takes one, and passes through as the output mask.
    Weights are the inner layer's; the config nests it under `layer`, as Keras' Wrapper does, and `layer`
    may also be given in that serialized form (Keras takes only an instance).
    """

    supports_masking = True

    def __init__(self, layer, **kwargs):
        super().__init__(**kwargs)
        if isinstance(layer, dict) and "class_name" in layer:  # a serialized layer, as in this layer's config
            from ...models.serialization import deserialize_layer

            layer = deserialize_layer(layer)
        if not isinstance(layer, Layer):
            raise self._arg_error("layer", "must be a torchkeras_layers Layer instance", layer)
        self.layer = layer
        arguments = forward_arguments(layer)
        self._passes_mask = "mask" in arguments
        self._passes_training = "training" in arguments

    def _child_input_shape(self, input_shape) -> tuple:
        if not isinstance(input_shape, (tuple, list, torch.Size)) or len(input_shape) < 3:
            raise self._arg_error("inputs", "must have rank >= 3 (batch, time, ...)",
                                  f"shape {tuple(input_shape) if input_shape is not None else None}")
        return (input_shape[0], *input_shape[2:])

    def build(self, input_shape):
        child_shape = self._child_input_shape(input_shape)
        if not self.layer.built:
            self.layer.build(child_shape)
            self.layer.built = True

    def _couples_batch_rows(self, training: bool) -> bool:
        from ..normalization.batch_normalization import BatchNormalization

        return training and any(isinstance(m, BatchNormalization) and m.trainable for m in self.layer.modules())

    def forward(self, inputs, training=None, mask=None):
        self._child_input_shape(inputs.shape)
        batch, steps = inputs.shape[0], inputs.shape[1]
        if mask is not None and (mask.dim() < 2 or tuple(mask.shape[:2]) != (batch, steps)):
            raise self._arg_error("mask", f"must start with the input's (batch, timesteps) = ({batch}, {steps})",
                                  f"shape {tuple(mask.shape)}")
        training = self.resolve_training(training)
        kwargs = {"training": training} if self._passes_training else {}
        if self._couples_batch_rows(training):
            outputs = []
            for step in range(steps):
                if self._passes_mask and mask is not None:
                    kwargs["mask"] = mask[:, step]
                outputs.append(self.layer(inputs[:, step], **kwargs))
            return torch.stack(outputs, dim=1)
        if self._passes_mask and mask is not None:
            kwargs["mask"] = mask.flatten(0, 1)
        outputs = self.layer(inputs.flatten(0, 1), **kwargs)
        return outputs.unflatten(0, (batch, steps))

    def compute_output_shape(self, input_shape):
        child_output = tuple(self.layer.compute_output_shape(self._child_input_shape(input_shape)))
        return (child_output[0], input_shape[1], *child_output[1:])

    def get_config(self):
        from ...models.serialization import serialize_layer

        return {**super().get_config(), "layer": serialize_layer(self.layer)}

    @classmethod
    def from_config(cls, config):
        from ...models.serialization import deserialize_layer

        config = dict(config)
        return cls(deserialize_layer(config.pop("layer")), **config)


__all__ = ["TimeDistributed"]
