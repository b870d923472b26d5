"""What LayerNormalization and GroupNormalization share with Keras' versions, which set `autocast = False`."""

from __future__ import annotations

import torch


class UncastInputs:
    """Under a mixed policy the inputs reach `forward` uncast (float32 values beyond float16's range stay
    finite), are normalised in float32 or wider, and the output is cast to the compute dtype, as Keras'
    `ops.cast(outputs, self.compute_dtype)`. Plain policies keep the base layer's input rule (the weights'
    dtype, so `.double()` works as in torch). Put before `Layer` in the bases."""

    def _find_input_dtype(self) -> torch.dtype | None:
        if self.dtype_policy.is_mixed:
            return None
        return super()._find_input_dtype()

    def _output_dtype(self, inputs: torch.Tensor) -> torch.dtype:
        return self.compute_dtype if self.dtype_policy.is_mixed else inputs.dtype
