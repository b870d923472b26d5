"""Keras dtype policies (`"float32"`, `"float64"`, `"mixed_float16"`, `"mixed_bfloat16"`, ...)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

_BY_NAME = {
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
    "float32": torch.float32,
    "float64": torch.float64,
    "int8": torch.int8,
    "int16": torch.int16,
    "int32": torch.int32,
    "int64": torch.int64,
    "uint8": torch.uint8,
    "bool": torch.bool,
}
_NAME_OF = {v: k for k, v in _BY_NAME.items()}


def to_torch_dtype(dtype, *, what: str = "dtype") -> torch.dtype:
    """A torch dtype from a Keras dtype name, a numpy dtype or a torch dtype."""
    if isinstance(dtype, torch.dtype):
        return dtype
    name = getattr(dtype, "name", None) or str(dtype)
    name = name.replace("torch.", "")
    if name in _BY_NAME:
        return _BY_NAME[name]
    raise ValueError(f"{what}: unknown dtype {dtype!r}; expected one of {sorted(_BY_NAME)}")


def dtype_name(dtype: torch.dtype) -> str:
    return _NAME_OF[dtype]


@dataclass(frozen=True)
class DTypePolicy:
    """Variable and compute dtype of a layer, serialised exactly as Keras 3 does."""

    name: str
    variable_dtype: torch.dtype
    compute_dtype: torch.dtype

    @property
    def is_mixed(self) -> bool:
        """Variables in one dtype, computation in another (`mixed_float16`, `mixed_bfloat16`)."""
        return self.compute_dtype != self.variable_dtype

    @classmethod
    def get(cls, spec=None, *, layer: str = "Layer") -> "DTypePolicy":
        """The policy for a layer's `dtype` argument; None is the global policy (`config.dtype_policy()`)."""
        if spec is None:
            return dtype_policy()
        if isinstance(spec, DTypePolicy):
            return spec
        if isinstance(spec, dict):  # Keras' serialised policy
            spec = spec.get("config", {}).get("name", spec.get("name"))
        if isinstance(spec, str) and spec.startswith("mixed_"):
            compute = to_torch_dtype(spec[len("mixed_"):], what=f"{layer}: argument `dtype`")
            return cls(spec, torch.float32, compute)
        try:
            dtype = to_torch_dtype(spec, what=f"{layer}: argument `dtype`")
        except ValueError:
            raise ValueError(
                f"{layer}: argument `dtype` must be a dtype name such as 'float32' or 'mixed_float16', "
                f"a torch dtype, or a Keras DTypePolicy config; received {spec!r}"
            ) from None
        return cls(dtype_name(dtype), dtype, dtype)

    def serialize(self) -> dict:
        return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": self.name}, "registered_name": None}


_default_policy = DTypePolicy("float32", torch.float32, torch.float32)


def set_dtype_policy(policy) -> None:
    """Keras' `keras.config.set_dtype_policy` (public as `tkl.config.set_dtype_policy`): the policy of every
    layer created later with `dtype=None` (a name such as "mixed_float16", a DTypePolicy or its Keras config)."""
    global _default_policy
    if not isinstance(policy, (str, dict, DTypePolicy)):
        raise ValueError(
            "set_dtype_policy: argument `policy` must be a dtype policy name such as 'mixed_float16' or a "
            f"DTypePolicy; received {policy!r}"
        )
    _default_policy = DTypePolicy.get(policy, layer="set_dtype_policy")


def dtype_policy() -> DTypePolicy:
    """Keras' `keras.config.dtype_policy()`: the current default policy (float32 unless set)."""
    return _default_policy
