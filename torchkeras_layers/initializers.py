"""Keras initializers with Keras' fan rules, producing torch tensors.

Initializers always receive the **Keras** weight shape (e.g. a Conv2D kernel as
``(kh, kw, in/groups, filters)``), so `fan_in`/`fan_out` are computed exactly as Keras computes them,
whatever layout the layer stores the tensor in. The distributions match Keras; the random streams do
not (and cannot): weights are copied between frameworks, never re-drawn.
"""

from __future__ import annotations

import math

import torch

from ._serialization import KerasObject, registry, resolve, serialize as _serialize

__all__ = [
    "Initializer", "Zeros", "Ones", "Constant", "Identity", "RandomNormal", "RandomUniform",
    "TruncatedNormal", "VarianceScaling", "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal",
    "LecunUniform", "LecunNormal", "Orthogonal", "compute_fans", "get", "serialize",
]


def compute_fans(shape, input_axes=None, output_axes=None) -> tuple[int, int]:
    """Keras' `compute_fans`: the last axis is fan-out, the one before fan-in, the rest receptive field."""
    shape = tuple(shape)
    if input_axes is not None and output_axes is not None:
        return math.prod(shape[a] for a in input_axes), math.prod(shape[a] for a in output_axes)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


class Initializer(KerasObject):
    keras_module = "keras.initializers"

    def __call__(self, shape, dtype=torch.float32, device=None) -> torch.Tensor:
        raise NotImplementedError


class Zeros(Initializer):
    def __call__(self, shape, dtype=torch.float32, device=None):
        return torch.zeros(shape, dtype=dtype, device=device)


class Ones(Initializer):
    def __call__(self, shape, dtype=torch.float32, device=None):
        return torch.ones(shape, dtype=dtype, device=device)


class Constant(Initializer):
    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=torch.float32, device=None):
        # Keras: cast(value) * ones(shape), so a sequence value broadcasts along the weight's shape.
        value = torch.as_tensor(self.value, dtype=dtype, device=device)
        try:
            return torch.broadcast_to(value, tuple(shape)).clone()
        except RuntimeError:
            raise ValueError(f"Constant initializer: a value of shape {tuple(value.shape)} does not broadcast to "
                             f"the weight's shape {tuple(shape)}") from None

    def get_config(self):
        return {"value": self.value}


class Identity(Initializer):
    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=torch.float32, device=None):
        if len(shape) != 2:
            raise ValueError(f"Identity initializer can only be used for 2D matrices; received shape={tuple(shape)}")
        return self.gain * torch.eye(*shape, dtype=dtype, device=device)

    def get_config(self):
        # Keras 3.15's Identity.get_config() is {} (it drops `gain`); emit gain only when it matters.
        return {} if self.gain == 1.0 else {"gain": self.gain}


class RandomInitializer(Initializer):
    def __init__(self, seed=None):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError(f"`seed` argument should be an int or None; received seed={seed!r}")
        self.seed = seed

    def generator(self, device) -> torch.Generator | None:
        if self.seed is None:
            return None
        gen = torch.Generator(device=device or "cpu")
        gen.manual_seed(self.seed)
        return gen

    def _draw(self, kind, shape, dtype, device, a, b):
        """Draw in float32 or float64 on CPU with the seeded generator, then move and cast."""
        work = torch.float64 if dtype == torch.float64 else torch.float32
        out = torch.empty(shape, dtype=work, device="cpu")  # also inside a `with torch.device(...)` build
        gen = self.generator("cpu")
        if kind == "uniform":
            out.uniform_(a, b, generator=gen)
        elif kind == "normal":
            out.normal_(a, b, generator=gen)
        else:  # truncated normal at two standard deviations, like Keras
            torch.nn.init.trunc_normal_(out, a, b, a - 2 * b, a + 2 * b, generator=gen)
        return out.to(device=device, dtype=dtype)

    def get_config(self):
        return {"seed": self.seed}


class RandomNormal(RandomInitializer):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=torch.float32, device=None):
        return self._draw("normal", shape, dtype, device, self.mean, self.stddev)

    def get_config(self):
        return {"seed": self.seed, "mean": self.mean, "stddev": self.stddev}


class TruncatedNormal(RandomNormal):
    def __call__(self, shape, dtype=torch.float32, device=None):
        return self._draw("truncated", shape, dtype, device, self.mean, self.stddev)


