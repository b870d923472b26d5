"""`Normalization`: `(x - mean) / sqrt(variance)` per position of `axis`, from given values or `adapt(data)`."""

from __future__ import annotations

import itertools
import math

import numpy as np
import torch

from ...config import EPSILON
from ..base import InputSpec, Layer


class Normalization(Layer):
    """Keras `Normalization(axis=-1, mean=None, variance=None, invert=False)`.

    Without `mean`/`variance` the layer owns Keras' three non-trainable weights, `mean` and
    `variance` (shaped like the kept axes) and `count` (an int64 scalar that Keras 3.15 never updates),
    which `adapt(data)` fills with Keras' exact statistics: numpy arrays through numpy, torch tensors
    through torch, iterables of batches (arrays, tensors, or `(x, y, ...)` tuples) with Keras' running
    combination of batch means and variances. The forward reads the weights, so `set_weights` takes
    effect at once. With `mean`/`variance` given, `layer.mean`/`layer.variance` are Keras' constants,
    broadcast as Keras broadcasts them, in the compute dtype (non-persistent buffers: they come from the
    config). Inputs of a higher rank than the build's are taken where the statistics broadcast. The denominator is
    `max(sqrt(variance), 1e-7)`; `invert=True` maps back: `mean + x * max(sqrt(variance), 1e-7)`.
    """

    supports_masking = True

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        elif isinstance(axis, int) and not isinstance(axis, bool):
            axis = (axis,)
        elif isinstance(axis, (list, tuple)) and all(isinstance(a, int) and not isinstance(a, bool) for a in axis):
            axis = tuple(axis)
        else:
            raise self._arg_error("axis", "must be None, an int or a list/tuple of ints", axis, TypeError)
        self.axis = axis
        self.input_mean = mean
        self.input_variance = variance
        self.invert = bool(invert)
        if (mean is not None) != (variance is not None):
            raise ValueError(f"{self.__class__.__name__}: arguments `mean` and `variance` must both be set when "
                             f"setting values directly; received mean={mean!r} and variance={variance!r}")
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError(f"{self.__class__.__name__}: arguments `mean` and `variance` must have the same "
                                 f"shape; received mean shape {np.shape(mean)} and variance shape {np.shape(variance)}")
            if len(np.shape(mean)) > len(self.axis):
                raise ValueError(f"{self.__class__.__name__}: argument `mean` must have a rank <= the number of axes "
                                 f"({len(self.axis)}); received mean shape {np.shape(mean)} for axis {self.axis}")
        self._build_input_shape: tuple | None = None
        self._keep_axis: tuple = ()
        self._reduce_axis: tuple = ()
        self._broadcast_shape: tuple = ()

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        ndim = len(input_shape)
        if any(not -ndim <= a < ndim for a in self.axis):
            raise ValueError(f"{self.__class__.__name__} ({self.name!r}): all `axis` values must be in [-ndim, ndim); "
                             f"received inputs with ndim={ndim}, while axis={self.axis}")
        self._build_input_shape = input_shape
        self._keep_axis = tuple(sorted(a % ndim for a in self.axis))
        for d in self._keep_axis:
            if input_shape[d] is None:
                raise ValueError(f"{self.__class__.__name__} ({self.name!r}): the kept axes must have a known size; "
                                 f"received axis={self.axis}, input shape {input_shape}, unknown axis {d}")
        self._reduce_axis = tuple(d for d in range(ndim) if d not in self._keep_axis)
        self._broadcast_shape = tuple(input_shape[d] if d in self._keep_axis else 1 for d in range(ndim))
        shape = tuple(input_shape[d] for d in self._keep_axis)
        # Keras has no input spec: its statistics broadcast against any input, aligned from the last axis.
        # A higher rank keeps the output shape and is taken; a lower one would be silently enlarged.
        self.input_spec = InputSpec(min_ndim=ndim, axes={d - ndim: input_shape[d] for d in self._keep_axis})
        if self.input_mean is None:
            self.add_weight("mean", shape, "zeros", trainable=False)
            self.add_weight("variance", shape, "ones", trainable=False)
            self.add_weight("count", (), "zeros", dtype=torch.int64, trainable=False)
        else:
            # Keras' `layer.mean` / `layer.variance`: the broadcast constants in the compute dtype
            self.register_buffer("mean", self._broadcast_constant(self.input_mean), persistent=False)
            self.register_buffer("variance", self._broadcast_constant(self.input_variance), persistent=False)

    def _broadcast_constant(self, value) -> torch.Tensor:
        """Keras' broadcast of a given mean/variance: a scalar everywhere, else its axes matched to the
        trailing kept axes."""
        array = np.asarray(value, dtype=np.float64)
        if array.ndim:
            expanded = [1] * len(self._broadcast_shape)
            for i in range(1, array.ndim + 1):
                expanded[self._keep_axis[-i]] = array.shape[-i]
            array = array.reshape(expanded)
        try:
            array = np.broadcast_to(array, self._broadcast_shape)
        except ValueError:
            raise ValueError(f"{self.__class__.__name__} ({self.name!r}): argument `mean`/`variance` of shape "
                             f"{np.shape(value)} does not broadcast to the kept axes {self._broadcast_shape}") from None
        return torch.tensor(array, dtype=self.compute_dtype, device=self._build_device)

    def _statistics(self):
        if self.input_mean is not None:
            return self.mean, self.variance
        return self.mean.reshape(self._broadcast_shape), self.variance.reshape(self._broadcast_shape)

    def forward(self, inputs, mask=None):
        x = inputs if inputs.is_floating_point() else inputs.to(self.compute_dtype)
        mean, variance = (t.to(x.dtype) for t in self._statistics())
        denominator = torch.clamp_min(torch.sqrt(variance), EPSILON)
        if self.invert:
            return mean + x * denominator
        return (x - mean) / denominator

    # ------------------------------------------------------------------ adapt
    def adapt(self, data) -> None:
        """Compute `mean` and `variance` over `data`: a numpy array, a torch tensor, or an iterable of
        batches (each an array/tensor, or a tuple whose first element is one). Keras' `adapt`."""
        batches = None
        if isinstance(data, (np.ndarray, torch.Tensor)):
            input_shape = tuple(data.shape)
        elif hasattr(data, "__iter__"):
            iterator = iter(data)
            first = next(iterator, None)
            if first is None:
                raise ValueError(f"{self.__class__.__name__} ({self.name!r}): adapt() received an empty iterable; "
                                 "expected at least one batch")
            first = _extract_batch(first)
            if getattr(first, "shape", None) is None:
                raise TypeError(f"{self.__class__.__name__} ({self.name!r}): adapt() expects batches with a `.shape` "
                                f"(numpy arrays or tensors); received an element of type {type(first).__name__}")
            input_shape = tuple(first.shape)
            batches = itertools.chain([first], iterator)
        else:
            raise TypeError(f"{self.__class__.__name__} ({self.name!r}): adapt() supports numpy arrays, torch tensors "
                            f"and iterables of batches; received {type(data).__name__}")
        if self.input_mean is not None:
            raise ValueError(f"{self.__class__.__name__} ({self.name!r}): adapt() cannot change a `mean`/`variance` "
                             "given at construction")
        if not self.built:
            self.build(input_shape)
            self.built = True
        else:
            self._check_kept_axes(input_shape)

        if isinstance(data, np.ndarray):
            mean, variance = np.mean(data, axis=self._reduce_axis), np.var(data, axis=self._reduce_axis)
        elif isinstance(data, torch.Tensor):
            x = data.detach()
            x = x if x.is_floating_point() else x.to(self.compute_dtype)
            mean, variance = _mean_var(x, self._reduce_axis)
        else:
            mean, variance = self._running_moments(batches)
        _assign(self.mean, mean)
        _assign(self.variance, variance)

    def _running_moments(self, batches):
        """Keras' combination of batch moments (exact for any batch sizes), in the compute dtype."""
        dtype, device = self.compute_dtype, self.mean.device
        shape = tuple(self.mean.shape)
        total_mean = torch.zeros(shape, dtype=dtype, device=device)
        total_var = torch.zeros(shape, dtype=dtype, device=device)
        total_count = 0
        for batch in batches:
            batch = torch.as_tensor(_extract_batch(batch), dtype=dtype, device=device)
            self._check_kept_axes(tuple(batch.shape), what="adapt() yielded a batch")
            batch_mean, batch_var = _mean_var(batch, self._reduce_axis)
            batch_count = math.prod(batch.shape[d] for d in self._reduce_axis) if self._reduce_axis else 1
            total_count += batch_count
            batch_weight = float(batch_count) / total_count
            existing_weight = 1.0 - batch_weight
            new_mean = total_mean * existing_weight + batch_mean * batch_weight
            total_var = ((total_var + (total_mean - new_mean) ** 2) * existing_weight
                         + (batch_var + (batch_mean - new_mean) ** 2) * batch_weight)
            total_mean = new_mean
        return total_mean, total_var

    def _check_kept_axes(self, shape: tuple, what: str = "adapt() received data") -> None:
        if len(shape) != len(self._build_input_shape) or any(
                shape[d] != self._build_input_shape[d] for d in self._keep_axis):
            raise ValueError(f"{self.__class__.__name__} ({self.name!r}): {what} of shape {shape}, incompatible with "
                             f"the build input shape {self._build_input_shape} on the kept axes {self._keep_axis}")

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "invert": self.invert,
            "mean": np.array(self.input_mean).tolist(),
            "variance": np.array(self.input_variance).tolist(),
        }


def _assign(weight: torch.Tensor, value) -> None:
    """Keras' `variable.assign`: the value (numpy or torch) cast to the weight's dtype and device."""
    with torch.no_grad():
        value = np.asarray(value) if isinstance(value, np.generic) else value
        weight.copy_(torch.as_tensor(value).reshape(weight.shape))


def _extract_batch(batch):
    """An `(x, y[, sample_weight])` tuple yields x, as in Keras."""
    return batch[0] if isinstance(batch, tuple) else batch


def _mean_var(x: torch.Tensor, dims: tuple):
    if not dims:
        return x, torch.zeros_like(x)
    var, mean = torch.var_mean(x, dim=dims, correction=0)
    return mean, var

__all__ = ["Normalization"]
