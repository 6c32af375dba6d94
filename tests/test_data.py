"""load_mnist: the path argument, the environment variable, the Keras loader, and clear errors."""

import numpy as np
import pytest

from convlab import data


def write_mnist(path, n_train=12, n_test=5, **overrides):
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, n_train, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    arrays.update(overrides)
    arrays = {k: v for k, v in arrays.items() if v is not None}
    np.savez(path, **arrays)
    return arrays


def test_path_argument(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv(data.ENV_VAR, raising=False)
    arrays = write_mnist(tmp_path / "m.npz")
    mnist = data.load_mnist(tmp_path / "m.npz")
    (x_train, y_train), (x_test, y_test) = mnist
    assert x_train.shape == (12, 28, 28, 1) and x_train.dtype == np.float32
    assert x_test.shape == (5, 28, 28, 1) and y_test.dtype == np.int64
    assert 0 <= x_train.min() and x_train.max() <= 1
    np.testing.assert_allclose(x_train[..., 0] * 255, arrays["x_train"], atol=1e-4)
    np.testing.assert_array_equal(y_train, arrays["y_train"])
    assert mnist.source == "MNIST file m.npz: 12 train / 5 test images"  # no folder shown
    assert capsys.readouterr().out.strip() == mnist.source


def test_environment_variable(tmp_path, monkeypatch):
    write_mnist(tmp_path / "env.npz", n_train=3, n_test=2)
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path / "env.npz"))
    mnist = data.load_mnist(verbose=False)
    assert mnist.source.endswith("(from $CONVLAB_MNIST_PATH): 3 train / 2 test images")


def test_path_argument_wins_over_the_environment(tmp_path, monkeypatch):
    write_mnist(tmp_path / "a.npz", n_train=3)
    monkeypatch.setenv(data.ENV_VAR, str(tmp_path / "missing.npz"))
    assert len(data.load_mnist(tmp_path / "a.npz", verbose=False)[0][0]) == 3


def test_keras_loader_is_the_fallback(tmp_path, monkeypatch, tf):
    import keras

    monkeypatch.delenv(data.ENV_VAR, raising=False)
    arrays = write_mnist(tmp_path / "k.npz")
    fake = ((arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"]))
    monkeypatch.setattr(keras.datasets.mnist, "load_data", lambda: fake)
    mnist = data.load_mnist(verbose=False)
    assert (
        mnist.source == "MNIST, Keras cache (~/.keras/datasets/mnist.npz): 12 train / 5 test images"
    )


def test_offline_without_a_file_says_how_to_supply_one(monkeypatch, tf):
    import keras

    def offline():
        raise Exception("URL fetch failure: Name or service not known")

    monkeypatch.delenv(data.ENV_VAR, raising=False)
    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    with pytest.raises(data.MnistUnavailableError) as caught:
        data.load_mnist()
    message = str(caught.value)
    assert "could not be downloaded (Exception: URL fetch failure" in message
    assert "load_mnist('path/to/mnist.npz')" in message and "CONVLAB_MNIST_PATH=" in message


def test_missing_file(tmp_path):
    with pytest.raises(ValueError, match="load_mnist: no MNIST file at .*nope.npz"):
        data.load_mnist(tmp_path / "nope.npz")


def test_truncated_file(tmp_path):
    write_mnist(tmp_path / "full.npz")
    content = (tmp_path / "full.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(content[: len(content) // 2])
    with pytest.raises(
        ValueError, match=r"could not read .*cut.npz as an .npz file .* may be truncated"
    ):
        data.load_mnist(tmp_path / "cut.npz")


def test_not_an_npz(tmp_path):
    (tmp_path / "text.npz").write_text("hello")
    with pytest.raises(ValueError, match="could not read .*text.npz as an .npz file"):
        data.load_mnist(tmp_path / "text.npz")


def test_wrong_layout(tmp_path):
    write_mnist(tmp_path / "keys.npz", y_test=None)
    with pytest.raises(ValueError, match="is not in the Keras mnist.npz layout: it lacks y_test"):
        data.load_mnist(tmp_path / "keys.npz")
    write_mnist(tmp_path / "shape.npz", x_train=np.zeros((12, 32, 32), np.uint8))
    with pytest.raises(ValueError, match=r"has x_train of shape \(12, 32, 32\)"):
        data.load_mnist(tmp_path / "shape.npz")
    write_mnist(tmp_path / "labels.npz", y_test=np.full(5, 11, np.uint8))
    with pytest.raises(ValueError, match="labels outside 0..9"):
        data.load_mnist(tmp_path / "labels.npz")
