"""The suite's tolerances and comparison: one table, kept in the package (`torchkeras_layers._tolerances`,
where `torchkeras_layers.testing.assert_equivalent` uses it too); the numbers and why they are what
they are are documented there."""

from torchkeras_layers._tolerances import (
                                           FORWARD,
                                           GRADIENT,
                                           STATE,
                                           TRAJECTORY_LOSS_ATOL_PER_STEP,
                                           TRAJECTORY_WEIGHT_ATOL_PER_STEP,
                                           assert_close,
                                           compare_arrays,
)

__all__ = ["FORWARD", "GRADIENT", "STATE", "TRAJECTORY_LOSS_ATOL_PER_STEP", "TRAJECTORY_WEIGHT_ATOL_PER_STEP",
           "assert_close", "compare_arrays"]
