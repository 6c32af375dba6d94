import os

# The oracle is TensorFlow's reference CPU kernels, not its default oneDNN ones: oneDNN's
# conv2d returns uninitialised memory for some valid arguments (output width 1 with a
# width stride above 1; tests/test_tensorflow_bug.py pins the case). TensorFlow reads
# this variable once, when it is first imported, so it is set here, before any test
# imports it. It is for correctness only: benchmarks time TensorFlow as users run it.
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(scope="session")
def tf():
    """TensorFlow on its reference kernels, the oracle every op is checked against."""
    import tensorflow

    return tensorflow


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
