"""`LayerNormalization`: normalise each sample over `axis` with its own mean and biased variance."""

from __future__ import annotations

import numbers
import warnings

import torch
import torch.nn.functional as F

from ...ops import moments as moments_ops
from ..base import InputSpec, Layer
from ._axes import check_axes_in_rank, standardize_axis
from ._uncast_inputs import UncastInputs

_HALF = (torch.float16, torch.bfloat16)


class LayerNormalization(UncastInputs, Layer):
    """Keras `LayerNormalization` (Keras 3.15 arguments and math).

    `axis` is an int or a list of ints; build sorts it (as given, negatives included) and the weights
    have the sizes of those axes in that order, reshaped (not transposed) onto the input, as Keras does.
    `rms_scaling=True` is Keras' deprecated mode: `x * rsqrt(var(x) + epsilon) * gamma` (the variance,
    not the mean square), no `beta`. 16-bit inputs are computed in float32 and cast back; under a mixed
    policy inputs are not cast (`UncastInputs`).
    Trailing axes use torch's fused `F.layer_norm`; other axes TF's formula `x * inv + (beta - mean * inv)`.
    """

    supports_masking = True

    def __init__(
        self,
        axis=-1,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        *,
        rms_scaling=False,
        **kwargs,
    ):
        if rms_scaling:
            warnings.warn(
                "You passed `rms_scaling=True`, which is deprecated. This argument incorrectly scales the input by "
                "the variance, not the root mean square. To correctly use RMS Normalization, please use "
                "`keras.layers.RMSNormalization` instead.", stacklevel=2)
        super().__init__(**kwargs)
        self.axis = standardize_axis(self, axis)
        if isinstance(epsilon, bool) or not isinstance(epsilon, numbers.Real):
            raise self._arg_error("epsilon", "must be a float", epsilon, TypeError)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.rms_scaling = bool(rms_scaling)
        self._set_identifiers(
            beta_initializer=beta_initializer, gamma_initializer=gamma_initializer,
            beta_regularizer=beta_regularizer, gamma_regularizer=gamma_regularizer,
            beta_constraint=beta_constraint, gamma_constraint=gamma_constraint,
        )
        self._sizes: tuple = ()  # the weights' shape: the sizes of the normalised axes at build

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        axes = sorted(self.axis) if isinstance(self.axis, list) else [self.axis]
        dims = check_axes_in_rank(self, axes, input_shape)
        shape = tuple(input_shape[d] for d in dims)
        if any(s is None for s in shape):
            raise ValueError(f"{self.__class__.__name__} ({self.name!r}): the normalised axes {axes} of the input "
                             f"must be known to build; received input shape {input_shape}")
        self.axis = axes  # Keras stores the sorted list (its config shows it after build)
        self._sizes = shape
        if self.scale or self.rms_scaling:
            self.add_weight("gamma", shape, self.gamma_initializer,
                            regularizer=self.gamma_regularizer, constraint=self.gamma_constraint)
        else:
            self.gamma = None
        if self.center and not self.rms_scaling:
            self.add_weight("beta", shape, self.beta_initializer,
                            regularizer=self.beta_regularizer, constraint=self.beta_constraint)
        else:
            self.beta = None
        # Keras has no rank check: a later input of another rank is normalised over the same `axis`
        # (as given, negatives from the end), which must exist and keep the weights' sizes.
        self.input_spec = InputSpec(axes=dict(zip(axes, shape)))

    def forward(self, inputs, mask=None):
        x = inputs.float() if inputs.dtype in _HALF else inputs
        rank = x.dim()
        dims = [a % rank for a in self.axis]
        broadcast = [1] * rank
        for d, size in zip(dims, self._sizes):
            broadcast[d] = size
        gamma = None if self.gamma is None else self.gamma.to(x.dtype)
        beta = None if self.beta is None else self.beta.to(x.dtype)
        if self.rms_scaling:
            var = torch.var(x, dim=dims, correction=0, keepdim=True)
            outputs = x * torch.rsqrt(var + self.epsilon)
            if gamma is not None:
                outputs = outputs * gamma.reshape(broadcast)
        elif dims == list(range(rank - len(dims), rank)):
            # Reshaping the weights onto the trailing axes keeps their element order: F.layer_norm's layout.
            normalized_shape = x.shape[rank - len(dims):]
            outputs = F.layer_norm(
                x, normalized_shape, None if gamma is None else gamma.reshape(normalized_shape),
                None if beta is None else beta.reshape(normalized_shape), self.epsilon)
        else:
            mean, var = moments_ops.moments(x, tuple(dims))
            outputs = moments_ops.normalize(
                x, mean, var, None if gamma is None else gamma.reshape(broadcast),
                None if beta is None else beta.reshape(broadcast), self.epsilon)
        return outputs.to(self._output_dtype(inputs))

    def compute_output_shape(self, input_shape):
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        check_axes_in_rank(self, axes, input_shape)
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "rms_scaling": self.rms_scaling,
            **self._identifier_config(
                "beta_initializer", "gamma_initializer", "beta_regularizer", "gamma_regularizer",
                "beta_constraint", "gamma_constraint",
            ),
        }

__all__ = ["LayerNormalization"]
