"""`LPPooling1D/2D` and `L2Pooling1D/2D`: p-norm pooling (not in Keras).

Definition. For each window W (Keras' `pool_size`/`strides`/`padding` rules, TF SAME included) and
channel, ``y = (sum_{i in W} |x_i|^p)^(1/p)`` with ``p = norm_type >= 1``; padded cells are not part
of the window. p = 1 is sum pooling of |x|, p = 2 is L2 pooling, p -> inf tends to max pooling of |x|.

Source: Sermanet, Chintala & LeCun, "Convolutional neural networks applied to house numbers digit
classification", ICPR 2012 (LP pooling, eq. 1, with uniform weights); Bruna, Szlam & LeCun, "Signal
recovery from pooling representations", ICML 2014 (Lp pooling). Matches ``torch.nn.LPPool1d/2d`` for
even p; for odd p torch raises negative inputs to the power unsigned (we use |x|, as the papers do).
A window that is entirely zero gives 0 with a zero gradient (torch's LPPool gives a NaN gradient).
"""

from __future__ import annotations

import math

from ...ops.pooling import lp_pool
from .base_pooling import BasePooling


class _LPPooling(BasePooling, registered=False):
    def __init__(self, norm_type, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)
        if isinstance(norm_type, bool) or not isinstance(norm_type, (int, float)) or not math.isfinite(norm_type) or norm_type < 1:
            raise self._arg_error("norm_type", "must be a finite number >= 1 (the p of the p-norm)", norm_type)
        self.norm_type = norm_type

    def _pool(self, x, pads):
        return lp_pool(x, float(self.norm_type), self._op_pool_size, self._op_strides, pads)

    def get_config(self):
        return {**super().get_config(), "norm_type": self.norm_type}


class LPPooling1D(_LPPooling, torch_only=True):
    """`LPPooling1D(norm_type=2, pool_size=2, strides=None, padding="valid", data_format=None)`."""

    rank = 1

    def __init__(self, norm_type=2, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(norm_type, pool_size, strides, padding, data_format, **kwargs)


class LPPooling2D(_LPPooling, torch_only=True):
    """`LPPooling2D(norm_type=2, pool_size=(2, 2), strides=None, padding="valid", data_format=None)`."""

    rank = 2

    def __init__(self, norm_type=2, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(norm_type, pool_size, strides, padding, data_format, **kwargs)


class L2Pooling1D(LPPooling1D, torch_only=True):
    """`LPPooling1D` with p = 2: ``sqrt(sum_{i in W} x_i^2)``."""

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        if "norm_type" in kwargs:
            raise self._arg_error("norm_type", "is fixed to 2 (use LPPooling1D for another p)", kwargs["norm_type"], TypeError)
        super().__init__(2, pool_size, strides, padding, data_format, **kwargs)

    def get_config(self):
        config = super().get_config()
        del config["norm_type"]
        return config


class L2Pooling2D(LPPooling2D, torch_only=True):
    """`LPPooling2D` with p = 2: ``sqrt(sum_{i in W} x_i^2)``."""

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        if "norm_type" in kwargs:
            raise self._arg_error("norm_type", "is fixed to 2 (use LPPooling2D for another p)", kwargs["norm_type"], TypeError)
        super().__init__(2, pool_size, strides, padding, data_format, **kwargs)

    def get_config(self):
        config = super().get_config()
        del config["norm_type"]
        return config

__all__ = ["LPPooling1D", "LPPooling2D", "L2Pooling1D", "L2Pooling2D"]
