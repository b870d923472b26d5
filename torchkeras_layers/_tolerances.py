"""Comparison tolerances, per dtype, and the one comparison function, in one place: the equivalence
suite (`equivalence_tests/tolerances.py` re-exports this module) and `torchkeras_layers.testing`
use them both.

An output element passes when ``|ours - ref| <= atol * scale + rtol * |ref|`` with
``scale = max(1, max|ref|)`` over the whole tensor (so tiny elements of a large-magnitude tensor are
judged against the tensor's magnitude, as floating-point error is; the scale is taken over the
finite elements). NaN against NaN and equal same-signed infinities are equal; NaN against a number,
an infinity against a finite value or the other infinity are failures.

Why these numbers:
- float32: both sides are correct float32 programs that differ only in kernel choice and summation
  order (oneDNN/Eigen in TensorFlow vs. MKL/ATen in torch; TF evaluates BN as x*inv + (beta - mean*inv),
  torch as (x - mean)*inv, ...). The error of a length-K reduction grows like K * eps32 (eps32 =
  1.19e-7) in the worst case; test shapes keep K <= ~100, so 1e-5 bounds the forward error with room.
  Gradients go through one more reduction of the same length (and a transposed product), so they get 5e-5.
- float64: summation order alone gives ~1e-13 (eps64 = 2.2e-16), but TensorFlow's float64
  transcendental kernels are not that accurate: `tf.nn.gelu` (via `tf.math.erfc`) on linspace(-3, 3)
  differs from math.erf's exact value by 5.0e-9, torch's by 1.1e-16. 1e-8 covers TF's error and is
  still 1000x tighter than float32, so a float32 rounding anywhere in our float64 path would fail it.
- float16 / bfloat16 (autocast checks): one rounding of the output dominates: 2^-11 and 2^-8
  relative, times a few for the accumulation inside the op.
- Training trajectories (20 optimizer steps, Keras Adam vs ours, equivalence_tests/test_models.py): each
  step differs only by float32 rounding, but Adam divides the first moment by sqrt(v), which is
  ill-conditioned for near-zero gradients (dead ReLU units), and each step's weight difference feeds the
  next forward pass, so the error grows with the step count. Bounds grow linearly per step; measured
  after 20 steps: weights 2.4e-6, loss 7e-6. torch.optim.Adam with Keras' eps misses them by 25-30x.
- Moving statistics after k training steps (BatchNormalization): each step is one update
  m*a + (1-m)*b of float32 values, so the error stays at the float32 level: rtol 1e-5 as the issue states.
"""

from __future__ import annotations

import numpy as np

FORWARD = {
    "float32": dict(rtol=1e-5, atol=1e-5),
    "float64": dict(rtol=1e-8, atol=1e-8),
    "float16": dict(rtol=5e-3, atol=5e-3),
    "bfloat16": dict(rtol=3e-2, atol=3e-2),
}
GRADIENT = {
    "float32": dict(rtol=5e-5, atol=5e-5),
    "float64": dict(rtol=1e-8, atol=1e-8),
}
STATE = {
    "float32": dict(rtol=1e-5, atol=1e-6),
    "float64": dict(rtol=1e-8, atol=1e-10),
}

TRAJECTORY_WEIGHT_ATOL_PER_STEP = 1e-6  # |w_ours - w_keras| <= steps * this
TRAJECTORY_LOSS_ATOL_PER_STEP = 2e-6  # |loss_ours - loss_keras| at step t <= (t+1) * this * max(1, |loss|)


def compare_arrays(ours, ref, rtol: float, atol: float) -> tuple[float, float]:
    """(max |ours - ref|, max |ours - ref| / (atol*scale + rtol*|ref|)): a ratio <= 1 is within tolerance.
    Different shapes give (inf, inf)."""
    ours = np.asarray(ours, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    if ours.shape != ref.shape:
        return float("inf"), float("inf")
    if ref.size == 0:
        return 0.0, 0.0
    same = (ours == ref) | (np.isnan(ours) & np.isnan(ref))  # `==` holds for equal infinities
    finite = np.isfinite(ref)
    scale = max(1.0, float(np.abs(ref[finite]).max()) if finite.any() else 1.0)
    with np.errstate(invalid="ignore"):
        diff = np.where(same, 0.0, np.abs(ours - ref))
        ratio = np.where(same, 0.0, diff / (atol * scale + rtol * np.abs(ref)))
    # NaN here: NaN on one side only, or an infinity against a finite value (inf / inf): failures.
    diff = np.where(np.isnan(diff), np.inf, diff)
    ratio = np.where(np.isnan(ratio), np.inf, ratio)
    return float(diff.max()), float(ratio.max())


def assert_close(ours, ref, tol: dict, what: str) -> float:
    """Assert closeness (`compare_arrays` within `tol`); returns the max absolute error for reports."""
    ours, ref = np.asarray(ours), np.asarray(ref)
    if ours.shape != ref.shape:
        raise AssertionError(f"{what}: shape mismatch: ours {ours.shape} vs reference {ref.shape}")
    diff, ratio = compare_arrays(ours, ref, **tol)
    if not ratio <= 1.0:
        with np.errstate(invalid="ignore"):
            elementwise = np.abs(ours.astype(np.float64) - ref.astype(np.float64))
        worst = np.unravel_index(np.nanargmax(np.where(np.isnan(elementwise), np.inf, elementwise)), ref.shape)
        raise AssertionError(
            f"{what}: max |diff| = {diff:.3e} exceeds tolerance {tol} (worst element at {worst}: ours "
            f"{ours[worst]!r}, reference {ref[worst]!r}; ratio {ratio:.2f})"
        )
    return diff
