"""`BatchNormalization`: Keras 3's batch norm, plus the legacy tf_keras extras.

Three conventions differ from `torch.nn.BatchNorm*d`: the momentum weighs the *old* value
(`moving = m * moving + (1 - m) * batch`), epsilon defaults to 1e-3, and the moving variance is
updated with the *biased* batch variance.
"""

from __future__ import annotations

import math
import numbers
import warnings

import torch
import torch.nn.functional as F

from ...ops import moments as moments_ops
from ..base import InputSpec, Layer

_HALF = (torch.float16, torch.bfloat16)
_RENORM_CLIPPING_KEYS = ("rmax", "rmin", "dmax")
# tf_keras' fused kernel accepts these channel axes for rank 4 / rank 5 inputs.
_FUSED_AXES = (-4, -3, -1, 1, 3, 4)


class BatchNormalization(Layer):
    """Keras `BatchNormalization` (Keras 3.15 arguments and math).

    Training (`training` truthy **and** `trainable`) normalises with the batch mean and biased
    variance and updates `moving_mean`/`moving_variance` in place; otherwise the moving statistics
    are used. `training=None` follows `.train()`/`.eval()`. float16/bfloat16 inputs are computed in
    float32 and cast back; the statistics stay in the weights' dtype.

    Legacy tf_keras arguments (keyword-only; they appear in `get_config` only when set, since Keras 3
    rejects them):

    * `virtual_batch_size`: ghost batch norm. Ghost batch j holds the strided samples
      `j, j + G, j + 2G, ...` (G = batch / virtual_batch_size), weights get tf_keras' full-rank shape
      with an extra leading 1, and the moving statistics move by the mean of the ghost moments.
    * `adjustment`: `callable(input_shape) -> (scale, bias)` applied to the normalised value in
      training only. Not serialisable (omitted from the config, as tf_keras does).
    * `fused=True`: reproduce tf_keras' fused kernel, which updates `moving_variance` with the
      **unbiased** batch variance (and ignores masks). Validated like tf_keras. The default (None)
      keeps Keras 3's biased update even where tf_keras would have picked its fused kernel.
    """

    supports_masking = True

    def __init__(
        self,
        axis=-1,
        momentum=0.99,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        moving_mean_initializer="zeros",
        moving_variance_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        renorm=False,
        renorm_clipping=None,
        renorm_momentum=0.99,
        synchronized=False,
        *,
        fused=None,
        virtual_batch_size=None,
        adjustment=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
            raise self._arg_error("axis", "must be a single int (Keras 3 does not accept a list of axes)", axis,
                                  TypeError)
        self.axis = int(axis)
        self.momentum = self._float("momentum", momentum)
        self.epsilon = self._float("epsilon", epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self._set_identifiers(
            beta_initializer=beta_initializer, gamma_initializer=gamma_initializer,
            moving_mean_initializer=moving_mean_initializer, moving_variance_initializer=moving_variance_initializer,
            beta_regularizer=beta_regularizer, gamma_regularizer=gamma_regularizer,
            beta_constraint=beta_constraint, gamma_constraint=gamma_constraint,
        )
        self.synchronized = bool(synchronized)
        self.renorm = bool(renorm)
        self.renorm_clipping = self._validate_renorm_clipping(renorm_clipping) if self.renorm else renorm_clipping
        self.renorm_momentum = self._float("renorm_momentum", renorm_momentum)

        if virtual_batch_size is not None and (
            isinstance(virtual_batch_size, bool) or not isinstance(virtual_batch_size, numbers.Integral)
            or virtual_batch_size <= 0
        ):
            raise self._arg_error("virtual_batch_size", "must be None or a positive integer dividing the batch size",
                                  virtual_batch_size)
        if adjustment is not None and not callable(adjustment):
            raise self._arg_error("adjustment", "must be None or a callable `input_shape -> (scale, bias)`",
                                  adjustment, TypeError)
        if virtual_batch_size is not None and adjustment is not None:
            raise self._arg_error("adjustment", "cannot be combined with `virtual_batch_size` (as in tf_keras)",
                                  adjustment)
        if fused not in (None, True, False):
            raise self._arg_error("fused", "must be None, True or False", fused, TypeError)
        self.virtual_batch_size = None if virtual_batch_size is None else int(virtual_batch_size)
        self.adjustment = adjustment
        self.fused = fused
        if fused:
            self._check_fused_possible()

        self._channel_axis: int | None = None  # the non-negative channel axis, set by build
        self._unbiased_moving_variance = False  # tf_keras' fused kernel (fused=True on a fused-able input)

    # ------------------------------------------------------------------ argument validation
    def _float(self, arg: str, value) -> float:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise self._arg_error(arg, "must be a float", value, TypeError)
        return float(value)

    def _validate_renorm_clipping(self, clipping) -> dict:
        clipping = {} if clipping is None else clipping
        if not isinstance(clipping, dict):
            raise self._arg_error("renorm_clipping", "must be None or a dict with keys among 'rmax', 'rmin', 'dmax'",
                                  clipping, TypeError)
        unknown = set(clipping) - set(_RENORM_CLIPPING_KEYS)
        if unknown:
            raise self._arg_error("renorm_clipping", f"accepts only the keys {list(_RENORM_CLIPPING_KEYS)} "
                                  f"(unknown: {sorted(map(str, unknown))})", clipping)
        for key, value in clipping.items():
            if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Real)):
                raise self._arg_error("renorm_clipping", f"needs a number or None for {key!r}", clipping, TypeError)
        rmax, rmin, dmax = (clipping.get(k) for k in ("rmax", "rmin", "dmax"))
        if rmax is not None and rmin is not None and rmax < rmin:
            raise self._arg_error("renorm_clipping", "needs rmax >= rmin", clipping)
        if dmax is not None and dmax < 0:
            raise self._arg_error("renorm_clipping", "needs a non-negative dmax", clipping)
        return clipping

    def _check_fused_possible(self) -> None:
        """tf_keras' `_raise_if_fused_cannot_be_used` (the rank is checked at build)."""
        reasons = [
            (self.synchronized, "`fused=True` is not supported with `synchronized=True`"),
            (self.renorm, "`fused=True` is not supported with `renorm=True`"),
            (self.axis not in _FUSED_AXES, "`fused=True` needs axis 1 or 3 (rank 4) or 1 or 4 (rank 5)"),
            (self.virtual_batch_size is not None, "`fused=True` is not supported with `virtual_batch_size`"),
            (self.adjustment is not None, "`fused=True` is not supported with `adjustment`"),
            (self.compute_dtype not in (torch.float16, torch.bfloat16, torch.float32),
             "`fused=True` needs a float16, bfloat16 or float32 compute dtype"),
        ]
        for failed, why in reasons:
            if failed:
                raise ValueError(f"{self.__class__.__name__}: argument `fused`: {why}; received fused=True, "
                                 f"axis={self.axis}, dtype={self.dtype_policy.name!r}")

    # ------------------------------------------------------------------ build
    def build(self, input_shape):
        input_shape = tuple(input_shape)
        rank = len(input_shape)
        if not -rank <= self.axis < rank:
            raise ValueError(f"{self.__class__.__name__} ({self.name!r}): argument `axis` must be in "
                             f"[{-rank}, {rank}) for input shape {input_shape}; received axis={self.axis}")
        axis = self.axis % rank
        channels = input_shape[axis]
        if channels is None:
            raise ValueError(f"{self.__class__.__name__} ({self.name!r}): the channel axis {self.axis} of the input "
                             f"must be known to build; received input shape {input_shape}")
        if self.virtual_batch_size is not None and axis == 0:
            raise ValueError(f"{self.__class__.__name__} ({self.name!r}): argument `axis` cannot be the batch axis "
                             f"with `virtual_batch_size`; received axis={self.axis}")
        self._unbiased_moving_variance = False
        if self.fused:
            if rank not in (4, 5):
                raise ValueError(f"{self.__class__.__name__} ({self.name!r}): argument `fused=True` supports only "
                                 f"4D or 5D inputs; received input shape {input_shape}")
            if rank == 4 and axis not in (1, 3):
                raise ValueError(f"{self.__class__.__name__} ({self.name!r}): argument `fused=True` needs axis 1 or 3 "
                                 f"for 4D inputs; received axis={self.axis}")
            # tf_keras silently falls back to its non-fused path for other 5D axes.
            self._unbiased_moving_variance = rank == 4 or axis in (1, 4)
        self._channel_axis = axis

        if self.virtual_batch_size is None:
            shape = (channels,)
        else:  # tf_keras' full-rank parameter shape with the ghost-batch axis inserted at 1
            shape = tuple(channels if i == axis else 1 for i in range(rank))
            shape = shape[:1] + (1,) + shape[1:]
        if self.scale:
            self.add_weight("gamma", shape, self.gamma_initializer,
                            regularizer=self.gamma_regularizer, constraint=self.gamma_constraint)
        else:
            self.gamma = None
        if self.center:
            self.add_weight("beta", shape, self.beta_initializer,
                            regularizer=self.beta_regularizer, constraint=self.beta_constraint)
        else:
            self.beta = None
        self.add_weight("moving_mean", shape, self.moving_mean_initializer, trainable=False)
        self.add_weight("moving_variance", shape, self.moving_variance_initializer, trainable=False)
        if self.renorm:
            # Batch renormalisation tracks the inference stddev (sqrt of the variance initializer).
            stddev_init = _sqrt_initializer(self.moving_variance_initializer)
            self.add_weight("moving_stddev", shape, stddev_init, trainable=False)
            self.add_weight("renorm_mean", shape, self.moving_mean_initializer, trainable=False)
            self.add_weight("renorm_stddev", shape, stddev_init, trainable=False)
        self.input_spec = InputSpec(ndim=rank, axes={self.axis: channels})

    # ------------------------------------------------------------------ forward
    def forward(self, inputs, training=None, mask=None):
        if mask is not None:
            mask = self._standardize_mask(inputs, mask)
        # Keras computes in float32 for 16-bit inputs (float16 statistics overflow) and casts back.
        if inputs.dtype in _HALF or not inputs.is_floating_point():
            x = inputs.to(torch.float32 if inputs.is_floating_point() else self.compute_dtype)
        else:
            x = inputs
        if x.shape[self._channel_axis] == 0:  # no channels: no statistics; Keras returns the empty input
            outputs = x
        elif self.resolve_training(training) and self.trainable:
            outputs = self._training_forward(x, mask)
        else:
            outputs = self._inference_forward(x)
        out_dtype = inputs.dtype if inputs.is_floating_point() else self.compute_dtype
        return self.add_activity_loss(outputs if outputs.dtype == out_dtype else outputs.to(out_dtype))

    def _inference_forward(self, x):
        outputs = F.batch_norm(
            self._to_channels_first(x), self._vector(self.moving_mean, x), self._vector(self.moving_variance, x),
            self._vector(self.gamma, x), self._vector(self.beta, x), False, 0.0, self.epsilon,
        )
        return self._from_channels_first(outputs, x)

    def _training_forward(self, x, mask):
        mask_used = mask is not None and not self._unbiased_moving_variance  # tf_keras' fused kernel ignores masks
        if self.virtual_batch_size is None and not mask_used and not self._synchronizing():
            return self._kernel_training_forward(x, mask)
        return self._explicit_training_forward(x, mask)

    def _kernel_training_forward(self, x, mask):
        """The hot path: torch's fused batch-norm kernel on a channels-first *view* of `x`."""
        if mask is not None and not torch.compiler.is_compiling():  # dynamo cannot trace warnings.warn
            warnings.warn(f"{self.__class__.__name__} ({self.name!r}): masks are ignored with `fused=True`, as in "
                          "tf_keras' fused kernel", stacklevel=3)
        plain = not self.renorm and self.adjustment is None
        weight, bias = (self._vector(self.gamma, x), self._vector(self.beta, x)) if plain else (None, None)
        outputs, mean, var = moments_ops.batch_norm_with_moments(self._to_channels_first(x), weight, bias, self.epsilon)
        outputs = self._from_channels_first(outputs, x)
        if not plain:  # renorm / adjustment: outputs is x-hat; apply the composed affine transform
            shape = self._broadcast_shape(x.dim())
            scale, offset = self._training_transform(x, mean.view(shape), var.view(shape), shape)
            outputs = outputs * scale + offset
        self._update_moving_statistics(mean, var, x.numel() // x.shape[self._channel_axis])
        return outputs

    def _explicit_training_forward(self, x, mask):
        """Masks, ghost batches or cross-process statistics: moments first, then TF's formula."""
        axis = self._channel_axis
        if self.virtual_batch_size is not None:
            if mask is not None:
                raise ValueError(f"{self.__class__.__name__} ({self.name!r}): argument `mask` is not supported with "
                                 "`virtual_batch_size` in training (tf_keras fails on it too)")
            batch = x.shape[0]
            if batch % self.virtual_batch_size:
                raise ValueError(f"{self.__class__.__name__} ({self.name!r}): argument `virtual_batch_size`="
                                 f"{self.virtual_batch_size} must divide the batch size; received a batch of {batch}")
            # (vbs, G, ...): ghost batch j is made of the samples j, j + G, ... (tf_keras' reshape).
            xe = x.reshape((self.virtual_batch_size, batch // self.virtual_batch_size) + tuple(x.shape[1:]))
            axis += 1
            dims = [0] + [d for d in range(2, xe.dim()) if d != axis]
        else:
            xe = x
            dims = [d for d in range(x.dim()) if d != axis]
        shape = self._broadcast_shape(xe.dim(), axis)
        if self._synchronizing():
            mean, var = moments_ops.distributed_moments(xe, dims, mask)
        elif mask is not None:
            mean, var = moments_ops.masked_moments(xe, mask, dims)
        else:
            mean, var = moments_ops.moments(xe, dims)
        batch_mean, batch_var = mean.detach(), var.detach()
        if self.virtual_batch_size is not None:  # one update with the mean of the ghost moments
            batch_mean, batch_var = batch_mean.mean(1, keepdim=True), batch_var.mean(1, keepdim=True)
        scale, offset = self._training_transform(xe, batch_mean, batch_var, shape)
        outputs = moments_ops.normalize(xe, mean, var, scale, offset, self.epsilon)
        self._update_moving_statistics(batch_mean.reshape(-1), batch_var.reshape(-1), None)
        return outputs.reshape(x.shape)

    def _training_transform(self, x, mean, var, shape):
        """(scale, offset) applied to x-hat in training: gamma/beta composed with tf_keras' adjustment
        and the renorm correction (r, d), all broadcastable against `x`; `mean`/`var` are detached."""
        scale, offset = self._param(self.gamma, x, shape), self._param(self.beta, x, shape)
        if self.adjustment is not None:
            adj_scale, adj_bias = self.adjustment(x.shape)
            adj_scale = torch.as_tensor(adj_scale, dtype=x.dtype, device=x.device)
            adj_bias = torch.as_tensor(adj_bias, dtype=x.dtype, device=x.device)
            scale, offset = _compose(adj_scale, adj_bias, scale, offset)
        if self.renorm:
            stddev = torch.sqrt(var + self.epsilon)
            renorm_stddev = torch.clamp_min(_pinned(self._param(self.renorm_stddev, x, shape)), math.sqrt(self.epsilon))
            r = stddev / renorm_stddev
            d = (mean - _pinned(self._param(self.renorm_mean, x, shape))) / renorm_stddev
            rmin, rmax, dmax = (self.renorm_clipping.get(k) for k in ("rmin", "rmax", "dmax"))
            if rmin is not None:
                r = torch.clamp_min(r, rmin)
            if rmax is not None:
                r = torch.clamp_max(r, rmax)
            if dmax is not None:
                d = torch.clamp(d, -dmax, dmax)
            scale, offset = _compose(r, d, scale, offset)
        return scale, offset

    def _update_moving_statistics(self, mean, var, count):
        """Keras: `moving = moving * momentum + batch * (1 - momentum)`, with the biased variance
        (unbiased for tf_keras' fused kernel); with renorm the variance follows the moving stddev.
        In place and outside autograd: `mean`/`var` are detached and buffers never require grad."""
        momentum = self.momentum
        if self._unbiased_moving_variance:
            var = var * (count / max(count - 1, 1))
        if self.renorm:
            stddev = torch.sqrt(var + self.epsilon)
            _moving_average_(self.renorm_mean, mean, self.renorm_momentum)
            _moving_average_(self.renorm_stddev, stddev, self.renorm_momentum)
            _moving_average_(self.moving_mean, mean, momentum)
            _moving_average_(self.moving_stddev, stddev, momentum)
            moving_stddev = self._vector(self.moving_stddev, mean)
            # relu: rounding can make stddev^2 - eps slightly negative.
            _assign(self.moving_variance, torch.relu(moving_stddev * moving_stddev - self.epsilon))
        else:
            _moving_average_(self.moving_mean, mean, momentum)
            _moving_average_(self.moving_variance, var, momentum)

    # ------------------------------------------------------------------ helpers
    def _synchronizing(self) -> bool:
        return self.synchronized and torch.distributed.is_available() and torch.distributed.is_initialized()

    def _standardize_mask(self, inputs, mask):
        """Keras' mask rules: rank = input rank - 1, broadcast with a trailing axis of size 1."""
        if not isinstance(mask, torch.Tensor):
            mask = torch.as_tensor(mask, device=inputs.device)
        if mask.dim() != inputs.dim() - 1:
            raise ValueError(f"{self.__class__.__name__} ({self.name!r}): argument `mask` must have one dimension "
                             f"less than the inputs; received mask shape {tuple(mask.shape)} for inputs of shape "
                             f"{tuple(inputs.shape)}")
        expanded = tuple(mask.shape) + (1,)
        if any(m != 1 and m != s for m, s in zip(expanded, inputs.shape)):
            raise ValueError(f"{self.__class__.__name__} ({self.name!r}): argument `mask` of shape {tuple(mask.shape)} "
                             f"does not broadcast (with a trailing axis) to inputs of shape {tuple(inputs.shape)}")
        mask = mask if mask.dtype == torch.bool else mask != 0
        return mask.unsqueeze(-1)

    def _broadcast_shape(self, rank: int, axis: int | None = None) -> tuple:
        axis = self._channel_axis if axis is None else axis
        return tuple(-1 if i == axis else 1 for i in range(rank))

    @staticmethod
    def _vector(weight, like):
        """A weight as a per-channel vector in `like`'s dtype (free views; a cast only if dtypes differ).
        Tested in Python first: `reshape`/`to` that change nothing still cost a dispatch each (~1 µs),
        four weights per call."""
        if weight is None:
            return None
        if weight.dim() != 1:
            weight = weight.reshape(-1)
        return weight if weight.dtype == like.dtype else weight.to(like.dtype)

    @staticmethod
    def _param(weight, like, shape):
        return None if weight is None else weight.reshape(shape).to(like.dtype)

    def _to_channels_first(self, x):
        """`x` as torch's `(N, C, *)` without copying: NHWC / NDHWC become channels_last views, other
        layouts a reshape that merges the axes before and after the channel axis."""
        axis, rank = self._channel_axis, x.dim()
        if axis == 1:
            return x
        if axis == rank - 1 and rank in (4, 5):
            return x.permute(0, rank - 1, *range(1, rank - 1))
        outer, inner = math.prod(x.shape[:axis]), math.prod(x.shape[axis + 1:])
        channels = x.shape[axis]
        return x.reshape(outer, channels) if inner == 1 else x.reshape(outer, channels, inner)

    def _from_channels_first(self, y, x):
        axis, rank = self._channel_axis, x.dim()
        if axis == 1:
            return y
        if axis == rank - 1 and rank in (4, 5):
            return y.permute(0, *range(2, rank), 1)
        return y.reshape(x.shape)

    # ------------------------------------------------------------------ Keras surface
    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if not -len(input_shape) <= self.axis < len(input_shape):
            raise ValueError(f"{self.__class__.__name__} ({self.name!r}): axis {self.axis} is out of bounds for input "
                             f"shape {input_shape}")
        return input_shape

    def get_config(self):
        config = {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            **self._identifier_config(
                "beta_initializer", "gamma_initializer", "moving_mean_initializer", "moving_variance_initializer",
                "beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint",
            ),
            "synchronized": self.synchronized,
            "renorm": self.renorm,
            "renorm_clipping": self.renorm_clipping,
            "renorm_momentum": self.renorm_momentum,
        }
        # Legacy tf_keras arguments only when set: Keras 3's from_config rejects them.
        # `adjustment` is a callable and is never serialised (tf_keras omits it too).
        if self.fused is not None:
            config["fused"] = self.fused
        if self.virtual_batch_size is not None:
            config["virtual_batch_size"] = self.virtual_batch_size
        return config


def _compose(scale, offset, then_scale, then_offset):
    """(x * scale + offset) * then_scale + then_offset as one (scale, offset) pair (tf_keras' order)."""
    if then_scale is not None:
        scale = scale * then_scale
        offset = offset * then_scale
    if then_offset is not None:
        offset = offset + then_offset
    return scale, offset


def _pinned(buffer_view: torch.Tensor) -> torch.Tensor:
    """The current value of a buffer that this forward also updates in place, safe to use in math the
    backward needs. torch.compile's min-cut partitioner (torch <= 2.13) may *recompute* such a read in
    the backward, after the update, which silently corrupts gradients (pytorch/pytorch#197039). A cumsum
    over a new size-1 axis is the identity, and as an op outside the partitioner's recompute allow-list
    it makes the pre-update value a saved activation. Costs one tiny per-channel kernel."""
    return torch.cumsum(buffer_view.unsqueeze(0), 0).squeeze(0)


def _moving_average_(buffer: torch.Tensor, value: torch.Tensor, momentum: float) -> None:
    """In place, Keras' `buffer = buffer * momentum + value * (1 - momentum)` (value: per channel)."""
    flat = buffer.view(-1)
    if flat.dtype == value.dtype:
        flat.mul_(momentum).add_(value, alpha=1.0 - momentum)
    else:  # 16-bit statistics (a `.half()` module): average in the batch's float32, as Keras does
        flat.copy_(flat.to(value.dtype) * momentum + value * (1.0 - momentum))


def _assign(buffer: torch.Tensor, value: torch.Tensor) -> None:
    buffer.copy_(value.reshape(buffer.shape))


def _sqrt_initializer(initializer):
    def sqrt_of(shape, dtype=torch.float32, device=None):
        return torch.sqrt(initializer(shape, dtype=dtype, device=device))

    return sqrt_of

__all__ = ["BatchNormalization"]
