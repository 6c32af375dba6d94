"""A bug in TensorFlow's default CPU convolution, found with convlab as the reference.

With oneDNN (TensorFlow's default on x86 CPUs) ``tf.nn.conv2d`` returns uninitialised
memory for some valid arguments: an output one column wide with a width stride above 1.
The values are wrong by up to 1e38 and change from run to run. TensorFlow's reference
kernels (``TF_ENABLE_ONEDNN_OPTS=0``, which conftest.py sets for the whole test suite)
and convlab agree. This file pins the case both ways: convlab equals the reference
kernels, and a test marked ``tensorflow_bug`` records what oneDNN returns, in a
subprocess (TensorFlow reads the setting once per process).
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import convlab
from convlab import naive

from oracle import assert_matches

# x (3, 17, 4, 1), a 5x5 kernel with 2 filters, strides (1, 2), one cell of padding all round.
STRIDES = (1, 2)
PADDING = ((1, 1), (1, 1))

ONEDNN_SCRIPT = """
import json, os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "1"  # TensorFlow's default, made explicit
import numpy as np
import tensorflow as tf

data = np.load(sys.argv[1])
y = tf.nn.conv2d(data["x"], data["kernel"], strides={strides}, padding={padding})
np.save(sys.argv[2], y.numpy())
print(json.dumps({{"version": tf.__version__}}))
"""


def case():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 17, 4, 1)).astype(np.float32)
    kernel = rng.standard_normal((5, 5, 1, 2)).astype(np.float32)
    return x, kernel


def tf_args():
    return dict(strides=[1, *STRIDES, 1], padding=[[0, 0], *map(list, PADDING), [0, 0]])


def test_the_suite_runs_tensorflow_on_its_reference_kernels():
    assert os.environ["TF_ENABLE_ONEDNN_OPTS"] == "0"


def test_convlab_equals_tensorflows_reference_kernels_on_the_bug_case(tf):
    x, kernel = case()
    expected = tf.nn.conv2d(x, kernel, **tf_args()).numpy()
    assert expected.shape == (3, 15, 1, 2)
    np.testing.assert_array_equal(
        convlab.conv2d(x, kernel, strides=STRIDES, padding=PADDING), expected
    )
    assert_matches(naive.conv2d(x, kernel, strides=STRIDES, padding=PADDING), expected)


def onednn_conv2d(tmp_path):
    """TensorFlow's default (oneDNN) result for the case, from a fresh process."""
    x, kernel = case()
    inputs, output = tmp_path / "case.npz", tmp_path / "onednn.npy"
    np.savez(inputs, x=x, kernel=kernel)
    args = tf_args()
    script = ONEDNN_SCRIPT.format(strides=args["strides"], padding=args["padding"])
    result = subprocess.run(
        [sys.executable, "-c", script, str(inputs), str(output)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    version = json.loads(result.stdout.strip().splitlines()[-1])["version"]
    return np.load(output), version


@pytest.mark.tensorflow_bug
def test_onednn_returns_wrong_values_and_convlab_never_agrees_with_them(tf, tmp_path):
    x, kernel = case()
    reference = tf.nn.conv2d(x, kernel, **tf_args()).numpy()
    onednn, version = onednn_conv2d(tmp_path)
    ours = convlab.conv2d(x, kernel, strides=STRIDES, padding=PADDING)

    def close(a, b):
        return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-5, atol=1e-4))

    if close(onednn, reference):
        pytest.skip(
            f"TensorFlow {version}'s oneDNN conv2d now gives the right values for this case: "
            "the bug is fixed there; the reference-kernel setting in conftest.py may go."
        )
    assert close(ours, reference)
    assert not close(ours, onednn), (
        f"convlab now agrees with the wrong values of TensorFlow {version}'s oneDNN conv2d "
        "on the pinned case; it must equal the reference kernels instead."
    )
