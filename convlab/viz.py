"""Plots for images, kernels and feature maps.

Every function takes ``ax=None`` (or ``fig=None`` for grids), draws, and returns
the figure. With no axes given it makes a new :class:`matplotlib.figure.Figure`
that pyplot does not track, so a notebook shows it once (as the cell's value)
and nothing piles up in memory. Nothing here calls ``plt.show()`` or touches
global ``rcParams``.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure

from . import _checks

__all__ = ["show_feature_maps", "show_image", "show_kernel"]


def _axes(ax, figsize):
    if ax is not None:
        return ax.figure, ax
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def _symmetric_limit(values) -> float:
    limit = float(np.max(np.abs(values))) if np.size(values) else 0.0
    return limit if limit > 0 else 1.0


def _is_signed(values) -> bool:
    return bool(np.size(values)) and float(np.min(values)) < 0


def show_image(image, *, ax=None, title=None, cmap="gray"):
    """Show one image: ``(h, w)``, ``(h, w, 1)``, ``(h, w, 3)`` or a batch of one (NHWC).

    Grayscale values are shown on their own range (or ``[0, 1]`` / ``[0, 255]`` for
    colour, which matplotlib clips).

    Returns
    -------
    matplotlib.figure.Figure
    """
    array = np.asarray(image)
    if array.ndim == 4 and array.shape[0] == 1:
        array = array[0]
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise ValueError(
            "show_image: `image` must be (h, w), (h, w, 1), (h, w, 3) or (1, h, w, c); "
            f"received shape {np.shape(image)}."
        )
    _checks.as_array("show_image", "image", array, ndim=array.ndim, layout="")
    fig, ax = _axes(ax, (4, 4))
    if array.ndim == 3 and array.dtype.kind == "f":
        array = np.clip(array, 0, 1 if array.max() <= 1 else 255)
        if array.max() > 1:
            array = array.astype(np.uint8)
    ax.imshow(array, cmap=None if array.ndim == 3 else cmap)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return fig


def _number(value, decimals) -> str:
    """A kernel entry as short text: no trailing zeros, and never "-0"."""
    text = f"{value:.{decimals}f}"
    if "." in text:  # only decimals lose their trailing zeros: 10 stays 10
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def show_kernel(kernel, *, ax=None, title=None, decimals=2):
    """Show a 2-D kernel as a heat map with its numbers written in each cell.

    Signed kernels use a diverging colormap centred on zero.

    Returns
    -------
    matplotlib.figure.Figure
    """
    kernel = _checks.as_array(
        "show_kernel", "kernel", kernel, ndim=2, layout="(kernel_height, kernel_width)"
    ).astype(float)
    fig, ax = _axes(ax, (0.6 * kernel.shape[1] + 1, 0.6 * kernel.shape[0] + 1))
    limit = _symmetric_limit(kernel)
    if _is_signed(kernel):
        ax.imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
    else:
        ax.imshow(kernel, cmap="Greys", vmin=0, vmax=limit)
    for (row, col), value in np.ndenumerate(kernel):
        shade = abs(value) / limit
        ax.text(
            col,
            row,
            _number(value, decimals),
            ha="center",
            va="center",
            color="white" if shade > 0.6 else "black",
        )
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    return fig


def show_feature_maps(maps, *, fig=None, columns=8, max_maps=32, title=None, titles=None):
    """Show the channels of a feature map stack side by side.

    Parameters
    ----------
    maps : array_like, shape (1, h, w, c) or (h, w, c)
        One image's maps in NHWC layout; each channel becomes one panel.
    fig : matplotlib.figure.Figure, optional
        Figure to draw into (it is cleared); a new one when None.
    columns : int
        Panels per row.
    max_maps : int
        Show at most this many channels (the first ones).
    titles : sequence of str, optional
        One title per panel (default ``"0"``, ``"1"``, ...).

    Notes
    -----
    Signed maps (any negative value) use a diverging colormap with limits
    symmetric about zero, shared by all panels so that they compare; non-negative
    maps (after a ReLU, say) use a sequential one.

    Returns
    -------
    matplotlib.figure.Figure
    """
    array = np.asarray(maps)
    if array.ndim == 4:
        if array.shape[0] != 1:
            raise ValueError(
                "show_feature_maps: `maps` must hold one image, (1, h, w, c) or (h, w, c); "
                f"received shape {array.shape}. Pick one image: maps[i:i + 1]."
            )
        array = array[0]
    array = _checks.as_array(
        "show_feature_maps", "maps", array, ndim=3, layout="(h, w, channels)"
    ).astype(float)
    count = min(array.shape[2], max_maps)
    cols = max(1, min(columns, count))
    rows = math.ceil(count / cols)
    if fig is None:
        fig = Figure(figsize=(1.6 * cols, 1.6 * rows + (0.4 if title else 0)), layout="constrained")
    else:
        fig.clear()
    limit = _symmetric_limit(array[:, :, :count])
    signed = _is_signed(array[:, :, :count])
    style = (
        {"cmap": "RdBu_r", "vmin": -limit, "vmax": limit}
        if signed
        else {"cmap": "viridis", "vmin": 0, "vmax": limit}
    )
    axes = fig.subplots(rows, cols, squeeze=False)
    for index, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if index < count:
            image = ax.imshow(array[:, :, index], **style)
            ax.set_title(titles[index] if titles else str(index), fontsize=8)
    fig.colorbar(image, ax=axes, shrink=0.8)
    if title:
        fig.suptitle(title)
    return fig
