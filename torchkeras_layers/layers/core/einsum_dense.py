"""`EinsumDense`: a dense layer written as an einsum equation, `activation(einsum(eq, x, kernel) + bias)`."""

from __future__ import annotations

import re

import torch

from ..attention.head_projection import _with_fan_axes
from ..base import InputSpec, Layer
from ..lora import LoRAMixin

# The three equation forms Keras accepts ("..." written as "0"): no ellipsis, on the left, on the right.
_EQUATION_FORMS = (
    (re.compile(r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$"), False),
    (re.compile(r"0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)$"), True),
    (re.compile(r"([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0$"), False),
)


def _split_equation(equation: str):
    """(input spec, weight spec, output spec, left_elided) of a Keras EinsumDense equation, or None."""
    replaced = equation.replace("...", "0")
    for pattern, left_elided in _EQUATION_FORMS:
        found = pattern.match(replaced)
        if found:
            return (*found.groups(), left_elided)
    return None


class EinsumDense(LoRAMixin, Layer):
    """Keras `EinsumDense(equation, output_shape, activation=None, bias_axes=None, ...)`.

    The kernel's shape comes from the equation and the input shape exactly as Keras' `_analyze_einsum_string`
    derives it (weight axes named in the output take the output size, the others the input size); the bias
    covers the output axes from the first one in `bias_axes` on, size 1 where an axis is not in `bias_axes`.
    A VarianceScaling kernel initializer gets fans over those input and output axes, as in Keras.
    LoRA (`lora_rank`, `lora_alpha`, honoured from the constructor as Keras does): `lora_kernel_a` has the
    kernel's shape with the last axis replaced by the rank, `lora_kernel_b` is `(rank, kernel.shape[-1])`.
    """

    def __init__(
        self,
        equation,
        output_shape,
        activation=None,
        bias_axes=None,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        lora_rank=None,
        lora_alpha=None,
        gptq_unpacked_column_size=None,
        quantization_config=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not isinstance(equation, str) or _split_equation(equation) is None:
            raise self._arg_error("equation", "must have the form [X],[Y]->[Z], ...[X],[Y]->...[Z] or "
                                  "[X]...,[Y]->[Z]...", equation)
        if isinstance(output_shape, int) and not isinstance(output_shape, bool):
            output_shape = (output_shape,)
        if not isinstance(output_shape, (tuple, list)) or not all(
            d is None or (isinstance(d, int) and not isinstance(d, bool) and d > 0) for d in output_shape
        ):
            raise self._arg_error("output_shape", "must be an int or a tuple of positive ints / None", output_shape)
        if bias_axes is not None and not isinstance(bias_axes, str):
            raise self._arg_error("bias_axes", "must be None or a string of output axis letters", bias_axes, TypeError)
        if quantization_config is not None or gptq_unpacked_column_size is not None:
            raise self._arg_error("quantization_config", "is not supported (quantized EinsumDense is out of scope)",
                                  quantization_config or gptq_unpacked_column_size)
        self.equation = equation
        self.partial_output_shape = tuple(output_shape)
        self.bias_axes = bias_axes
        self._set_identifiers(
            activation=activation, kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
        )
        self._init_lora(lora_rank, lora_alpha)

    def _analyze(self, input_shape):
        """Keras' `_analyze_split_string`: (kernel shape, bias shape or None, full output shape,
        kernel input axes, kernel output axes, {input axis: size} the kernel fixes)."""
        input_spec, weight_spec, output_spec, left_elided = _split_equation(self.equation)
        input_shape = tuple(input_shape)
        elided = len(input_shape) - len(input_spec)
        if elided < 0 or (elided > 0 and "..." not in self.equation):
            raise self._arg_error("inputs", f"must have rank {len(input_spec)} for equation {self.equation!r}",
                                  f"shape {input_shape}")
        output_shape = [input_shape[0], *self.partial_output_shape]
        if elided > 0 and left_elided:
            for i in range(1, elided):
                output_shape.insert(1, input_shape[i])
        elif elided > 0:
            output_shape.extend(input_shape[len(input_shape) - elided:])
        if left_elided:
            input_dim_map = {dim: i + elided - len(input_shape) for i, dim in enumerate(input_spec)}
            output_dim_map = {dim: i + elided for i, dim in enumerate(output_spec)}
        else:
            input_dim_map = {dim: i for i, dim in enumerate(input_spec)}
            output_dim_map = {dim: i for i, dim in enumerate(output_spec)}
        if len(output_shape) != len(output_spec) + elided:
            raise self._arg_error("output_shape", f"must give the {len(output_spec) - 1} non-batch output axes of "
                                  f"{self.equation!r}", self.partial_output_shape)
        for dim in input_spec:
            if dim in output_dim_map:
                size = output_shape[output_dim_map[dim]]
                if size is not None and size != input_shape[input_dim_map[dim]]:
                    raise self._arg_error("output_shape", f"must match the input at shared axis {dim!r} "
                                          f"(input size {input_shape[input_dim_map[dim]]})", size)
        for dim in output_spec:
            if dim not in input_spec and dim not in weight_spec:
                raise self._arg_error("equation", f"names output axis {dim!r} that is in neither the input "
                                      f"nor the weight spec", self.equation)
        kernel_shape, input_axes, output_axes, fixed = [], [], [], {}
        for i, dim in enumerate(weight_spec):
            if dim in output_dim_map:
                kernel_shape.append(output_shape[output_dim_map[dim]])
                output_axes.append(i)
            elif dim in input_dim_map:
                kernel_shape.append(input_shape[input_dim_map[dim]])
                fixed[input_dim_map[dim]] = input_shape[input_dim_map[dim]]
                input_axes.append(i)
            else:
                raise self._arg_error("equation", f"has weight axis {dim!r} in neither the input nor the "
                                      f"output spec", self.equation)
        bias_shape = None
        if self.bias_axes is not None:
            skipped = elided if left_elided else 0
            sizes = {c: output_shape[i + skipped] for i, c in enumerate(output_spec)}
            for c in self.bias_axes:
                if c not in output_spec:
                    raise self._arg_error("bias_axes", f"must name axes of the output spec {output_spec!r}",
                                          self.bias_axes)
            first = min(output_spec.find(c) for c in self.bias_axes)
            bias_shape = [sizes[c] if c in self.bias_axes else 1 for c in output_spec[first:]]
            if not left_elided:
                bias_shape += [1] * elided
        return kernel_shape, bias_shape, output_shape, input_axes, output_axes, fixed

    def build(self, input_shape):
        kernel_shape, bias_shape, _, input_axes, output_axes, fixed = self._analyze(input_shape)
        if any(d is None for d in kernel_shape) or (bias_shape is not None and any(d is None for d in bias_shape)):
            raise self._arg_error("inputs", "must have known sizes on the axes the kernel and bias take",
                                  f"shape {tuple(input_shape)}")
        initializer = _with_fan_axes(self.kernel_initializer, input_axes, output_axes)
        self.add_weight("kernel", tuple(kernel_shape), initializer,
                        regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        if bias_shape is not None:
            self.add_weight("bias", tuple(bias_shape), self.bias_initializer,
                            regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        else:
            self.bias = None
        # Keras checks only the rank (TF's einsum rejects other sizes with its own error).
        self.input_spec = InputSpec(ndim=len(input_shape), axes=fixed)
        self.built = True
        self._maybe_enable_lora()

    def forward(self, inputs, training=None):
        outputs = torch.einsum(self.equation, inputs, self.effective_kernel())
        if self.bias is not None:
            outputs = outputs + self.read_weight(self.bias)
        if self.activation is not None:
            outputs = self.activation(outputs)
        return self.add_activity_loss(outputs)

    def compute_output_shape(self, input_shape):
        return tuple(self._analyze(input_shape)[2])

    def get_config(self):
        config = {
            **super().get_config(),
            "output_shape": self.partial_output_shape,
            "equation": self.equation,
            **self._identifier_config("activation"),
            "bias_axes": self.bias_axes,
            **self._identifier_config("kernel_initializer", "bias_initializer", "kernel_regularizer",
                                      "bias_regularizer"),
            "activity_regularizer": None,
            **self._identifier_config("kernel_constraint", "bias_constraint"),
            "quantization_config": None,
        }
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = super().get_config()["activity_regularizer"]
        config.update(self._lora_config())
        return config


__all__ = ["EinsumDense"]
