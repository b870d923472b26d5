"""`HeadProjection`: the EinsumDense sub-layers of MultiHeadAttention, computed as one matmul.

Keras builds MultiHeadAttention's projections as `EinsumDense` layers (`abc,cde->abde` for the
query/key/value heads, `abcd,cde->abe` for the output). Each is a dense layer over the last
`contracted_dims` axes whose kernel keeps those axes and the output axes separate, e.g. `(E, N, H)`.
Here the kernel is stored in exactly that Keras layout and multiplied as its flat `(in, out)` view,
which is free (the tensor is contiguous), so there is one GEMM per projection and no copy.
"""

from __future__ import annotations

import math

import torch.nn.functional as F

from ... import activations, initializers
from ..base import Layer
from ..lora import LoRAMixin


class HeadProjection(LoRAMixin, Layer, registered=False):
    """Dense over the last `contracted_dims` input axes to `output_dims`; weights `kernel`
    `(*in_dims, *output_dims)` and `bias` `output_dims`, named and shaped as Keras' EinsumDense,
    with its `enable_lora` (`lora_kernel_a` `(*in_dims, *output_dims[:-1], rank)`, `lora_kernel_b`
    `(rank, output_dims[-1])`)."""

    def __init__(
        self,
        output_dims,
        *,
        contracted_dims: int = 1,
        use_bias: bool = True,
        activation=None,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.output_dims = tuple(int(d) for d in output_dims)
        self.contracted_dims = int(contracted_dims)
        self.use_bias = bool(use_bias)
        self.activation = activations.get(activation) if activation is not None else None
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer
        self.kernel_constraint = kernel_constraint
        self.bias_constraint = bias_constraint
        self._in_features = None
        self._out_features = math.prod(self.output_dims)
        self._init_lora(None, None)

    def build(self, input_shape):
        in_dims = tuple(input_shape[-self.contracted_dims:])
        if any(d is None for d in in_dims):
            raise ValueError(f"{self.__class__.__name__} ({self.name!r}): the contracted axes must be known to build; got {input_shape}")
        n_in = len(in_dims)
        kernel_init = _with_fan_axes(
            self.kernel_initializer, list(range(n_in)), list(range(n_in, n_in + len(self.output_dims)))
        )
        self.add_weight("kernel", in_dims + self.output_dims, kernel_init,
                        regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        if self.use_bias:
            self.add_weight("bias", self.output_dims, self.bias_initializer,
                            regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        else:
            self.bias = None
        self._in_features = math.prod(in_dims)

    def forward(self, inputs):
        flat = inputs.flatten(-self.contracted_dims) if self.contracted_dims > 1 else inputs
        kernel = self.effective_kernel().reshape(self._in_features, self._out_features)
        bias = self.read_weight(self.bias)
        bias = bias.view(self._out_features) if bias is not None else None
        outputs = F.linear(flat, kernel.T, bias)
        if len(self.output_dims) > 1:
            outputs = outputs.unflatten(-1, self.output_dims)
        if self.activation is not None:
            outputs = self.activation(outputs)
        return self.add_activity_loss(outputs)


def _with_fan_axes(initializer, input_axes, output_axes):
    """EinsumDense computes a VarianceScaling kernel's fans as for the flattened Dense
    (fan_in = prod(in_dims), fan_out = prod(out_dims)) unless the initializer already names its axes."""
    if isinstance(initializer, initializers.VarianceScaling) and (
        initializer.input_axes is None or initializer.output_axes is None
    ):
        config = {**initializer.get_config(), "input_axes": input_axes, "output_axes": output_axes}
        return type(initializer).from_config(config)
    return initializer
