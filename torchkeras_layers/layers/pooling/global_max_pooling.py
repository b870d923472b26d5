"""`GlobalMaxPooling1D/2D/3D`: the maximum over all spatial positions, per channel."""

from __future__ import annotations

from .base_global_pooling import BaseGlobalPooling


class _GlobalMaxPooling(BaseGlobalPooling, registered=False):
    def forward(self, inputs):
        if any(inputs.shape[axis] == 0 for axis in self._spatial_axes):  # Keras: "max of an empty tensor"
            raise ValueError(f"{self.__class__.__name__} ({self.name!r}): the pooled axes must not be empty; "
                             f"received input shape {tuple(inputs.shape)}")
        return inputs.amax(dim=self._spatial_axes, keepdim=self.keepdims)


class GlobalMaxPooling1D(_GlobalMaxPooling, built_at_init=True):
    """Keras `GlobalMaxPooling1D(data_format=None, keepdims=False)`; like Keras it takes no mask."""

    rank = 1


class GlobalMaxPooling2D(_GlobalMaxPooling, built_at_init=True):
    """Keras `GlobalMaxPooling2D(data_format=None, keepdims=False)`."""

    rank = 2


class GlobalMaxPooling3D(_GlobalMaxPooling, built_at_init=True):
    """Keras `GlobalMaxPooling3D(data_format=None, keepdims=False)`."""

    rank = 3


# Keras' aliases (the same classes).
GlobalMaxPool1D = GlobalMaxPooling1D
GlobalMaxPool2D = GlobalMaxPooling2D
GlobalMaxPool3D = GlobalMaxPooling3D

__all__ = [
    "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D", "GlobalMaxPool1D", "GlobalMaxPool2D",
    "GlobalMaxPool3D",
]
