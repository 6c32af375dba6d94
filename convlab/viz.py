"""Plots for images, kernels and feature maps.

Every function takes ``ax=None`` (or ``fig=None`` for grids), draws, and returns
the figure. With no axes given it makes a new :class:`matplotlib.figure.Figure`
that pyplot does not track, so a notebook shows it once (as the cell's value)
and nothing piles up in memory. Nothing here calls ``plt.show()`` or touches
global ``rcParams``.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from matplotlib.figure import Figure

from . import _checks

__all__ = ["response_style", "show_feature_maps", "show_image", "show_kernel", "show_response"]


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


def show_kernel(kernel, *, ax=None, title=None, decimals=2, limit=None):
    """Show a 2-D kernel as a heat map with its numbers written in each cell.

    Colours are diverging and centred on zero (red positive, blue negative, white
    zero) for every kernel, signed or not. ``limit`` fixes the
    colour scale to ``[-limit, limit]`` (so that several kernels share one scale);
    ``decimals=None`` leaves the numbers out (for kernels drawn small).

    Returns
    -------
    matplotlib.figure.Figure
    """
    kernel = _checks.as_array(
        "show_kernel", "kernel", kernel, ndim=2, layout="(kernel_height, kernel_width)"
    ).astype(float)
    if limit is not None and not (isinstance(limit, (int, float)) and limit > 0):
        raise ValueError(
            f"show_kernel: `limit` must be a positive number or None; received limit={limit!r}."
        )
    fig, ax = _axes(ax, (0.6 * kernel.shape[1] + 1, 0.6 * kernel.shape[0] + 1))
    limit = float(limit) if limit is not None else _symmetric_limit(kernel)
    # Always the same diverging scale, so every kernel reads alike: red positive,
    # blue negative, white zero, and the stronger the colour, the larger the weight.
    ax.imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
    if decimals is not None:
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
        panel = min(1.6, 10.0 / cols)  # at most 10 inches wide, so a notebook shows it whole
        fig = Figure(
            figsize=(panel * cols, panel * rows + (0.4 if title else 0)), layout="constrained"
        )
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
            if titles or fig.get_figwidth() / cols >= 0.9:  # numbers only where they fit
                ax.set_title(titles[index] if titles else str(index), fontsize=8)
    fig.colorbar(image, ax=axes, shrink=0.8)
    if title:
        fig.suptitle(title)
    return fig


class ResponseStyle(NamedTuple):
    """How a filtered image is best shown, decided by its kernel (see :func:`response_style`)."""

    kind: str  #: "clip", "signed" or "zero"
    sentence: str  #: what the kernel does, and how the picture shows it


def response_style(kernel, *, color=False) -> ResponseStyle:
    """How to show an image filtered by ``kernel``, and why, in one sentence.

    * weights summing to 1 (blur, sharpen, identity): flat areas keep their
      brightness, so the result is shown like a photo, clipped to [0, 1];
    * weights summing to 0 (edge detectors): flat areas become 0 and the response is
      signed, so a gray result is shown with a diverging map (red positive, blue
      negative) and a colour result as ``|response|`` scaled to its maximum;
    * any other sum scales the brightness by that sum; shown clipped to [0, 1].

    The sum is taken from the exact weights, not from rounded text.

    Examples
    --------
    >>> response_style(np.full((3, 3), 1 / 9)).sentence
    'weights sum to 1: flat areas keep their brightness; shown clipped to [0, 1]'
    >>> response_style(np.zeros((3, 3))).kind
    'zero'
    """
    kernel = _checks.as_array(
        "response_style", "kernel", kernel, ndim=2, layout="(kernel_height, kernel_width)"
    ).astype(np.float64)
    with np.errstate(over="ignore", invalid="ignore"):  # huge weights: the sum may be inf
        total = float(kernel.sum())
    scale = max(float(np.abs(kernel).max()), 1.0)
    if not np.any(kernel):
        return ResponseStyle("zero", "all weights are 0: the output is 0 everywhere (black)")
    if abs(total - 1) <= 1e-9 * scale:
        return ResponseStyle(
            "clip", "weights sum to 1: flat areas keep their brightness; shown clipped to [0, 1]"
        )
    if abs(total) <= 1e-9 * scale:
        shown = (
            "shown as |response|: bright where the response is strong"
            if color
            else "shown signed: red positive, blue negative, white 0"
        )
        return ResponseStyle(
            "signed", f"weights sum to 0: flat areas become 0, edges remain; {shown}"
        )
    return ResponseStyle(
        "clip",
        f"weights sum to {total:.4g}: flat areas become {total:.4g} times as bright; "
        "shown clipped to [0, 1]",
    )


def show_response(response, kernel, *, ax=None, title=None):
    """Show an image filtered by ``kernel`` the way :func:`response_style` says.

    ``response`` is ``(h, w)``, ``(h, w, 1)`` or ``(h, w, 3)``. Signed responses are
    scaled to the 99th percentile of their magnitude (so a few extreme pixels, often
    at a zero-padded border, do not wash out the rest); non-finite values (an
    overflow) are shown as the largest finite value of their sign.

    Returns
    -------
    matplotlib.figure.Figure
    """
    array = np.asarray(response, dtype=np.float64)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    color = array.ndim == 3
    style = response_style(kernel, color=color)
    array = np.nan_to_num(
        array, nan=0.0, posinf=np.finfo(np.float64).max, neginf=-np.finfo(np.float64).max
    )
    fig, ax = _axes(ax, (4, 4))
    if style.kind == "signed":
        # Scale to the 99th percentile of |response|: a few extreme pixels (often at the
        # zero-padded border) would otherwise wash out everything else.
        limit = _symmetric_limit(np.percentile(np.abs(array), 99))
        if color:
            ax.imshow(np.clip(np.abs(array) / limit, 0, 1))
        else:
            ax.imshow(array, cmap="RdBu_r", vmin=-limit, vmax=limit)
    else:
        ax.imshow(np.clip(array, 0, 1), cmap=None if color else "gray", vmin=0, vmax=1)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return fig
