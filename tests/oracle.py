"""One helper that compares convlab's output with a reference, asserting shape and values."""

import numpy as np


def assert_matches(actual, expected, *, rtol=1e-5):
    """Assert equal shapes and values equal to float32 precision.

    The absolute tolerance scales with the largest reference value, since a float32
    sum of many products is only accurate relative to its magnitude.
    """
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, f"shape {actual.shape} != reference {expected.shape}"
    scale = float(np.max(np.abs(expected))) if expected.size else 0.0
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * max(scale, 1.0))


def randn(rng, shape):
    return rng.standard_normal(shape).astype(np.float32)
