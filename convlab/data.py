"""Data for the course: a photograph that ships with matplotlib, and MNIST."""

from __future__ import annotations

import numpy as np

__all__ = ["ENV_VAR", "MnistData", "MnistUnavailableError", "load_mnist", "photo"]


def photo(*, size: int | None = 128, gray: bool = False) -> np.ndarray:
    """Grace Hopper's portrait (matplotlib's sample data) as floats in [0, 1].

    Parameters
    ----------
    size : int or None
        Shrink so that the longer side is about ``size`` pixels, by averaging
        blocks of pixels (None keeps the full 600 x 512).
    gray : bool
        Return the luminance ``(h, w)`` instead of RGB ``(h, w, 3)``.

    Returns
    -------
    ndarray of float32, shape (h, w, 3) or (h, w)

    Examples
    --------
    >>> photo().shape
    (150, 128, 3)
    >>> photo(size=None, gray=True).shape
    (600, 512)
    """
    from matplotlib import cbook
    from matplotlib import image as mpimg

    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 1):
        raise ValueError(f"photo: `size` must be a positive int or None; received size={size!r}.")
    picture = mpimg.imread(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    picture = picture.astype(np.float32) / 255.0
    if size is not None:
        factor = max(1, max(picture.shape[:2]) // size)
        h, w = (picture.shape[0] // factor) * factor, (picture.shape[1] // factor) * factor
        picture = (
            picture[:h, :w].reshape(h // factor, factor, w // factor, factor, 3).mean(axis=(1, 3))
        )
    if gray:
        picture = picture @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    return np.ascontiguousarray(picture, dtype=np.float32)


ENV_VAR = "CONVLAB_MNIST_PATH"
_KEYS = ("x_train", "y_train", "x_test", "y_test")


class MnistUnavailableError(RuntimeError):
    """MNIST is neither given as a file nor cached, and cannot be downloaded."""


class MnistData(tuple):
    """``((x_train, y_train), (x_test, y_test))``; ``.source`` says where it came from."""

    source: str

    def __new__(cls, train, test, source):
        data = super().__new__(cls, (train, test))
        data.source = source
        return data


def load_mnist(path=None, *, verbose=True) -> MnistData:
    """MNIST as NHWC float32 images in [0, 1] and int64 labels.

    Looks, in order, at ``path``; at the file named by the environment variable
    ``CONVLAB_MNIST_PATH``; then at ``keras.datasets.mnist.load_data()``, which uses
    its cache (``~/.keras/datasets/mnist.npz``) or downloads and checks the file.
    A file must be in the Keras ``mnist.npz`` layout: uint8 arrays ``x_train``
    (n, 28, 28), ``y_train`` (n,), ``x_test``, ``y_test``.

    Parameters
    ----------
    path : str or Path, optional
    verbose : bool
        Print where the data came from (also available as ``.source``): the file's name
        (not its folder) and the number of images.

    Returns
    -------
    MnistData
        Unpacks as ``(x_train, y_train), (x_test, y_test)``; images (n, 28, 28, 1).

    Raises
    ------
    MnistUnavailableError
        With no file, no cache and no network: says how to supply the file.
    ValueError
        If a file is missing, truncated or not in the expected layout.
    """
    import os
    from pathlib import Path

    if path is None and os.environ.get(ENV_VAR):
        path, origin = os.environ[ENV_VAR], f" (from ${ENV_VAR})"
    else:
        origin = ""
    if path is not None:
        arrays = _read_npz(path)
        # The file's name, not its folder: a notebook's stored output must not show the
        # machine's paths.
        where = f"MNIST file {Path(path).name}{origin}"
    else:
        arrays = _keras_mnist()
        where = "MNIST, Keras cache (~/.keras/datasets/mnist.npz)"
    (x_train, y_train), (x_test, y_test) = (
        (_images(arrays["x_train"]), arrays["y_train"].astype(np.int64)),
        (_images(arrays["x_test"]), arrays["y_test"].astype(np.int64)),
    )
    data = MnistData(
        (x_train, y_train),
        (x_test, y_test),
        f"{where}: {len(x_train):,} train / {len(x_test):,} test images",
    )
    if verbose:
        print(data.source)
    return data


def _images(x):
    return (x.astype(np.float32) / 255.0)[..., None]


def _read_npz(path):
    import zipfile
    from pathlib import Path

    path = Path(path).expanduser()
    fn = "load_mnist"
    if not path.is_file():
        raise ValueError(
            f"{fn}: no MNIST file at {path}; expected an mnist.npz in the Keras layout."
        )
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in _KEYS if key in npz.files}
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        # ValueError: NumPy read something that is not an .npz (it guesses "pickled data").
        raise ValueError(
            f"{fn}: could not read {path} as an .npz file ({error}); it may be truncated "
            "or not an mnist.npz. Download it again."
        ) from None
    missing = [key for key in _KEYS if key not in arrays]
    if missing:
        raise ValueError(
            f"{fn}: {path} is not in the Keras mnist.npz layout: it lacks "
            f"{', '.join(missing)}; expected arrays {', '.join(_KEYS)}."
        )
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.ndim != 3 or x.shape[1:] != (28, 28) or y.shape != (len(x),):
            raise ValueError(
                f"{fn}: {path} has x_{split} of shape {x.shape} and y_{split} of shape {y.shape}; "
                "expected (n, 28, 28) images and (n,) labels."
            )
        if y.size and (y.min() < 0 or y.max() > 9):
            raise ValueError(f"{fn}: {path} has y_{split} labels outside 0..9.")
    return arrays


def _keras_mnist():
    from ._tf import import_tensorflow

    import_tensorflow()  # quietly, before Keras loads it
    import keras

    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    except Exception as error:  # offline: keras raises whatever its download hit
        raise MnistUnavailableError(
            "load_mnist: MNIST is not in the Keras cache (~/.keras/datasets/mnist.npz) and "
            f"could not be downloaded ({type(error).__name__}: {error}). Supply the file "
            "yourself: copy mnist.npz (Keras layout) to ~/.keras/datasets/, or pass "
            f"load_mnist('path/to/mnist.npz'), or set {ENV_VAR}=/path/to/mnist.npz."
        ) from error
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
