import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(scope="session")
def tf():
    """TensorFlow, the oracle every op is checked against (`make test` installs it)."""
    import tensorflow

    return tensorflow


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
