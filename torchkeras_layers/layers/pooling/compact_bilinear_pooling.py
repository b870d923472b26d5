"""`CompactBilinearPooling`: Tensor Sketch approximation of bilinear pooling (not in Keras).

Definition. Fixed random hashes ``h_a: [C1] -> [d]``, ``h_b: [C2] -> [d]`` and signs
``s_a, s_b in {-1, +1}`` (drawn once at build from `seed`; non-trainable weights ``hash_a``,
``sign_a``, ``hash_b``, ``sign_b``). With the bilinear feature ``z = (1/N) sum_l a_l b_l^T`` of
`BilinearPooling`, the output is the Tensor Sketch of z:

    y_k = sum_{i, j : (h_a(i) + h_b(j)) mod d = k}  s_a(i) s_b(j) z_ij           (k = 0 .. d-1)

then the optional signed square root and L2 normalisation of `BilinearPooling`.
``<y(a, b), y(a', b')>`` is an unbiased estimate of ``<z, z'>``.

Source: Gao, Beijbom, Zhang & Darrell, "Compact Bilinear Pooling", CVPR 2016, §3.2 and Algorithm 2
(Tensor Sketch of Pham & Pagh, KDD 2013). With one input map, a and b are the same map sketched with
two independent hashes, as in the paper. The paper evaluates y as the circular convolution of two
count sketches by FFT; we scatter-add z into the d bins instead: the same y, but exact where the FFT
leaves round-off in empty bins (~1e-7 in float32), which the signed square root would amplify to
~3e-4. The cost is that of `BilinearPooling` (O(N C1 C2)); the gain is the d-dimensional output.
"""

from __future__ import annotations

import math

import torch

from ...ops.pooling import bilinear_normalize, tensor_sketch
from ..arguments import standardize_data_format
from ..base import Layer
from .bilinear_pooling import BilinearPooling


class CompactBilinearPooling(Layer, torch_only=True):
    """`CompactBilinearPooling(output_dim=8192, signed_sqrt=True, l2_normalize=True, epsilon=1e-12,
    seed=None, data_format=None)`: inputs as `BilinearPooling`, output ``(batch, output_dim)``."""

    def __init__(self, output_dim=8192, signed_sqrt=True, l2_normalize=True, epsilon=1e-12, seed=None,
                 data_format=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(output_dim, bool) or not isinstance(output_dim, int) or output_dim <= 0:
            raise self._arg_error("output_dim", "must be a positive integer", output_dim)
        if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float)) or not math.isfinite(epsilon) or epsilon <= 0:
            raise self._arg_error("epsilon", "must be a positive finite number", epsilon)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise self._arg_error("seed", "must be None or an integer", seed)
        self.output_dim = output_dim
        self.signed_sqrt = bool(signed_sqrt)
        self.l2_normalize = bool(l2_normalize)
        self.epsilon = float(epsilon)
        self.seed = seed
        self.data_format = standardize_data_format(self, data_format)

    _pair = BilinearPooling._pair

    def build(self, input_shape):
        shapes = input_shape if isinstance(input_shape, list) else [input_shape, input_shape]
        axis = -1 if self.data_format == "channels_last" else 1
        channels = [s[axis] for s in shapes]
        if any(c is None for c in channels):
            raise ValueError(f"CompactBilinearPooling ({self.name!r}): the channel axes must be known to build; got {input_shape}")
        generator = torch.Generator().manual_seed(self.seed if self.seed is not None else int(torch.randint(2**31, ())))
        for suffix, c in zip(("a", "b"), channels):
            bins = torch.randint(self.output_dim, (c,), generator=generator)
            signs = torch.randint(2, (c,), generator=generator) * 2.0 - 1.0
            self.add_weight(f"hash_{suffix}", (c,), _constant(bins), dtype=torch.int64, trainable=False)
            self.add_weight(f"sign_{suffix}", (c,), _constant(signs), trainable=False)

    def forward(self, inputs):
        a, b = self._pair(inputs)
        channel_axis = -1 if self.data_format == "channels_last" else 1
        for name, t in (("hash_a", a), ("hash_b", b)):
            expected = self._weight_infos[name].keras_shape[0]
            if t.shape[channel_axis] != expected:
                raise ValueError(f"CompactBilinearPooling ({self.name!r}): argument `inputs`: the layer was built for "
                                 f"{expected} channels in this map; received shape {tuple(t.shape)}")
        if self.data_format == "channels_last":  # (B, N, C): z = a^T b / N
            a, b = a.flatten(1, -2), b.flatten(1, -2)
            z = torch.bmm(a.transpose(1, 2), b) / a.shape[1]
        else:
            a, b = a.flatten(2), b.flatten(2)
            z = torch.bmm(a, b.transpose(1, 2)) / a.shape[2]
        y = tensor_sketch(z, self.hash_a, self.sign_a, self.hash_b, self.sign_b, self.output_dim)
        return bilinear_normalize(y, self.signed_sqrt, self.l2_normalize, self.epsilon)

    def compute_output_shape(self, input_shape):
        first = input_shape[0] if isinstance(input_shape, list) else input_shape
        return (first[0], self.output_dim)

    def get_config(self):
        return {**super().get_config(), "output_dim": self.output_dim, "signed_sqrt": self.signed_sqrt,
                "l2_normalize": self.l2_normalize, "epsilon": self.epsilon, "seed": self.seed,
                "data_format": self.data_format}


def _constant(value: torch.Tensor):
    """An initializer returning `value` (the drawn hashes/signs), in the requested dtype and device."""

    def initializer(shape, dtype=None, device=None):
        return value.to(dtype=dtype, device=device)

    return initializer

__all__ = ["CompactBilinearPooling"]
