"""`MultiHeadAttention`: Keras 3's layer, same weights and numbers, on `F.scaled_dot_product_attention`."""

from __future__ import annotations

import math

import numpy as np
import torch

from ... import constraints, initializers, regularizers
from ...ops import attention as attention_ops
from ..arguments import is_positive_int
from ..base import Layer
from .head_projection import HeadProjection


class MultiHeadAttention(Layer):
    """Keras `MultiHeadAttention` (Vaswani et al., 2017), with Keras' arguments, weights and masks.

    ``forward(query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
    attention_mask=None, return_attention_scores=False, training=None, use_causal_mask=False)``:
    the positional order is (query, value, key) and `key` defaults to `value`.

    Weights are Keras' EinsumDense sub-layers `query`, `key`, [`gate`], `value`, `attention_output`
    (kernels `(E, N, H)`, `(Ek, N, H)`, `(E, N, Hv)`, `(Ev, N, Hv)`, `(N, Hv, *out)`), in that
    `get_weights` order; `state_dict` keys are `query.kernel`, `query.bias`, ...

    Masks use Keras' polarity, **True = may attend** (as SDPA; the opposite of
    `nn.MultiheadAttention`). `query_mask`, `value_mask`, `key_mask`, `attention_mask` (any shape Keras
    broadcasts), the causal mask (top-left aligned) and the sliding window are AND-combined.

    Query rows with every key masked follow the Keras code path the same call would take: Keras'
    fused path (3-D inputs, `dropout == 0`, no scores requested) returns the mean of the value
    projections for them; its explicit path (dropout > 0, scores requested, or >= 4-D inputs) returns
    zero attention, so the output is `attention_output/bias`.

    Deviations (README, "MultiHeadAttention"): an explicit `query_mask=` is honoured (Keras ignores it
    and only uses a query tensor's implicit Keras mask); masks on >= 4-D inputs and a 4-D
    `attention_mask` combined with other masks broadcast correctly (Keras misaligns them);
    `flash_attention=False` excludes torch's flash kernel (in Keras it means "default").
    """

    supports_masking = True

    def __init__(
        self,
        num_heads,
        key_dim,
        value_dim=None,
        dropout=0.0,
        use_bias=True,
        output_shape=None,
        attention_axes=None,
        sliding_window=None,
        flash_attention=None,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        use_gate=False,
        seed=None,
        **kwargs,
    ):
        # Keras hands the activity regularizer to the sub-layers only; the layer's own output is not
        # regularized, so the base class gets none.
        super().__init__(**kwargs)
        if not is_positive_int(num_heads):
            raise self._arg_error("num_heads", "must be a positive integer", num_heads)
        if not is_positive_int(key_dim):
            raise self._arg_error("key_dim", "must be a positive integer", key_dim)
        if value_dim is not None and not is_positive_int(value_dim):
            raise self._arg_error("value_dim", "must be a positive integer or None", value_dim)
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0.0 <= dropout <= 1.0:
            raise self._arg_error("dropout", "must be a float between 0 and 1", dropout)
        if sliding_window is not None and not is_positive_int(sliding_window):
            raise self._arg_error("sliding_window", "must be None or a positive integer", sliding_window)
        if flash_attention not in (None, True, False):
            raise self._arg_error("flash_attention", "must be None, True or False", flash_attention)
        if flash_attention and dropout > 0.0:
            raise ValueError(
                f"{self.__class__.__name__}: argument `flash_attention`: Dropout is not supported when flash "
                f"attention is enabled. Please set dropout to 0.0 to use flash attention; received dropout={dropout!r}"
            )
        if flash_attention and value_dim is not None and value_dim != key_dim:
            raise self._arg_error(
                "flash_attention", f"needs value_dim == key_dim (torch's flash kernel has one head size); "
                f"key_dim={key_dim}, value_dim={value_dim}", flash_attention
            )
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise self._arg_error("seed", "must be None or an int", seed)
        self.num_heads = num_heads
        self.key_dim = key_dim
        self.value_dim = value_dim if value_dim else key_dim
        self.dropout = float(dropout)
        self.use_bias = bool(use_bias)
        self.use_gate = bool(use_gate)
        self._output_shape = self._standardize_output_shape(output_shape)
        self.attention_axes = self._standardize_attention_axes(attention_axes)
        self.sliding_window = sliding_window
        self.flash_attention = flash_attention
        self.seed = seed
        self.kernel_initializer = self._resolve(initializers.get, "kernel_initializer", kernel_initializer)
        self.bias_initializer = self._resolve(initializers.get, "bias_initializer", bias_initializer)
        self.kernel_regularizer = self._resolve(regularizers.get, "kernel_regularizer", kernel_regularizer)
        self.bias_regularizer = self._resolve(regularizers.get, "bias_regularizer", bias_regularizer)
        self.sublayer_activity_regularizer = self._resolve(
            regularizers.get, "activity_regularizer", activity_regularizer
        )
        self.kernel_constraint = self._resolve(constraints.get, "kernel_constraint", kernel_constraint)
        self.bias_constraint = self._resolve(constraints.get, "bias_constraint", bias_constraint)
        # 1/sqrt(key_dim), whatever value_dim is. Keras casts this Python float to the compute dtype
        # through a float32 tensor (TensorFlow's default for Python floats), so float64 layers use the
        # float32-rounded scale; so do we, to give the same float64 numbers (a 1e-8 relative change).
        self.scale = float(np.float32(1.0 / math.sqrt(float(key_dim))))
        self._generator: torch.Generator | None = None

    # ------------------------------------------------------------------ argument standardization
    def _standardize_output_shape(self, output_shape):
        if not output_shape:  # Keras: None, 0 and () all mean "the query's feature size"
            return None
        if isinstance(output_shape, int) and not isinstance(output_shape, bool):
            output_shape = (output_shape,)
        if not isinstance(output_shape, (tuple, list)) or not all(is_positive_int(d) for d in output_shape):
            raise self._arg_error(
                "output_shape", "must be None, a positive int, or a tuple/list of positive ints", output_shape
            )
        return tuple(output_shape)

    def _standardize_attention_axes(self, attention_axes):
        if attention_axes is None:
            return None
        if isinstance(attention_axes, int) and not isinstance(attention_axes, bool):
            return (attention_axes,)
        if not isinstance(attention_axes, (tuple, list)) or not attention_axes or not all(
            isinstance(a, int) and not isinstance(a, bool) for a in attention_axes
        ):
            raise self._arg_error(
                "attention_axes", "must be None, an int, or a non-empty list/tuple of ints", attention_axes
            )
        return attention_axes  # resolved to a tuple of non-negative axes at build, as in Keras

    # ------------------------------------------------------------------ build
    def _build_shapes(self, args, kwargs):
        query = args[0] if args else kwargs.get("query")
        value = args[1] if len(args) > 1 else kwargs.get("value")
        key = args[2] if len(args) > 2 else kwargs.get("key")
        for arg, tensor in (("query", query), ("value", value)):
            if not isinstance(tensor, torch.Tensor):
                raise self._arg_error(arg, "must be a torch.Tensor", type(tensor).__name__, exc=TypeError)
        shapes = (tuple(query.shape), tuple(value.shape))
        return shapes + (tuple(key.shape),) if isinstance(key, torch.Tensor) else shapes

    def build(self, query_shape, value_shape=None, key_shape=None):
        """Keras' `build(query_shape, value_shape, key_shape=None)`."""
        if value_shape is None:
            raise self._arg_error("value_shape", "is required: build(query_shape, value_shape, key_shape=None)", None)
        query_shape = tuple(query_shape)
        value_shape = tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        self._check_shapes(query_shape, value_shape, key_shape)
        rank = len(query_shape)
        axes = self._resolve_attention_axes(rank)
        if self.sliding_window is not None and len(axes) > 1:
            raise self._arg_error(
                "sliding_window", f"needs a single attention axis; attention_axes={axes}", self.sliding_window
            )
        for axis in range(1, rank - 1):
            known = None not in (query_shape[axis], value_shape[axis])
            if axis not in axes and known and query_shape[axis] != value_shape[axis]:
                raise self._arg_error(
                    "value", f"must match the query on the non-attention axis {axis} (attention_axes={axes})", value_shape
                )
        self.attention_axes = axes
        self._batch_axes = (0,) + tuple(a for a in range(1, rank - 1) if a not in axes)
        # Projected tensors are (B, *positions, N, H): axis `rank - 1` is the heads axis. This
        # permutation gives (*batch axes, N, *attention axes, H), the heads-first layout of SDPA.
        self._to_heads_first = self._batch_axes + (rank - 1,) + axes + (rank,)
        self._from_heads_first = tuple(self._to_heads_first.index(i) for i in range(rank + 1))
        self._built_shapes = (query_shape, value_shape, key_shape)

        heads_key, heads_value = (self.num_heads, self.key_dim), (self.num_heads, self.value_dim)
        output_dims = self._output_shape or (query_shape[-1],)
        # Created in Keras' order (query, key, gate, value, output): it is the get_weights order.
        self.query = self._projection("query", heads_key, query_shape)
        self.key = self._projection("key", heads_key, key_shape)
        self.gate = self._projection("gate", heads_value, query_shape, activation="sigmoid") if self.use_gate else None
        self.value = self._projection("value", heads_value, value_shape)
        self.attention_output = self._projection(
            "attention_output", output_dims, query_shape[:-1] + heads_value, contracted_dims=2
        )

    def _projection(self, name, output_dims, input_shape, contracted_dims=1, activation=None):
        layer = HeadProjection(
            output_dims,
            contracted_dims=contracted_dims,
            use_bias=self.use_bias,
            activation=activation,
            kernel_initializer=self.kernel_initializer,
            bias_initializer=self.bias_initializer,
            kernel_regularizer=self.kernel_regularizer,
            bias_regularizer=self.bias_regularizer,
            activity_regularizer=self.sublayer_activity_regularizer,
            kernel_constraint=self.kernel_constraint,
            bias_constraint=self.bias_constraint,
            name=name,
            dtype=self.dtype_policy,
            trainable=self.trainable,
        )
        layer.build(input_shape)  # on the device `build` runs on (see Layer._build_from_inputs)
        return layer

    def _check_shapes(self, query_shape, value_shape, key_shape):
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(
                f"{self.__class__.__name__}: arguments `value` and `key`: all dimensions of `value` and `key`, "
                f"except the last one, must be equal; received value_shape={value_shape} and key_shape={key_shape}"
            )
        if len(query_shape) < 3:
            raise self._arg_error("query", "must have rank >= 3: (batch, positions..., features)", query_shape)
        if len(value_shape) != len(query_shape):
            raise self._arg_error("value", f"must have the query's rank {len(query_shape)}", value_shape)
        for arg, shape in (("query", query_shape), ("value", value_shape), ("key", key_shape)):
            if shape[-1] is None:
                raise self._arg_error(arg, "must have a known last (feature) dimension to build", shape)

    def _resolve_attention_axes(self, rank):
        if self.attention_axes is None:
            return tuple(range(1, rank - 1))
        # Keras: a negative axis counts from the input's rank (-2 on a 4-D input is axis 2).
        axes = tuple(a + rank if a < 0 else a for a in self.attention_axes)
        if len(set(axes)) != len(axes) or not all(1 <= a <= rank - 2 for a in axes):
            raise self._arg_error(
                "attention_axes",
                f"must name distinct position axes of the rank-{rank} query: 1..{rank - 2} or {-(rank - 1)}..-2",
                self.attention_axes,
            )
        return axes

    # ------------------------------------------------------------------ forward
    def forward(
        self,
        query,
        value,
        key=None,
        query_mask=None,
        value_mask=None,
        key_mask=None,
        attention_mask=None,
        return_attention_scores=False,
        training=None,
        use_causal_mask=False,
    ):
        if key is None:
            key = value
        # Keras' projections promote integer/bool inputs to the kernels' dtype (einsum's type promotion).
        query, value, key = (t.to(self.compute_dtype) if isinstance(t, torch.Tensor) and not t.is_floating_point()
                             else t for t in (query, value, key))
        self._check_inputs(query, value, key)
        if return_attention_scores and self.flash_attention:
            raise ValueError(
                f"{self.__class__.__name__}: argument `return_attention_scores`: Returning attention scores is not "
                "supported when flash attention is enabled. Please disable flash attention to access attention scores."
            )
        training = self.resolve_training(training)
        dropout_p = self.dropout if training else 0.0
        # A seeded dropout draws its mask from the layer's generator, which SDPA cannot take.
        seeded = dropout_p > 0.0 and self.seed is not None and not torch.compiler.is_compiling()
        explicit = return_attention_scores or seeded
        mask = self._combined_mask(query, key, query_mask, value_mask, key_mask, attention_mask,
                                   use_causal_mask, materialize_causal=explicit)
        is_causal = bool(use_causal_mask) and mask is None and not explicit

        gate = self.gate(query) if self.gate is not None else None
        q = self._heads_first(self.query(query))
        k = self._heads_first(self.key(key))
        v = self._heads_first(self.value(value))
        scores = None
        if explicit:
            generator = self._seeded_generator(q.device) if seeded else None
            out, scores = attention_ops.attention_with_scores(
                q, k, v, mask, self.scale, dropout_p=dropout_p, generator=generator
            )
        else:
            # Keras' fused path (3-D inputs, no dropout, no scores) gives fully masked rows uniform weights.
            keras_fused_path = self.dropout == 0.0 and query.dim() == 3
            out = attention_ops.attention(
                q, k, v, mask, self.scale, is_causal=is_causal, dropout_p=dropout_p,
                fully_masked_rows="uniform" if keras_fused_path else "zero", flash_attention=self.flash_attention,
            )
        out = self._heads_last(out, query.shape)
        if gate is not None:
            out = out * gate
        output = self.attention_output(out)
        if return_attention_scores:
            return output, self._scores_layout(scores, query.shape, key.shape)
        return output

    def _check_inputs(self, query, value, key):
        built_q, built_v, built_k = self._built_shapes
        for arg, tensor, built in (("query", query, built_q), ("value", value, built_v), ("key", key, built_k)):
            if not isinstance(tensor, torch.Tensor):
                raise self._arg_error(arg, "must be a torch.Tensor", type(tensor).__name__, exc=TypeError)
            if tensor.dim() != len(built) or tensor.shape[-1] != built[-1]:
                raise self._arg_error(
                    arg, f"must have rank {len(built)} and last dimension {built[-1]} (the layer was built for "
                    f"{arg}_shape={built})", tuple(tensor.shape)
                )
        if value.shape[:-1] != key.shape[:-1]:
            raise ValueError(
                f"{self.__class__.__name__}: arguments `value` and `key`: all dimensions of `value` and `key`, "
                f"except the last one, must be equal; received value_shape={tuple(value.shape)} and "
                f"key_shape={tuple(key.shape)}"
            )
        for axis in self._batch_axes:
            if query.shape[axis] != value.shape[axis]:
                raise self._arg_error(
                    "value", f"must match the query on the batch/non-attention axis {axis} (query shape "
                    f"{tuple(query.shape)})", tuple(value.shape)
                )

    # ------------------------------------------------------------------ layouts
    def _heads_first(self, x):
        """(B, *positions, N, H) -> (B', N, L, H): a view for 3-D inputs (and whenever strides allow)."""
        n_batch, n_attn = len(self._batch_axes), len(self.attention_axes)
        x = x.permute(self._to_heads_first)
        if n_batch > 1:
            x = x.flatten(0, n_batch - 1)
        if n_attn > 1:
            x = x.flatten(2, 1 + n_attn)
        return x

    def _heads_last(self, x, query_shape):
        """Inverse of `_heads_first` for the attention output, with the query's positions."""
        if len(self.attention_axes) > 1:
            x = x.unflatten(2, [query_shape[a] for a in self.attention_axes])
        if len(self._batch_axes) > 1:
            x = x.unflatten(0, [query_shape[a] for a in self._batch_axes])
        return x.permute(self._from_heads_first)

    def _scores_layout(self, scores, query_shape, key_shape):
        """(B', N, Lq, Lk) -> Keras' scores layout (*batch axes, N, *query attention axes, *key attention axes)."""
        if len(self.attention_axes) > 1:
            scores = scores.unflatten(3, [key_shape[a] for a in self.attention_axes])
            scores = scores.unflatten(2, [query_shape[a] for a in self.attention_axes])
        if len(self._batch_axes) > 1:
            scores = scores.unflatten(0, [query_shape[a] for a in self._batch_axes])
        return scores

    # ------------------------------------------------------------------ masks
    def _combined_mask(self, query, key, query_mask, value_mask, key_mask, attention_mask, use_causal_mask,
                       materialize_causal):
        """Every mask source AND-combined, broadcastable to the heads-first scores (B', N, Lq, Lk); None if
        there is none, or if causal is the only one (then the kernel's own causal path is used)."""
        q_positions = self._positions_mask("query_mask", query_mask, query.shape)
        k_positions = attention_ops.merge_masks(
            self._positions_mask("value_mask", value_mask, key.shape),
            self._positions_mask("key_mask", key_mask, key.shape),
        )
        mask = attention_ops.merge_masks(
            q_positions[:, None, :, None] if q_positions is not None else None,
            k_positions[:, None, None, :] if k_positions is not None else None,
            self._user_attention_mask(attention_mask, query.shape, key.shape),
        )
        length_q = math.prod([query.shape[a] for a in self.attention_axes])
        length_k = math.prod([key.shape[a] for a in self.attention_axes])
        if use_causal_mask:
            if len(self.attention_axes) > 1:
                raise self._arg_error(
                    "use_causal_mask", f"needs a single attention axis; attention_axes={self.attention_axes}", True
                )
            if mask is not None or self.sliding_window is not None or materialize_causal:
                mask = attention_ops.merge_masks(mask, attention_ops.causal_mask(length_q, length_k, query.device))
        if self.sliding_window is not None:
            window = attention_ops.sliding_window_mask(length_q, length_k, self.sliding_window, query.device)
            mask = attention_ops.merge_masks(mask, window)
        return mask

    def _positions_mask(self, arg, mask, shape):
        """A (B, *positions) mask -> (B', L) in the heads-first order (None stays None)."""
        if mask is None:
            return None
        mask = _as_bool_tensor(self, arg, mask)
        positions = tuple(shape[:-1])
        if mask.dim() > len(positions) or not _broadcastable(mask.shape, positions):
            raise self._arg_error(arg, f"must be broadcastable to the input's positions {positions}", tuple(mask.shape))
        if mask.dim() < len(positions):
            mask = mask.reshape((1,) * (len(positions) - mask.dim()) + tuple(mask.shape))
        order = self._batch_axes + self.attention_axes
        n_batch = len(self._batch_axes)
        groups = [list(range(n_batch)), list(range(n_batch, len(order)))]
        full = [positions[a] for a in order]
        return attention_ops.flatten_mask_groups(mask.permute(order), groups, full)

    def _user_attention_mask(self, attention_mask, query_shape, key_shape):
        """Keras' `attention_mask` (B, *query attention axes, *key attention axes) or any shape Keras
        broadcasts (expanded at axis -2k-1) -> broadcastable to the heads-first scores."""
        if attention_mask is None:
            return None
        mask = _as_bool_tensor(self, "attention_mask", attention_mask)
        n_attn, n_batch = len(self.attention_axes), len(self._batch_axes)
        scores_shape = (
            [query_shape[a] for a in self._batch_axes] + [self.num_heads]
            + [query_shape[a] for a in self.attention_axes] + [key_shape[a] for a in self.attention_axes]
        )
        if not 2 * n_attn <= mask.dim() <= len(scores_shape):
            raise self._arg_error(
                "attention_mask", f"must have between {2 * n_attn} and {len(scores_shape)} dimensions, broadcastable "
                f"to the attention scores {tuple(scores_shape)}", tuple(mask.shape)
            )
        mask = attention_ops.expand_attention_mask(mask, len(scores_shape), n_attn)
        if not all([m in (1, s) for m, s in zip(mask.shape, scores_shape)]):
            raise self._arg_error(
                "attention_mask", f"must be broadcastable to the attention scores {tuple(scores_shape)} (each axis 1 or "
                "equal; missing leading axes are inserted before the heads axis)", tuple(attention_mask.shape)
            )
        groups = [
            list(range(n_batch)), [n_batch], list(range(n_batch + 1, n_batch + 1 + n_attn)),
            list(range(n_batch + 1 + n_attn, n_batch + 1 + 2 * n_attn)),
        ]
        return attention_ops.flatten_mask_groups(mask, groups, scores_shape)

    def _seeded_generator(self, device) -> torch.Generator:
        if self._generator is None or self._generator.device != device:
            self._generator = torch.Generator(device=device)
            self._generator.manual_seed(self.seed)
        return self._generator

    # ------------------------------------------------------------------ Keras surface
    @property
    def query_dense(self):
        return self.query

    @property
    def key_dense(self):
        return self.key

    @property
    def value_dense(self):
        return self.value

    @property
    def output_dense(self):
        return self.attention_output

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        query_shape = tuple(query_shape)
        if value_shape is not None:
            value_shape = tuple(value_shape)
            key_shape = value_shape if key_shape is None else tuple(key_shape)
            if value_shape[1:-1] != key_shape[1:-1]:
                raise ValueError(
                    f"{self.__class__.__name__}: arguments `value` and `key`: all dimensions of `value` and `key`, "
                    f"except the last one, must be equal; received value_shape={value_shape} and key_shape={key_shape}"
                )
        if self._output_shape:
            return query_shape[:-1] + self._output_shape
        return query_shape

    def compute_mask(self, query, mask=None):
        return mask  # the query's mask travels to the output, as Keras re-attaches it

    def get_config(self):
        return {
            **super().get_config(),
            "num_heads": self.num_heads,
            "key_dim": self.key_dim,
            "value_dim": self.value_dim,
            "dropout": self.dropout,
            "use_bias": self.use_bias,
            "use_gate": self.use_gate,
            "output_shape": self._output_shape,
            "attention_axes": self.attention_axes,
            "sliding_window": self.sliding_window,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.sublayer_activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "seed": self.seed,
        }


# ---------------------------------------------------------------------- helpers
def _broadcastable(shape, target) -> bool:
    """Right-aligned, each axis 1 or equal (Keras' Softmax mask rule): the mask never grows the target."""
    return len(shape) <= len(target) and all([m in (1, t) for m, t in zip(reversed(tuple(shape)), reversed(tuple(target)))])


def _as_bool_tensor(layer, arg, mask):
    if not isinstance(mask, torch.Tensor):
        raise layer._arg_error(arg, "must be a torch.Tensor (bool, or numbers where nonzero = attend)", type(mask).__name__,
                               exc=TypeError)
    return mask if mask.dtype == torch.bool else mask != 0  # Keras casts to bool: any nonzero value attends

__all__ = ["MultiHeadAttention"]
