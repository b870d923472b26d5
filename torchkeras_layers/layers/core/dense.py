"""`Dense`: y = activation(x @ kernel + bias) over the last axis, Keras' `(in, out)` kernel layout."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..base import InputSpec, Layer
from ..lora import LoRAMixin


class Dense(LoRAMixin, Layer):
    """Keras `Dense`. The kernel is stored as Keras lays it out, `(in_features, units)`;
    `F.linear` takes its transpose as a free view, so no copy is made on the hot path.

    LoRA (`lora_rank`): effective kernel = kernel + (lora_alpha / lora_rank) * A @ B, with the base
    kernel frozen. Keras 3.15 ignores a constructor `lora_alpha` (it always uses lora_rank); we honour
    it as documented (README, "Deviations").
    """

    supports_masking = True

    def __init__(
        self,
        units,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        lora_rank=None,
        lora_alpha=None,
        quantization_config=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if isinstance(units, bool) or not isinstance(units, int) or units <= 0:
            raise self._arg_error("units", "must be a positive integer", units)
        if quantization_config is not None:
            raise self._arg_error("quantization_config", "is not supported (quantized Dense is out of scope)", quantization_config)
        self.units = units
        self.use_bias = bool(use_bias)
        self._set_identifiers(
            activation=activation, kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
        )
        self._init_lora(lora_rank, lora_alpha)
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape):
        in_features = input_shape[-1]
        if in_features is None:
            raise ValueError(f"Dense ({self.name!r}): the last axis of the input must be known to build; got {input_shape}")
        self.add_weight("kernel", (in_features, self.units), self.kernel_initializer,
                        regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        if self.use_bias:
            self.add_weight("bias", (self.units,), self.bias_initializer,
                            regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        else:
            self.bias = None
        self.input_spec = InputSpec(min_ndim=2, axes={-1: in_features})
        self.built = True
        self._maybe_enable_lora()

    def forward(self, inputs, training=None):
        kernel, bias = self.effective_kernel(), self.read_weight(self.bias)
        if inputs.dim() == 2 and bias is not None:
            # The kernel F.linear runs for a 2-D input (`addmm(bias, x, weight.t())`), called on Keras'
            # (in, out) kernel directly: no transposed view to build, ~1 µs of a small layer's call.
            outputs = torch.addmm(bias, inputs, kernel)
        else:
            outputs = F.linear(inputs, kernel.T, bias)
        if self.activation is not None:  # Keras allows `layer.activation = None` after construction
            outputs = self.activation(outputs)
        return self.add_activity_loss(outputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)[:-1] + (self.units,)

    def get_config(self):
        config = {
            **super().get_config(),
            "units": self.units,
            **self._identifier_config("activation"),
            "use_bias": self.use_bias,
            **self._identifier_config("kernel_initializer", "bias_initializer", "kernel_regularizer",
                                      "bias_regularizer", "kernel_constraint", "bias_constraint"),
            "quantization_config": None,
        }
        config.update(self._lora_config())
        return config

__all__ = ["Dense"]