class RandomUniform(RandomInitializer):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape, dtype=torch.float32, device=None):
        return self._draw("uniform", shape, dtype, device, self.minval, self.maxval)

    def get_config(self):
        return {"seed": self.seed, "minval": self.minval, "maxval": self.maxval}


class VarianceScaling(RandomInitializer):
    _MODES = ("fan_in", "fan_out", "fan_avg")
    _DISTRIBUTIONS = ("uniform", "truncated_normal", "untruncated_normal")

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None,
                 input_axes=None, output_axes=None):
        super().__init__(seed)
        if scale <= 0.0:
            raise ValueError(f"Argument `scale` must be positive float. Received: scale={scale}")
        if mode not in self._MODES:
            raise ValueError(f"Invalid `mode` argument: expected one of {self._MODES}. Received: mode={mode}")
        distribution = distribution.lower()
        distribution = "truncated_normal" if distribution == "normal" else distribution
        if distribution not in self._DISTRIBUTIONS:
            raise ValueError(
                f"Invalid `distribution` argument: expected one of {self._DISTRIBUTIONS}. "
                f"Received: distribution={distribution}"
            )
        self.scale, self.mode, self.distribution = scale, mode, distribution
        self.input_axes, self.output_axes = input_axes, output_axes

    def __call__(self, shape, dtype=torch.float32, device=None):
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        scale = self.scale / max(1.0, fan)
        if self.distribution == "truncated_normal":
            # 0.8796... is the stddev of a standard normal truncated to [-2, 2].
            return self._draw("truncated", shape, dtype, device, 0.0, math.sqrt(scale) / 0.87962566103423978)
        if self.distribution == "untruncated_normal":
            return self._draw("normal", shape, dtype, device, 0.0, math.sqrt(scale))
        limit = math.sqrt(3.0 * scale)
        return self._draw("uniform", shape, dtype, device, -limit, limit)

    def get_config(self):
        return {"seed": self.seed, "scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "input_axes": self.input_axes, "output_axes": self.output_axes}


def _preset(scale: float, mode: str, distribution: str, doc: str):
    class Preset(VarianceScaling):
        __doc__ = doc

        def __init__(self, seed=None, input_axes=None, output_axes=None):
            super().__init__(scale, mode, distribution, seed, input_axes, output_axes)

        def get_config(self):
            return {"seed": self.seed, "input_axes": self.input_axes, "output_axes": self.output_axes}

    return Preset


GlorotUniform = type("GlorotUniform", (_preset(1.0, "fan_avg", "uniform", "Glorot (Xavier) uniform."),), {})
GlorotNormal = type("GlorotNormal", (_preset(1.0, "fan_avg", "truncated_normal", "Glorot (Xavier) normal."),), {})
HeUniform = type("HeUniform", (_preset(2.0, "fan_in", "uniform", "He (Kaiming) uniform."),), {})
HeNormal = type("HeNormal", (_preset(2.0, "fan_in", "truncated_normal", "He (Kaiming) normal."),), {})
LecunUniform = type("LecunUniform", (_preset(1.0, "fan_in", "uniform", "LeCun uniform."),), {})
LecunNormal = type("LecunNormal", (_preset(1.0, "fan_in", "truncated_normal", "LeCun normal."),), {})


class Orthogonal(RandomInitializer):
    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape, dtype=torch.float32, device=None):
        if len(shape) < 2:
            raise ValueError(f"The tensor to initialize must be at least two-dimensional. Received: shape={tuple(shape)}")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        work = torch.float64 if dtype == torch.float64 else torch.float32
        a = self._draw("normal", (max(rows, cols), min(rows, cols)), work, None, 0.0, 1.0)
        q, r = torch.linalg.qr(a)
        q = q * torch.sign(torch.diagonal(r))
        if rows < cols:
            q = q.T
        return (self.gain * q.reshape(shape)).to(device=device, dtype=dtype)

    def get_config(self):
        return {"seed": self.seed, "gain": self.gain}


_TABLE = registry(
    Zeros, Ones, Constant, Identity, RandomNormal, RandomUniform, TruncatedNormal, VarianceScaling,
    GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform, LecunNormal, Orthogonal,
    aliases={"IdentityInitializer": Identity, "OrthogonalInitializer": Orthogonal, "normal": RandomNormal,
             "uniform": RandomUniform, "one": Ones, "zero": Zeros},
)


def get(identifier):
    """Keras' `initializers.get`: a name, a config dict, an Initializer, or a callable(shape, dtype)."""
    return resolve(identifier, _TABLE, Initializer, "initializer")


serialize = _serialize
