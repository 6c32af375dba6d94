"""The comparison helper must be able to fail, or every oracle test passes vacuously."""

import numpy as np
import pytest

from oracle import assert_matches


def test_passes_on_equal_arrays():
    assert_matches(np.ones((2, 3)), np.ones((2, 3)))


def test_fails_on_wrong_values():
    with pytest.raises(AssertionError):
        assert_matches(np.ones((2, 3)), np.ones((2, 3)) * 1.001)


def test_fails_on_wrong_shape():
    with pytest.raises(AssertionError, match="shape"):
        assert_matches(np.ones((2, 3)), np.ones((3, 2)))


def test_fails_on_a_single_wrong_border_cell():
    expected = np.zeros((1, 5, 5, 1))
    actual = expected.copy()
    actual[0, 4, 4, 0] = 1e-3
    with pytest.raises(AssertionError):
        assert_matches(actual, expected)
