"""Keras' LoRA on a layer's `kernel` (Dense, Conv*D, EinsumDense's MultiHeadAttention projections):
one implementation for every such layer."""

from __future__ import annotations

import torch

from .base import _inverse_permutation, build_on


class LoRAMixin:
    """Low-rank adaptation as Keras does it: the effective kernel is
    ``kernel + (lora_alpha / lora_rank) * lora_kernel_a @ lora_kernel_b`` with the base kernel frozen.
    `lora_kernel_a` has the Keras kernel shape with its last axis replaced by the rank, `lora_kernel_b` is
    `(rank, units)`; both float32 (as in Keras), initialised he_uniform and zeros. The host layer calls
    `_init_lora` in `__init__` and `_maybe_enable_lora` at the end of `build`."""

    def _init_lora(self, lora_rank, lora_alpha) -> None:
        if lora_rank is not None and (isinstance(lora_rank, bool) or not isinstance(lora_rank, int) or lora_rank <= 0):
            raise self._arg_error("lora_rank", "must be None or a positive integer", lora_rank)
        self.lora_rank = lora_rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else lora_rank
        self.lora_enabled = False

    def _maybe_enable_lora(self) -> None:
        if self.lora_rank:
            self.enable_lora(self.lora_rank, self.lora_alpha)

    def enable_lora(self, rank, lora_alpha=None, a_initializer="he_uniform", b_initializer="zeros"):
        name = f"{self.__class__.__name__} ({self.name!r})"
        if self.kernel_constraint is not None:
            raise ValueError(f"{name}: LoRA is incompatible with `kernel_constraint`; remove it to enable LoRA")
        if not self.built:
            raise ValueError(f"{name}: cannot enable LoRA on a layer that isn't yet built")
        if self.lora_enabled:
            raise ValueError(f"{name}: LoRA is already enabled; this can only be done once per layer")
        keras_kernel = self._weight_infos["kernel"].keras_shape
        with build_on(self.kernel.device):
            self.add_weight("lora_kernel_a", keras_kernel[:-1] + (rank,), a_initializer, dtype=torch.float32,
                            regularizer=self.kernel_regularizer)
            self.add_weight("lora_kernel_b", (rank, keras_kernel[-1]), b_initializer, dtype=torch.float32,
                            regularizer=self.kernel_regularizer)
        self.kernel.requires_grad_(False)
        self.lora_enabled = True
        self.lora_rank = rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else rank

    def _weight_trainable(self, info) -> bool:
        return not (self.lora_enabled and info.name == "kernel")

    def effective_kernel(self) -> torch.Tensor:
        """The kernel the layer computes with (read in the compute dtype), in its storage layout, LoRA
        delta added when enabled; every variable is read in the compute dtype first, as in Keras."""
        kernel = self.read_weight(self.kernel)
        if not self.lora_enabled:
            return kernel
        lora_a, lora_b = self.read_weight(self.lora_kernel_a), self.read_weight(self.lora_kernel_b)
        delta = (self.lora_alpha / self.lora_rank) * (lora_a @ lora_b)  # Keras layout
        to_keras = self._weight_infos["kernel"].to_keras
        if to_keras is not None:
            delta = delta.permute(*_inverse_permutation(to_keras))
        return kernel + delta.to(kernel.dtype)

    def _lora_config(self) -> dict:
        return {"lora_rank": self.lora_rank, "lora_alpha": self.lora_alpha} if self.lora_rank else {}
