"""`Embedding`: integer ids -> rows of an `(input_dim, output_dim)` table, Keras' `ops.take`."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..base import Layer, build_on


def _positive_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


class Embedding(Layer):
    """Keras `Embedding(input_dim, output_dim)`, looked up with the fused `F.embedding`.

    Ids of any integer dtype are accepted; other dtypes (floats, bool) are cast to int32 as Keras does
    (floats truncate toward zero). Negative ids in `[-input_dim, 0)` count from the end, as Keras' TF
    `take` wraps them; ids outside `[-input_dim, input_dim)` raise a ValueError naming the layer, where
    Keras on CPU raises TensorFlow's InvalidArgumentError (the check runs in eager mode; compiled code
    wraps the ids without it). Like Keras the layer does not autocast: the output is cast to the
    compute dtype instead. `mask_zero=True`: the output mask is `inputs != 0`.

    LoRA (`lora_rank`): embeddings + (lora_alpha / lora_rank) * lora_embeddings_a @ lora_embeddings_b
    with the base table frozen. Keras 3.15's constructor `lora_alpha` is ignored (its build calls
    `enable_lora(rank)`); we honour it, as Dense does.
    """

    def __init__(
        self,
        input_dim,
        output_dim,
        embeddings_initializer="uniform",
        embeddings_regularizer=None,
        embeddings_constraint=None,
        mask_zero=False,
        weights=None,
        lora_rank=None,
        lora_alpha=None,
        quantization_config=None,
        input_length=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not _positive_int(input_dim):
            raise self._arg_error("input_dim", "must be a positive integer", input_dim)
        if not _positive_int(output_dim):
            raise self._arg_error("output_dim", "must be a positive integer", output_dim)
        if lora_rank is not None and not _positive_int(lora_rank):
            raise self._arg_error("lora_rank", "must be None or a positive integer", lora_rank)
        if quantization_config is not None:
            raise self._arg_error("quantization_config", "is not supported (quantized Embedding is out of scope)",
                                  quantization_config)
        # `input_length` is deprecated in Keras (a warning, then ignored).
        self.input_dim = input_dim
        self.output_dim = output_dim
        self._set_identifiers(embeddings_initializer=embeddings_initializer,
                              embeddings_regularizer=embeddings_regularizer,
                              embeddings_constraint=embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        self.autocast = False  # Keras: ids are not cast to the compute dtype; the output is
        self.lora_rank = lora_rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else lora_rank
        self.lora_enabled = False
        if weights is not None:
            self.build()
            self.set_weights(weights if isinstance(weights, list) and len(weights) == 1 else [weights])

    def build(self, input_shape=None):
        if self.built:
            return
        self.add_weight("embeddings", (self.input_dim, self.output_dim), self.embeddings_initializer,
                        regularizer=self.embeddings_regularizer, constraint=self.embeddings_constraint)
        self.built = True
        if self.lora_rank:
            self.enable_lora(self.lora_rank, self.lora_alpha)

    def enable_lora(self, rank, lora_alpha=None, a_initializer="he_uniform", b_initializer="zeros"):
        name = f"Embedding ({self.name!r})"
        if self.embeddings_constraint is not None:
            raise ValueError(f"{name}: LoRA is incompatible with `embeddings_constraint`; remove it to enable LoRA")
        if not self.built:
            raise ValueError(f"{name}: cannot enable LoRA on a layer that isn't yet built")
        if self.lora_enabled:
            raise ValueError(f"{name}: LoRA is already enabled; this can only be done once per layer")
        if not _positive_int(rank):
            raise self._arg_error("rank", "must be a positive integer", rank)
        with build_on(self.embeddings.device):
            self.add_weight("lora_embeddings_a", (self.input_dim, rank), a_initializer, dtype=torch.float32,
                            regularizer=self.embeddings_regularizer)
            self.add_weight("lora_embeddings_b", (rank, self.output_dim), b_initializer, dtype=torch.float32,
                            regularizer=self.embeddings_regularizer)
        self.embeddings.requires_grad_(False)
        self.lora_enabled = True
        self.lora_rank = rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else rank

    def _weight_trainable(self, info) -> bool:
        return not (self.lora_enabled and info.name == "embeddings")

    def effective_embeddings(self) -> torch.Tensor:
        """The table the layer looks up: the LoRA delta added (in the compute dtype) when enabled."""
        table = self.embeddings
        if not self.lora_enabled:
            return table
        delta = (self.lora_alpha / self.lora_rank) * (self.lora_embeddings_a @ self.lora_embeddings_b)
        return (table + delta.to(table.dtype)).to(self._output_dtype())

    def _output_dtype(self) -> torch.dtype:
        # A plain policy computes in the variables' dtype (so `.double()` works like a torch module).
        return self.compute_dtype if self.dtype_policy.is_mixed else self.embeddings.dtype

    def _ids(self, inputs: torch.Tensor) -> torch.Tensor:
        if inputs.dtype not in (torch.int32, torch.int64):
            inputs = inputs.to(torch.int32)  # Keras: `ops.cast(inputs, "int32")`
        if torch.compiler.is_compiling():
            return torch.where(inputs < 0, inputs + self.input_dim, inputs)
        if inputs.numel() == 0:
            return inputs
        low, high = torch.aminmax(inputs)
        if low < -self.input_dim or high >= self.input_dim:
            bad = low.item() if low < -self.input_dim else high.item()
            raise self._arg_error("inputs", f"must hold ids in [-{self.input_dim}, {self.input_dim}) "
                                  f"(input_dim={self.input_dim})", f"id {bad}")
        return torch.where(inputs < 0, inputs + self.input_dim, inputs) if low < 0 else inputs

    def forward(self, inputs):
        outputs = F.embedding(self._ids(inputs), self.effective_embeddings())
        outputs = outputs.to(self._output_dtype())
        return self.add_activity_loss(outputs)

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return inputs != 0

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.output_dim)

    def get_config(self):
        config = {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            **self._identifier_config("embeddings_initializer", "embeddings_regularizer"),
            "activity_regularizer": None,
            **self._identifier_config("embeddings_constraint"),
            "mask_zero": self.mask_zero,
            "quantization_config": None,
        }
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = super().get_config()["activity_regularizer"]
        if self.lora_rank:
            config["lora_rank"] = self.lora_rank
            config["lora_alpha"] = self.lora_alpha
        return config


__all__ = ["Embedding"]
