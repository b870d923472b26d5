from .base_merge import Merge


class Subtract(Merge):
    """Keras `Subtract`: `inputs[0] - inputs[1]`, exactly two inputs."""

    min_inputs = max_inputs = 2

    def _merge(self, tensors, masks):
        return tensors[0] - tensors[1]

__all__ = ["Subtract"]
