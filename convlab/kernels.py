"""Fixed 3x3 kernels that need no training, and helpers to turn them into filters.

Each kernel is applied as a cross-correlation (as :func:`convlab.conv2d` and
``tf.nn.conv2d`` do): the matrix below is laid over the image as written.

=============  ================================================  ==========================
name           matrix                                            what it does
=============  ================================================  ==========================
identity       centre 1                                          returns the image
box_blur       all 1/9                                           mean of the neighbourhood
gaussian_blur  [1 2 1; 2 4 2; 1 2 1] / 16                        smooth, centre-weighted blur
sharpen        [0 -1 0; -1 5 -1; 0 -1 0]                         image plus its edges
edge           [-1 -1 -1; -1 8 -1; -1 -1 -1]                     Laplacian: 0 on flat areas
sobel_x        [-1 0 1; -2 0 2; -1 0 1]                          left-to-right brightening
sobel_y        [-1 -2 -1; 0 0 0; 1 2 1]                          top-to-bottom brightening
emboss         [-2 -1 0; -1 1 1; 0 1 2]                          relief lit from the top left
=============  ================================================  ==========================
"""

from __future__ import annotations

import numpy as np

from . import _checks

__all__ = ["as_filter", "get", "names", "per_channel"]

_KERNELS = {
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    "box_blur": [[1 / 9] * 3] * 3,
    "gaussian_blur": [[1 / 16, 2 / 16, 1 / 16], [2 / 16, 4 / 16, 2 / 16], [1 / 16, 2 / 16, 1 / 16]],
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "edge": [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]],
    "sobel_x": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "sobel_y": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "emboss": [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]],
}


def names() -> list[str]:
    """Names accepted by :func:`get`, in a teaching order.

    Examples
    --------
    >>> names()[:3]
    ['identity', 'box_blur', 'gaussian_blur']
    """
    return list(_KERNELS)


def get(name: str) -> np.ndarray:
    """A fresh float64 copy of the named 2-D kernel (safe to edit).

    Examples
    --------
    >>> get("sobel_x")
    array([[-1.,  0.,  1.],
           [-2.,  0.,  2.],
           [-1.,  0.,  1.]])
    """
    if not isinstance(name, str):
        raise TypeError(f"get: `name` must be a string; received name={name!r}.")
    try:
        return np.array(_KERNELS[name], dtype=np.float64)
    except KeyError:
        raise ValueError(
            f"get: unknown kernel name {name!r}; expected one of {', '.join(names())}."
        ) from None


def _kernel2d(fn: str, kernel):
    return _checks.as_array(fn, "kernel", kernel, ndim=2, layout="(kernel_height, kernel_width)")


def as_filter(kernel) -> np.ndarray:
    """A 2-D kernel as a one-channel filter of shape ``(kh, kw, 1, 1)`` for :func:`convlab.conv2d`.

    Examples
    --------
    >>> as_filter(get("edge")).shape
    (3, 3, 1, 1)
    """
    return _kernel2d("as_filter", kernel)[:, :, None, None].astype(np.float64)


def per_channel(kernel, channels: int = 3) -> np.ndarray:
    """A 2-D kernel applied to each channel separately: shape ``(kh, kw, channels, channels)``.

    The kernel sits on the channel diagonal and every cross-channel weight is 0,
    so colours never mix: a pure red pixel stays red under a per-channel blur.
    (A ``(kh, kw, 3, 3)`` filter with the kernel in *every* slot would add the three
    channels together and turn colours grey.)

    Examples
    --------
    >>> f = per_channel(get("box_blur"))
    >>> f.shape, f[1, 1, 0, 1], f[1, 1, 0, 0].round(3)
    ((3, 3, 3, 3), np.float64(0.0), np.float64(0.111))
    """
    kernel = _kernel2d("per_channel", kernel)
    if not _checks._is_int(channels):
        raise TypeError(f"per_channel: `channels` must be an int; received channels={channels!r}.")
    if channels < 1:
        raise ValueError(
            f"per_channel: `channels` must be a positive int; received channels={channels!r}."
        )
    return kernel[:, :, None, None] * np.eye(channels)
