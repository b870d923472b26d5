"""`GroupNormalization`: normalise each sample over groups of channels (and every non-batch axis)."""

from __future__ import annotations

import numbers

import torch

from ..base import InputSpec, Layer
from ._axes import check_axes_in_rank, is_int
from ._uncast_inputs import UncastInputs

_HALF = (torch.float16, torch.bfloat16)


class GroupNormalization(UncastInputs, Layer):
    """Keras `GroupNormalization` (Keras 3.15 arguments and math).

    `groups=-1` is instance normalisation: build sets `groups` to the channel count (Keras does too,
    so the config shows the count after build). The statistics of group g are the mean and biased
    variance over every non-batch axis of its channels; `torch.group_norm` computes exactly that on
    a channels-first view. 16-bit inputs are computed in float32 and cast back; under a mixed policy
    inputs are not cast (`UncastInputs`).
    """

    supports_masking = True

    def __init__(
        self,
        groups=32,
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
        **kwargs,
    ):
        if not is_int(groups) or (groups <= 0 and groups != -1):
            raise ValueError(f"{self.__class__.__name__}: argument `groups` must be a positive integer (or -1 for "
                             f"instance normalization); received {groups!r}")
        super().__init__(**kwargs)
        if not is_int(axis):
            raise self._arg_error("axis", "must be an int", axis, TypeError)
        if isinstance(epsilon, bool) or not isinstance(epsilon, numbers.Real):
            raise self._arg_error("epsilon", "must be a float", epsilon, TypeError)
        self.groups = int(groups)
        self.axis = int(axis)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self._set_identifiers(
            beta_initializer=beta_initializer, gamma_initializer=gamma_initializer,
            beta_regularizer=beta_regularizer, gamma_regularizer=gamma_regularizer,
            beta_constraint=beta_constraint, gamma_constraint=gamma_constraint,
        )
        self._channel_axis: int | None = None

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        (axis,) = check_axes_in_rank(self, [self.axis], input_shape)
        if axis == 0:
            raise ValueError(f"{self.__class__.__name__} ({self.name!r}): argument `axis` cannot be the batch axis; "
                             f"received axis={self.axis} for input shape {input_shape}")
        dim = input_shape[axis]
        if dim is None:
            raise ValueError(f"{self.__class__.__name__} ({self.name!r}): axis {self.axis} of the input must have a "
                             f"defined dimension; received input shape {input_shape}")
        if self.groups == -1:
            self.groups = dim
        if dim < self.groups:
            raise ValueError(f"{self.__class__.__name__} ({self.name!r}): argument `groups` ({self.groups}) cannot be "
                             f"more than the number of channels ({dim}) of input shape {input_shape}")
        if dim % self.groups:
            raise ValueError(f"{self.__class__.__name__} ({self.name!r}): argument `groups` ({self.groups}) must "
                             f"divide the number of channels ({dim}) of input shape {input_shape}")
        self._channel_axis = axis
        self.input_spec = InputSpec(ndim=len(input_shape), axes={self.axis: dim})
        if self.scale:
            self.add_weight("gamma", (dim,), self.gamma_initializer,
                            regularizer=self.gamma_regularizer, constraint=self.gamma_constraint)
        else:
            self.gamma = None
        if self.center:
            self.add_weight("beta", (dim,), self.beta_initializer,
                            regularizer=self.beta_regularizer, constraint=self.beta_constraint)
        else:
            self.beta = None

    def forward(self, inputs, mask=None):
        # Keras normalises integer/bool input in float32, casts the result back to the input's dtype
        # (truncating), then to the compute dtype; torch's kernel has no integer variant.
        out_dtype = self._output_dtype(inputs) if inputs.is_floating_point() else self.compute_dtype
        x = inputs.float() if inputs.dtype in _HALF or not inputs.is_floating_point() else inputs
        axis = self._channel_axis
        # (N, C, *) view: a channels-last 4D/5D input is a channels_last-strided tensor, which the kernel reads as is.
        channels_first = x if axis == 1 else x.movedim(axis, 1)
        gamma = None if self.gamma is None else self.gamma.to(x.dtype)
        beta = None if self.beta is None else self.beta.to(x.dtype)
        # torch.group_norm, not F.group_norm: F rejects groups of one value, which Keras normalises to beta.
        if gamma is None and beta is not None:
            # torch's group-norm backward fails for a bias without a weight ("tensor does not have a device").
            outputs = torch.group_norm(channels_first, self.groups, None, None, self.epsilon, False)
            outputs = outputs + beta.reshape((-1,) + (1,) * (x.dim() - 2))
        else:
            outputs = torch.group_norm(channels_first, self.groups, gamma, beta, self.epsilon, False)
        outputs = outputs if axis == 1 else outputs.movedim(1, axis)
        return outputs.to(inputs.dtype).to(out_dtype)

    def compute_output_shape(self, input_shape):
        check_axes_in_rank(self, [self.axis], input_shape)
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "groups": self.groups,
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            **self._identifier_config(
                "beta_initializer", "gamma_initializer", "beta_regularizer", "gamma_regularizer",
                "beta_constraint", "gamma_constraint",
            ),
        }

__all__ = ["GroupNormalization"]
