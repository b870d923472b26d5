from functools import reduce
import operator

from .base_merge import Merge


class Add(Merge):
    """Keras `Add`: element-wise sum of a list of inputs (masks do not change the values)."""

    def _merge(self, tensors, masks):
        return reduce(operator.add, tensors)

__all__ = ["Add"]
