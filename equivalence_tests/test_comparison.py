"""The one comparison function (`torchkeras_layers._tolerances.compare_arrays`, used by the suite and by
`torchkeras_layers.testing.assert_equivalent`) on the values where comparisons usually go wrong."""

import numpy as np
import pytest

from .tolerances import FORWARD, assert_close, compare_arrays

TOL = FORWARD["float32"]
INF, NAN = np.inf, np.nan


@pytest.mark.parametrize("values", [[INF, -INF, NAN, 1.0], [NAN, NAN], [-INF]], ids=str)
def test_equal_infinities_and_nan_against_nan_are_equal(values):
    assert compare_arrays(values, values, **TOL) == (0.0, 0.0)
    assert_close(np.array(values), np.array(values), TOL, "same values")


@pytest.mark.parametrize("ours,ref", [([INF], [1.0]), ([1.0], [INF]), ([-INF], [INF]), ([NAN], [1.0]), ([1.0], [NAN])],
                         ids=str)
def test_infinity_or_nan_against_anything_else_fails(ours, ref):
    assert compare_arrays(ours, ref, **TOL)[1] == INF
    with pytest.raises(AssertionError):
        assert_close(np.array(ours), np.array(ref), TOL, "mismatch")


def test_an_infinity_in_the_reference_does_not_widen_the_tolerance_of_the_rest():
    _, ratio = compare_arrays([INF, 1.0], [INF, 1.0 + 1e-3], **TOL)
    assert ratio > 1.0  # scale = max(1, max |finite ref|), not inf


def test_shape_mismatch_fails():
    assert compare_arrays(np.zeros(3), np.zeros(2), **TOL) == (INF, INF)
    with pytest.raises(AssertionError, match="shape mismatch"):
        assert_close(np.zeros(3), np.zeros(2), TOL, "shapes")
