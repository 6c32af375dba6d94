"""convlab: exact NumPy convolutions, kernels and shape arithmetic for learning CNNs.

The fast ops live at the top level (``convlab.conv2d``), their readable loop twins in
:mod:`convlab.naive`, sizes and parameter counts in :mod:`convlab.shapes`, fixed
kernels in :mod:`convlab.kernels` and plots in :mod:`convlab.viz`.
"""

from . import kernels, naive, shapes
from ._tf import import_tensorflow
from .ops import (
    avg_pool2d,
    conv2d,
    conv2d_transpose,
    depthwise_conv2d,
    max_pool2d,
    separable_conv2d,
)
from .predict import numpy_predict

__version__ = "0.1.0"

# Modules with heavier imports (matplotlib, ipywidgets, nbformat) load on first use.
_LAZY = ("course", "data", "exercises", "summary", "train", "viz", "widgets")


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'convlab' has no attribute {name!r}")


__all__ = [
    "__version__",
    "avg_pool2d",
    "conv2d",
    "conv2d_transpose",
    "depthwise_conv2d",
    "import_tensorflow",
    "kernels",
    "max_pool2d",
    "naive",
    "numpy_predict",
    "separable_conv2d",
    "shapes",
    "course",
    "data",
    "exercises",
    "summary",
    "train",
    "viz",
    "widgets",
]
