"""Figures that draw how convolutions and pooling work, with TensorFlow's rules.

Each function draws one mechanism the course teaches and returns a
:class:`matplotlib.figure.Figure` that pyplot does not track (a notebook shows it
as the cell's value). Pass ``fig=`` to draw into an existing figure or subfigure
instead; it is cleared first. Cells carry their numbers where they are few.

All geometry comes from :mod:`convlab.shapes` (:func:`~convlab.shapes.windows`,
:func:`~convlab.shapes.transpose_stamps`, ...) and all values from convlab's own
ops, so a figure cannot disagree with the arithmetic or with the library. The
explorers in :mod:`convlab.widgets` draw their pictures with these same
functions. One colour per role throughout (see :mod:`convlab._draw`): input blue,
padding grey and hatched, the window and the cell it writes orange, output green,
kernel yellow, cells no window reads red-hatched.

=====================  =========  ==================================================
function               notebook   what it shows
=====================  =========  ==================================================
window_step            01         one window: products, their sum, the output cell
window_steps           01         a few steps in a row (small multiples)
conv_geometry          02         padding, stride, dilation, dropped cells, formula
conv_positions         02         every window position of one setting
same_padding_split     02         TensorFlow's SAME split: extra cell at the end
filter_volumes         03         a filter spans all channels; K filters, K maps
conv_flavours          03         standard, 1x1, depthwise, separable and their sizes
im2col                 03         patch matrix times reshaped kernel
pooling_windows        04         max / average windows, SAME's excluded padding
transposed_stamps      05         transposed convolution as overlapping stamps
receptive_field        05         which input cells one output sees through a stack
=====================  =========  ==================================================
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.colors import to_rgb

from . import _checks, _draw, ops, shapes
from ._draw import PALETTE

__all__ = [
    "conv_flavours",
    "conv_geometry",
    "conv_positions",
    "filter_volumes",
    "im2col",
    "pooling_windows",
    "receptive_field",
    "same_padding_split",
    "transposed_stamps",
    "window_step",
    "window_steps",
]


# --------------------------------------------------------------------------- helpers
def _grid2d(fn, name, value):
    array = _checks.as_array(fn, name, value, ndim=2, layout="(height, width)").astype(float)
    if min(array.shape) < 1:
        raise ValueError(
            f"{fn}: `{name}` must have at least one row and column; received shape {array.shape}."
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{fn}: `{name}` must hold finite numbers; received {array!r}.")
    return array


def _texts(values, decimals=2):
    return np.vectorize(lambda v: _draw.number(v, decimals), otypes=[object])(values)


def _position(fn, position, out_shape):
    if not (
        isinstance(position, (tuple, list))
        and len(position) == 2
        and all(_checks._is_int(p) for p in position)
    ):
        raise TypeError(
            f"{fn}: `position` must be a (row, col) pair of ints; received position={position!r}."
        )
    row, col = position
    if not (0 <= row < out_shape[0] and 0 <= col < out_shape[1]):
        raise ValueError(
            f"{fn}: `position` must lie in the {out_shape[0]}x{out_shape[1]} output; "
            f"received position={tuple(position)!r}."
        )
    return int(row), int(col)


def _correlate2d(image, kernel, strides=1, padding="valid", dilation_rate=1):
    """A 2-D image and kernel through convlab's own conv2d (what the figures show)."""
    return ops.conv2d(
        image[None, :, :, None],
        kernel[:, :, None, None],
        strides=strides,
        padding=padding,
        dilation_rate=dilation_rate,
    )[0, :, :, 0]


# ----------------------------------------------------------------- 01: one window step
def _window_frame(
    ax, image, kernel, output, position, strides, *, at, products, title, show_kernel
):
    """Input with one window, the kernel beside it, the output so far; returns the board width."""
    (h, w), (kh, kw) = image.shape, kernel.shape
    out_h, out_w = output.shape
    row, col = position
    x0, y0 = at
    top = y0 + 1.4
    roles = np.full((h, w), "input", dtype=object)
    rows = range(row * strides, row * strides + kh)
    cols = range(col * strides, col * strides + kw)
    for r in rows:
        for c in cols:
            roles[r, c] = "window"
    _draw.cells(ax, roles, at=(x0, top), values=_texts(image), gid="input")
    _draw.outline(ax, x0 + cols[0], top + rows[0], kw, kh, gid="window")
    # The kernel's weights written small in the corner of the cells they multiply.
    small = max(_draw.points_per_cell(ax) * 0.32, 6.0)
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            ax.text(
                x0 + c + 0.95,
                top + r + 0.97,
                _draw.number(kernel[i, j]),
                ha="right",
                va="bottom",
                fontsize=small,
                color=PALETTE["weight"],
                fontweight="bold",
                zorder=6,
                gid="weight-text",
            )
    _draw.caption(ax, x0, y0 + 0.6, title, fontsize=10)

    # The output beside the input, the kernel under the output (when asked for).
    ox = x0 + w + 2.5
    _draw.caption(ax, ox, top - 0.4, f"output {out_h}x{out_w}", fontsize=9)
    done = np.zeros((out_h, out_w), dtype=bool)
    done.flat[: row * out_w + col + 1] = True  # raster order: everything up to this window
    out_roles = np.where(done, "output", "empty").astype(object)
    out_roles[row, col] = "window"
    out_text = np.where(done, _texts(output), "").astype(object)
    _draw.cells(ax, out_roles, at=(ox, top), values=out_text, gid="output")
    _draw.arrow(
        ax,
        (x0 + cols[-1] + 1, top + rows[0] + kh / 2),
        (ox - 0.05, top + row + 0.5),  # to the row's edge: the orange cell is the one
        rad=-0.2,
        gid="arrow",
    )
    if show_kernel:
        ky = top + out_h + 1.2
        _draw.caption(ax, ox, ky - 0.4, "kernel", fontsize=9)
        _draw.cells(
            ax,
            np.full((kh, kw), "kernel", dtype=object),
            at=(ox, ky),
            values=_texts(kernel),
            gid="kernel",
        )
    if products:
        lines = []
        for i, r in enumerate(rows):
            terms = [
                f"{_draw.number(image[r, c])}×{_paren(kernel[i, j])}" for j, c in enumerate(cols)
            ]
            lines.append(" + ".join(terms))
        text = "\n+ ".join(lines) + f"\n= {_draw.number(output[row, col])}"
        _draw.caption(
            ax,
            x0,
            top + h + 0.6,
            text,
            fontsize=9,
            va="top",
            family="monospace",
            linespacing=1.4,
            gid="products",
        )


def _paren(value):
    text = _draw.number(value)
    return f"({text})" if text.startswith("-") else text


def _check_window_inputs(fn, image, kernel, strides):
    image = _grid2d(fn, "image", image)
    kernel = _grid2d(fn, "kernel", kernel)
    strides = shapes._int(fn, "strides", strides, minimum=1)
    if kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError(
            f"{fn}: the kernel {kernel.shape} must fit inside the image {image.shape}."
        )
    return image, kernel, strides


def window_step(image, kernel, position=(0, 0), *, strides=1, fig=None):
    """One step of a valid cross-correlation, drawn with its numbers.

    The input with the window at output ``position`` (the kernel's weights written in
    the corner of each cell they multiply), the kernel, the output computed so far,
    and below them the element-wise products and their sum, which lands in the
    orange output cell.

    Parameters
    ----------
    image : array_like, shape (h, w)
    kernel : array_like, shape (kh, kw)
    position : (row, col)
        The output cell whose window is drawn.
    strides : int
    fig : Figure or SubFigure, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = window_step(np.arange(16).reshape(4, 4), np.eye(2), (1, 2))
    >>> [t.get_text() for t in fig.axes[0].texts if t.get_gid() == "products"]
    ['6×1 + 7×0\\n+ 10×0 + 11×1\\n= 17']
    """
    fn = "window_step"
    image, kernel, strides = _check_window_inputs(fn, image, kernel, strides)
    output = _correlate2d(image, kernel, strides)
    position = _position(fn, position, output.shape)
    (h, w), (kh, kw) = image.shape, kernel.shape
    width = max(w + 2.5 + max(output.shape[1], kw) + 0.5, 12)
    height = 1.4 + max(h + 0.6 + (kh + 1) * 0.5, output.shape[0] + 1.2 + kh) + 0.3
    r0, c0 = position[0] * strides, position[1] * strides
    terms = " + ".join(
        f"{_draw.number(image[r0 + i, c0 + j])}×{_paren(kernel[i, j])}"
        for i in range(kh)
        for j in range(kw)
    )
    description = (
        f"window_step: {h}x{w} image, {kh}x{kw} kernel, stride {strides} -> "
        f"{output.shape[0]}x{output.shape[1]} output; output{list(position)} = {terms}"
        f" = {_draw.number(output[position])}"
    )
    fig, ax = _draw.board(fig, width, height, description=description)
    value = _draw.number(output[position])
    _window_frame(
        ax,
        image,
        kernel,
        output,
        position,
        strides,
        at=(0, 0),
        products=True,
        show_kernel=True,
        title=f"output{list(position)} = sum of the window's products = {value}",
    )
    return fig


def window_steps(image, kernel, positions=None, *, strides=1, fig=None):
    """Several steps of the same cross-correlation side by side (small multiples).

    ``positions`` defaults to the first three output cells in reading order and the
    last one. Each frame shows the window, and the output filled up to that step.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fn = "window_steps"
    image, kernel, strides = _check_window_inputs(fn, image, kernel, strides)
    output = _correlate2d(image, kernel, strides)
    out_h, out_w = output.shape
    if positions is None:
        cells = [(i // out_w, i % out_w) for i in range(out_h * out_w)]
        positions = cells if len(cells) <= 4 else [*cells[:3], cells[-1]]
    positions = [_position(fn, p, output.shape) for p in positions]
    (h, w) = image.shape
    frame_w, frame_h = w + 2.5 + out_w, 1.4 + max(h, out_h)
    columns = min(2, len(positions))
    rows = -(-len(positions) // columns)
    gap = 1.5
    shown = "; ".join(f"output{list(p)} = {_draw.number(output[p])}" for p in positions)
    description = (
        f"window_steps: {h}x{w} image, {kernel.shape[0]}x{kernel.shape[1]} kernel, stride "
        f"{strides} -> {out_h}x{out_w} output; {shown}"
    )
    fig, ax = _draw.board(
        fig, columns * (frame_w + gap) - gap + 0.3, rows * (frame_h + 0.8), description=description
    )
    for index, position in enumerate(positions):
        step = position[0] * out_w + position[1] + 1
        at = ((index % columns) * (frame_w + gap), (index // columns) * (frame_h + 0.8))
        _window_frame(
            ax,
            image,
            kernel,
            output,
            position,
            strides,
            at=at,
            products=False,
            show_kernel=False,
            title=f"step {step}: output{list(position)} = {_draw.number(output[position])}",
        )
    return fig


# ------------------------------------------------ 02: padding, stride, dilation, dropped
@dataclass(frozen=True)
class ConvLayout:
    """A square convolution's geometry along both axes, from :func:`convlab.shapes.windows`."""

    n: int
    kernel_size: int
    strides: int
    padding: object
    dilation_rate: int
    windows: shapes.Windows

    @classmethod
    def of(cls, n, kernel_size, strides=1, padding="valid", dilation_rate=1):
        found = shapes.windows(
            n, kernel_size, strides=strides, padding=padding, dilation_rate=dilation_rate
        )
        return cls(n, kernel_size, strides, padding, dilation_rate, found)

    @property
    def out(self) -> int:
        return len(self.windows.taps)

    @property
    def padded(self) -> int:
        return self.windows.padded

    def roles(self, position=None):
        """Roles of the padded grid's cells, with the window of ``position`` marked."""
        w = self.windows
        roles = np.full((w.padded, w.padded), "padding", dtype=object)
        roles[w.before : w.before + self.n, w.before : w.before + self.n] = "input"
        if position is not None:
            for r in w.taps[position[0]]:
                for c in w.taps[position[1]]:
                    roles[r, c] = "window" if roles[r, c] == "input" else "window-padding"
        return roles

    def unread_cells(self):
        """``(row, col)`` of every cell in a row or a column that no window reads."""
        unread = set(self.windows.unread)
        size = self.padded
        return [(r, c) for r in range(size) for c in range(size) if r in unread or c in unread]

    def describe(self) -> str:
        """The geometry in words, with the never-read cells (padded coordinates)."""
        w = self.windows
        pad = f"padding ({w.before}, {w.after}) -> {w.padded}x{w.padded}"
        if w.before == w.after == 0:
            pad = "no padding"
        dilation = f", dilation {self.dilation_rate}" if self.dilation_rate > 1 else ""
        unread = f"; rows and columns never read: {list(w.unread)}" if w.unread else ""
        return (
            f"{self.n}x{self.n} input, {pad}, kernel {self.kernel_size}, stride "
            f"{self.strides}{dilation} -> {self.out}x{self.out} output ({self.formula()}){unread}"
        )

    def formula(self) -> str:
        w = self.windows
        span = shapes.dilated_size(self.kernel_size, self.dilation_rate)
        return (
            f"out = ⌊({self.n} + {w.before} + {w.after} − {span}) / {self.strides}⌋ + 1"
            f" = {self.out}"
        )


def _bands(cells):
    """Runs of consecutive integers: [7, 8, 10] -> [(7, 8), (10, 10)]."""
    bands = []
    for cell in sorted(cells):
        if bands and cell == bands[-1][1] + 1:
            bands[-1] = (bands[-1][0], cell)
        else:
            bands.append((cell, cell))
    return bands


def _conv_frame(
    ax, layout, position, *, at, image=None, output=None, labels=True, gap=3.0, linewidth=2.2
):
    """One padded input with a window, and the output grid ``gap`` cells to its right."""
    x0, y0 = at
    w, size, out = layout.windows, layout.padded, layout.out
    roles = layout.roles(position)
    values = None
    if image is not None:
        values = np.full((size, size), "0", dtype=object)
        values[w.before : w.before + layout.n, w.before : w.before + layout.n] = _texts(image)
    _draw.cells(ax, roles, at=(x0, y0), values=values, gid="padded-input")
    padding = [(r, c) for (r, c), role in np.ndenumerate(roles) if "padding" in role]
    _draw.hatch(ax, padding, at=(x0, y0), pattern="///", color="#AAAAAA", gid="padding")
    _draw.hatch(ax, layout.unread_cells(), at=(x0, y0), pattern="xx", gid="dropped", alpha=0.55)
    rows, cols = w.taps[position[0]], w.taps[position[1]]
    _draw.outline(
        ax,
        x0 + cols[0],
        y0 + rows[0],
        cols[-1] - cols[0] + 1,
        rows[-1] - rows[0] + 1,
        linewidth=linewidth,
        gid="window",
    )
    ox = x0 + size + gap
    out_roles = np.full((out, out), "output", dtype=object)
    out_roles[position] = "window"
    out_values = _texts(output) if output is not None else None
    _draw.cells(ax, out_roles, at=(ox, y0), values=out_values, gid="output")
    if labels and w.unread:  # one label, under the grid's right end
        _draw.caption(
            ax,
            x0 + size,
            y0 + size + 0.15,
            "red ×: not read",
            fontsize=8.5,
            color=PALETTE["dropped"],
            ha="right",
            va="top",
        )


def _check_image(fn, image, n):
    if image is None:
        return None
    image = _grid2d(fn, "image", image)
    if image.shape != (n, n):
        raise ValueError(
            f"{fn}: `image` must be {n}x{n} (the input size n); received shape {image.shape}."
        )
    return image


def conv_geometry(
    n,
    kernel_size,
    *,
    strides=1,
    padding="valid",
    dilation_rate=1,
    position=(0, 0),
    image=None,
    kernel=None,
    tensorflow=None,
    fig=None,
):
    """Padding, stride and dilation of a square convolution, drawn with TensorFlow's rules.

    The padded input (padding grey and hatched, real cells blue) with the window of
    output cell ``position`` (the cells it reads orange, its span outlined: a dilated
    window shows its holes), the rows and columns that no window reads cross-hatched
    in red, the output grid beside it, and the size formula with its numbers.

    Parameters
    ----------
    n, kernel_size, strides, padding, dilation_rate
        As in :func:`convlab.shapes.conv_output_size`; ``padding`` may be ``"valid"``,
        ``"same"``, an int or a ``(before, after)`` pair.
    position : (row, col)
        The output cell whose window is drawn.
    image : array_like, shape (n, n), optional
        Values to write in the input cells; the output cells then show the
        convolution with ``kernel`` (default: all ones, so each output is the sum of
        the cells its window reads).
    tensorflow : int, optional
        TensorFlow's actual output size, written next to the formula.
    fig : Figure or SubFigure, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = conv_geometry(28, 5, strides=2, padding="same")
    >>> fig.axes[0].texts[-1].get_text()
    'out = ⌊(28 + 1 + 2 − 5) / 2⌋ + 1 = 14'
    """
    fn = "conv_geometry"
    layout = ConvLayout.of(n, kernel_size, strides, padding, dilation_rate)
    position = _position(fn, position, (layout.out, layout.out))
    image = _check_image(fn, image, layout.n)
    output = None
    if image is not None:
        kernel = (
            np.ones((kernel_size, kernel_size)) if kernel is None else _grid2d(fn, "kernel", kernel)
        )
        output = _correlate2d(image, kernel, strides, _pair_padding(padding), dilation_rate)
    size, out = layout.padded, layout.out
    w = layout.windows
    header = (
        f"input {n}x{n}, no padding"
        if w.before == w.after == 0
        else f"input {n}x{n}, padding ({w.before}, {w.after}) → {size}x{size}"
    )
    # Under the grids: the formula, then what dilation does, then TensorFlow's answer.
    lines = [(layout.formula(), "formula")]
    if dilation_rate > 1:
        span = shapes.dilated_size(kernel_size, dilation_rate)
        lines.append(
            (
                f"a {kernel_size}x{kernel_size} kernel at dilation {dilation_rate} reads "
                f"{kernel_size * kernel_size} cells spread over {span}x{span}",
                "dilation",
            )
        )
    if tensorflow is not None:
        lines.append((f"TensorFlow's output: {tensorflow}x{tensorflow}", "tensorflow"))
    width = max(size + 3 + out + 0.6, 13, max(_text_width(t, 10) for t, _ in lines) + 0.5)
    height = 1.2 + max(size, out) + 0.9 + 0.8 * len(lines) + 0.2
    description = f"conv_geometry: {layout.describe()}; window of output{list(position)}" + "".join(
        f"; {text}" for text, _ in lines[1:]
    )
    fig, ax = _draw.board(fig, width, height, max_width=9.5, description=description)
    _draw.caption(ax, 0, 0.55, header, fontsize=10)
    _draw.caption(ax, size + 3, 0.55, f"output {out}x{out}", fontsize=10)
    _conv_frame(ax, layout, position, at=(0, 1.2), image=image, output=output)
    bottom = 1.2 + max(size, out) + 1.2
    for index, (text, gid) in enumerate(lines):
        _draw.caption(ax, 0, bottom + 0.8 * index, text, fontsize=10, gid=gid)
    return fig


def _pair_padding(padding):
    """One axis's padding as convlab.conv2d takes it for both axes."""
    if isinstance(padding, (tuple, list)):
        return (tuple(padding), tuple(padding))
    return padding


def conv_positions(n, kernel_size, *, strides=1, padding="valid", dilation_rate=1, fig=None):
    """Every window position of one setting, one small frame per output cell.

    Frames are laid out like the output grid (frame ``(r, c)`` shows the window that
    computes output ``(r, c)``), as in Dumoulin and Visin's convolution arithmetic
    figures, but with TensorFlow's padding rules.

    Returns
    -------
    matplotlib.figure.Figure
    """
    layout = ConvLayout.of(n, kernel_size, strides, padding, dilation_rate)
    size, out = layout.padded, layout.out
    if out > 4:
        raise ValueError(
            f"conv_positions: draws at most 4x4 positions; this setting has {out}x{out}. "
            "Use a smaller n or a larger stride."
        )
    frame_w, frame_h = size + 2 + out, size + 1.6
    gap = 1.2
    width = out * (frame_w + gap) - gap + 0.2
    description = f"conv_positions: {layout.describe()}; one frame per output cell"
    height = out * (frame_h + gap) - gap + 0.2
    fig, ax = _draw.board(fig, width, height, max_width=9.0, description=description)
    for r in range(out):
        for c in range(out):
            x, y = c * (frame_w + gap), r * (frame_h + gap)
            _draw.caption(ax, x, y + 0.45, f"output[{r}, {c}]", fontsize=8)
            _conv_frame(ax, layout, (r, c), at=(x, y + 0.9), labels=False, gap=1.5, linewidth=1.6)
    return fig


def same_padding_split(n=28, kernel_size=5, *, strides=2, fig=None):
    """TensorFlow's SAME padding along one axis: the windows, and where the padding goes.

    One row of cells (padding hatched grey at both ends), and under it every window
    as a bar, staggered so that overlapping windows stay apart. SAME pads just enough
    for ``ceil(n / s)`` windows and puts the odd cell at the end.

    Examples
    --------
    >>> fig = same_padding_split()
    >>> fig.axes[0].texts[0].get_text()
    'SAME, n=28, k=5, s=2: ⌈28 / 2⌉ = 14 windows; they need 3 padding cells, 1 before and 2 after'
    """
    w = shapes.windows(n, kernel_size, strides=strides, padding="same")
    out = len(w.taps)
    levels = -(-kernel_size // strides)  # bars on the same level never overlap
    total = w.before + w.after
    description = (
        f"same_padding_split: n={n}, k={kernel_size}, s={strides}: {out} windows need "
        f"{total} padding cells, {w.before} before and {w.after} after"
    )
    fig, ax = _draw.board(
        fig, w.padded + 0.4, 2.9 + levels * 0.8 + 0.3, max_width=9.5, description=description
    )
    _draw.caption(
        ax,
        0,
        0.4,
        f"SAME, n={n}, k={kernel_size}, s={strides}: ⌈{n} / {strides}⌉ = {out} windows; "
        f"they need {total} padding cells, {w.before} before and {w.after} after",
        fontsize=10,
    )
    roles = np.array([["padding"] * w.before + ["input"] * n + ["padding"] * w.after], dtype=object)
    numbers = np.array(
        [[""] * w.before + [str(i) for i in range(n)] + [""] * w.after], dtype=object
    )
    _draw.cells(ax, roles, at=(0, 1.6), values=numbers, gid="strip")
    pads = [(0, c) for c in range(w.padded) if roles[0, c] == "padding"]
    _draw.hatch(ax, pads, at=(0, 1.6), pattern="///", color="#AAAAAA", gid="padding")
    _draw.caption(ax, 0, 1.35, f"{w.before} before", fontsize=9, va="bottom")
    _draw.caption(ax, w.padded, 1.35, f"{w.after} after", fontsize=9, ha="right", va="bottom")
    for index, taps in enumerate(w.taps):
        y = 2.9 + (index % levels) * 0.8
        bar = _draw.outline(
            ax, taps[0] + 0.08, y, taps[-1] - taps[0] + 0.84, 0.5, linewidth=1.4, gid="window"
        )
        bar.set_facecolor(PALETTE["window"])
        bar.set_fill(True)
        if index in (0, out - 1):
            _draw.caption(
                ax,
                (taps[0] + taps[-1] + 1) / 2,
                y + 0.27,
                f"window {index}",
                fontsize=7.5,
                ha="center",
            )
    return fig


# ------------------------------------------------------------ 03: channels as volumes
_DEPTH = (0.55, -0.42)  # board offset of one channel further back (oblique projection)
# One colour per filter (never the window's orange, which means "this position").
_FILTER_COLOURS = (
    "#EEDD88",
    "#77AADD",
    "#44BB99",
    "#FFAABB",
    "#99DDFF",
    "#BBCC33",
    "#AAAA00",
    "#DDDDDD",
)


def _slabs(ax, x, y, width, height, depth, colour, *, drawn=None, grid=False, scale=1.0, gid=None):
    """A volume of ``depth`` channels as stacked slabs; the front one's top-left at (x, y).

    At most ``drawn`` slabs are drawn (default all), so 64 channels stay readable;
    ``scale`` shrinks a volume drawn beside full-size ones. Returns its drawn width.
    """
    from matplotlib.patches import Polygon

    drawn = depth if drawn is None else min(depth, drawn)
    dx, dy = _DEPTH[0] * scale, _DEPTH[1] * scale
    w, h = width * scale, height * scale
    for layer in reversed(range(drawn)):
        ox, oy = x + layer * dx, y + layer * dy
        face = Polygon(
            [(ox, oy), (ox + w, oy), (ox + w, oy + h), (ox, oy + h)],
            closed=True,
            facecolor=colour,
            edgecolor=PALETTE["line"],
            linewidth=0.8,
            zorder=2,
        )
        face.set_gid(gid)
        ax.add_patch(face)
    if grid:  # the front slab's cells
        for i in range(1, int(width)):
            ax.plot([x + i * scale] * 2, [y, y + h], color=PALETTE["line"], lw=0.3, zorder=2)
        for j in range(1, int(height)):
            ax.plot([x, x + w], [y + j * scale] * 2, color=PALETTE["line"], lw=0.3, zorder=2)
    return w + (drawn - 1) * dx


def _fill_cell(ax, x, y, size=1.0, colour=None, gid=None):
    """One coloured cell drawn over a volume (the output cell a window writes)."""
    from matplotlib.patches import Rectangle

    patch = Rectangle(
        (x, y),
        size,
        size,
        facecolor=colour or PALETTE["window"],
        edgecolor=PALETTE["line"],
        linewidth=0.8,
        zorder=3,
    )
    patch.set_gid(gid)
    ax.add_patch(patch)


def filter_volumes(in_channels=3, filters=4, *, kernel_size=3, n=6, fig=None):
    """A filter spans every input channel and gives one map; K filters give K maps.

    Left: an ``n x n x in_channels`` input, one ``k x k x in_channels`` filter, and the
    single output map it produces (the window's current place and the output cell it
    writes in orange). Right: ``filters`` filters, each in its own colour, and the
    output volume whose depth is the number of filters: map ``i`` comes from filter
    ``i``. Parameter counts come from :func:`convlab.shapes.conv_params`.

    Examples
    --------
    >>> fig = filter_volumes()
    >>> [t.get_text() for t in fig.axes[0].texts if t.get_gid() == "count"]
    ['3x3x3 = 27 weights + 1 bias = 28 parameters', '4 filters: 4 x 28 = 112 parameters']
    """
    fn = "filter_volumes"
    c = shapes._int(fn, "in_channels", in_channels, minimum=1)
    f = shapes._int(fn, "filters", filters, minimum=1)
    k = shapes._int(fn, "kernel_size", kernel_size, minimum=1)
    out = shapes.conv_output_size(n, k)
    per_filter = shapes.conv_params(k, c, 1)
    drawn_c, drawn_f = min(c, 6), min(f, 8)
    dx, dy = _DEPTH
    top = 1.4 - dy * (max(drawn_c, drawn_f) - 1)
    small = min(1.0, (n / 2) / (k + dx * (drawn_c - 1)))  # two filters fit beside the input
    filter_w = (k + dx * (drawn_c - 1)) * small
    input_w = n + dx * (drawn_c - 1)
    panel = input_w + 1.2 + 2 * filter_w + 0.6 + 1.2 + out + dx * (drawn_f - 1) + 0.3
    description = (
        f"filter_volumes: {n}x{n}x{c} input; one {k}x{k}x{c} filter ({k * k * c} weights + 1 "
        f"bias = {per_filter} parameters)"
        f" -> one {out}x{out} map; {f} filters ({shapes.conv_params(k, c, f):,} parameters) -> "
        f"{out}x{out}x{f}"
    )
    fig, ax = _draw.board(
        fig, 2 * panel + 1.2, top + n + 2.9, max_width=9.8, description=description
    )
    for side, count in enumerate((1, f)):
        x = side * (panel + 1.2)
        title = "one filter → one feature map" if count == 1 else f"{count} filters → {count} maps"
        _draw.caption(ax, x, 0.5, title, fontsize=10)
        _slabs(ax, x, top, n, n, c, PALETTE["input"], drawn=drawn_c, grid=True, gid="input")
        _draw.caption(
            ax, x + n / 2, top + n + 0.3, f"input {n}x{n}x{c}", fontsize=8.5, ha="center", va="top"
        )
        fx = x + input_w + 1.2
        if count == 1:
            # Where the filter sits now: a box through every channel, front to back.
            back = (drawn_c - 1) * dx, (drawn_c - 1) * dy
            _draw.outline(ax, x, top, k, k, gid="window")
            _draw.outline(ax, x + back[0], top + back[1], k, k, linewidth=1.2, linestyle="--")
            for cx, cy in ((x, top), (x + k, top), (x + k, top + k)):
                ax.plot(
                    [cx, cx + back[0]],
                    [cy, cy + back[1]],
                    color=PALETTE["accent"],
                    lw=1.2,
                    ls="--",
                    zorder=5,
                )
            _slabs(ax, fx, top, k, k, c, PALETTE["kernel"], drawn=drawn_c, grid=True, gid="filter")
            _draw.caption(ax, fx, top + k + 0.3, f"filter\n{k}x{k}x{c}", fontsize=8.5, va="top")
        else:
            shown = min(count, 4)
            for index in range(shown):  # a 2 x 2 block of smaller filters
                col, row = index % 2, index // 2
                _slabs(
                    ax,
                    fx + col * (filter_w + 0.6),
                    top + row * (filter_w + 0.4),
                    k,
                    k,
                    c,
                    _FILTER_COLOURS[index],
                    drawn=drawn_c,
                    grid=True,
                    scale=small,
                    gid="filter",
                )
            more = f" (first {shown})" if count > shown else ""
            _draw.caption(
                ax,
                fx,
                top + n + 0.3,
                f"{count} filters{more},\neach {k}x{k}x{c}",
                fontsize=8.5,
                va="top",
            )
        ox = fx + 2 * filter_w + 0.6 + 1.2 if count > 1 else fx + filter_w / small + 1.2
        colours = (
            [PALETTE["output"]]
            if count == 1
            else [_FILTER_COLOURS[i % len(_FILTER_COLOURS)] for i in range(drawn_f)]
        )
        for layer in reversed(range(len(colours))):
            _slabs(
                ax,
                ox + layer * dx,
                top + layer * dy,
                out,
                out,
                1,
                colours[layer],
                grid=True,
                gid="map",
            )
        if count == 1:
            _fill_cell(ax, ox, top, gid="output-cell")
        _draw.caption(
            ax, ox, top + out + 0.3, f"output\n{out}x{out}x{count}", fontsize=8.5, va="top"
        )
        text = (
            f"{k}x{k}x{c} = {k * k * c} weights + 1 bias = {per_filter} parameters"
            if count == 1
            else f"{count} filters: {count} x {per_filter} = {shapes.conv_params(k, c, f):,}"
            " parameters"
        )
        _draw.caption(ax, x, top + n + 2.4, text, fontsize=9, gid="count")
    return fig


def _box(ax, x, y, width, height, depth, colour, *, gid=None):
    """A solid cuboid: front face ``width x height`` at (x, y), ``depth`` board units deep.

    Returns the drawn width (front face plus the depth's horizontal run).
    """
    from matplotlib.patches import Polygon

    dx, dy = _DEPTH[0] * depth, _DEPTH[1] * depth
    faces = [
        [(x, y), (x + dx, y + dy), (x + width + dx, y + dy), (x + width, y)],  # top
        [
            (x + width, y),
            (x + width + dx, y + dy),
            (x + width + dx, y + height + dy),
            (x + width, y + height),
        ],  # right side
        [(x, y), (x + width, y), (x + width, y + height), (x, y + height)],  # front
    ]
    shades = (0.85, 0.7, 1.0)
    for face, shade in zip(faces, shades, strict=True):
        rgb = tuple(min(1.0, v * shade) for v in to_rgb(colour))
        patch = Polygon(
            face, closed=True, facecolor=rgb, edgecolor=PALETTE["line"], linewidth=0.8, zorder=2
        )
        patch.set_gid(gid)
        ax.add_patch(patch)
    return width + dx


def conv_flavours(in_channels=16, filters=32, *, kernel_size=3, fig=None):
    """Standard, 1x1, depthwise and separable convolutions side by side, with their parameters.

    Each panel draws the input, the filters and the output as boxes whose depth is
    their number of channels (filters that span every channel are deep, depthwise
    filters are flat), with the parameter count from :mod:`convlab.shapes` and the
    arithmetic behind it.

    Examples
    --------
    >>> fig = conv_flavours()
    >>> [t.get_text() for t in fig.axes[0].texts if t.get_gid() == "count"]
    ['3·3·16·32 + 32 = 4,640', '1·1·16·32 + 32 = 544', '3·3·16 + 16 = 160',
     '3·3·16 + 16·32 + 32 = 688']
    """
    fn = "conv_flavours"
    c = shapes._int(fn, "in_channels", in_channels, minimum=1)
    f = shapes._int(fn, "filters", filters, minimum=1)
    k = shapes._int(fn, "kernel_size", kernel_size, minimum=1)
    panels = [
        (
            "standard",
            f"{k}·{k}·{c}·{f} + {f}",
            shapes.conv_params(k, c, f),
            [("deep", k, f"{f} filters,\neach {k}x{k}x{c}")],
            f,
        ),
        (
            "1x1",
            f"1·1·{c}·{f} + {f}",
            shapes.conv_params(1, c, f),
            [("deep", 1, f"{f} filters,\neach 1x1x{c}")],
            f,
        ),
        (
            "depthwise",
            f"{k}·{k}·{c} + {c}",
            shapes.depthwise_params(k, c),
            [("flat", k, f"{c} filters {k}x{k}x1,\none per channel")],
            c,
        ),
        (
            "separable = depthwise, then 1x1",
            f"{k}·{k}·{c} + {c}·{f} + {f}",
            shapes.separable_params(k, c, f),
            [("flat", k, f"{c} x {k}x{k}x1"), ("deep", 1, f"{f} x 1x1x{c}")],
            f,
        ),
    ]
    per_channel = 2.4 / max(c, f)  # depth of one channel, in board units
    size = 4.5  # volumes' front faces, larger than any filter's
    lift = -_DEPTH[1] * per_channel * max(c, f)
    panel_w, panel_h = 20.0, 2.6 + lift + size + 2.2
    description = (
        f"conv_flavours: {c} -> {f} channels, {k}x{k} kernels: "
        + ", ".join(f"{name.split(' ')[0]} {count:,}" for name, _, count, _, _ in panels)
        + " parameters"
    )
    fig, ax = _draw.board(fig, 2 * panel_w, 2 * panel_h, max_width=9.8, description=description)
    for index, (name, arithmetic, count, steps, out_channels) in enumerate(panels):
        px, py = (index % 2) * panel_w, (index // 2) * panel_h
        _draw.caption(
            ax, px, py + 0.5, f"{name}: {count:,} parameters", fontsize=10, fontweight="bold"
        )
        _draw.caption(ax, px, py + 1.4, f"{arithmetic} = {count:,}", fontsize=9, gid="count")
        y = py + 2.6 + lift
        x = px
        x += _box(ax, x, y, size, size, per_channel * c, PALETTE["input"], gid="input")
        _draw.caption(
            ax,
            px + size / 2,
            y + size + 0.3,
            f"input\n{c} channels",
            fontsize=8,
            ha="center",
            va="top",
        )
        for kind, kk, label in steps:
            x += 1.0
            top = y + (size - kk) / 2
            if kind == "deep":
                width = _box(ax, x, top, kk, kk, per_channel * c, PALETTE["kernel"], gid="filter")
            else:  # flat filters, a few of them drawn, one behind the other
                for layer in reversed(range(3)):
                    _box(
                        ax,
                        x + layer * 0.5,
                        top - layer * 0.5,
                        kk,
                        kk,
                        per_channel,
                        PALETTE["kernel"],
                        gid="filter",
                    )
                width = kk + 1.0 + per_channel * _DEPTH[0]
                label += "\n(3 drawn)"
            _draw.caption(ax, x + kk / 2, y + size + 0.3, label, fontsize=8, ha="center", va="top")
            x += width
        x += 1.0
        _box(ax, x, y, size, size, per_channel * out_channels, PALETTE["output"], gid="output")
        _draw.caption(
            ax,
            x + size / 2,
            y + size + 0.3,
            f"output\n{out_channels} channels",
            fontsize=8,
            ha="center",
            va="top",
        )
    return fig


def im2col(image, kernel, *, highlight=1, fig=None):
    """A convolution as one matrix product, the way :func:`convlab.conv2d` computes it.

    Each window of the input becomes one row of the *patch matrix* (its cells read
    row by row); the kernel, read the same way, becomes one column; their matrix
    product is the output, one row per output cell, which reshapes to the output
    grid. Window ``highlight`` (in reading order) and its row are orange.
    (With several channels and filters the patch rows hold ``kh * kw * c_in``
    numbers and the kernel has ``c_out`` columns; the picture stays the same.)

    Examples
    --------
    >>> fig = im2col(np.arange(16).reshape(4, 4), np.ones((3, 3)))
    >>> [t.get_text() for t in fig.axes[0].texts if t.get_gid() == "shapes"]
    ['patches (4 x 9) @ kernel (9 x 1) = output (4 x 1) → 2x2']
    """
    fn = "im2col"
    image = _grid2d(fn, "image", image)
    kernel = _grid2d(fn, "kernel", kernel)
    output = _correlate2d(image, kernel)  # raises clearly if the kernel does not fit
    (h, w), (kh, kw), (oh, ow) = image.shape, kernel.shape, output.shape
    patches = np.lib.stride_tricks.sliding_window_view(image, (kh, kw)).reshape(oh * ow, kh * kw)
    column = kernel.reshape(kh * kw, 1)
    product = patches @ column
    if not (_checks._is_int(highlight) and 0 <= highlight < oh * ow):
        raise ValueError(
            f"{fn}: `highlight` must be an int in 0..{oh * ow - 1}; received {highlight!r}."
        )
    row, col = divmod(highlight, ow)

    px = w + 2.0
    kx = px + kh * kw + 1.5
    ox = kx + 1 + 1.5
    gx = ox + 1 + 2.8
    top = 2.0
    description = (
        f"im2col: {h}x{w} image, {kh}x{kw} kernel: patches ({oh * ow} x {kh * kw}) @ kernel "
        f"({kh * kw} x 1) = output ({oh * ow} x 1) -> {oh}x{ow}; window {highlight} gives "
        f"{_draw.number(product[highlight, 0])}"
    )
    fig, ax = _draw.board(
        fig,
        gx + ow + 0.3,
        top + max(kh * kw, h, oh * ow) + 1.4,
        max_width=9.8,
        description=description,
    )

    roles = np.full((h, w), "input", dtype=object)
    roles[row : row + kh, col : col + kw] = "window"
    _draw.cells(ax, roles, at=(0, top), values=_texts(image), gid="input")
    _draw.caption(ax, 0, top - 0.5, f"input {h}x{w}", fontsize=9)

    patch_roles = np.full(patches.shape, "input", dtype=object)
    patch_roles[highlight] = "window"
    _draw.cells(ax, patch_roles, at=(px, top), values=_texts(patches), gid="patches")
    _draw.caption(
        ax, px, top - 0.5, f"patch matrix: one row per window ({oh * ow} x {kh * kw})", fontsize=9
    )
    _draw.cells(
        ax,
        np.full((kh * kw, 1), "kernel", dtype=object),
        at=(kx, top),
        values=_texts(column),
        gid="kernel",
    )
    _draw.caption(ax, kx + 0.5, top - 0.5, "kernel", fontsize=9, ha="center")
    if h + 1.5 + kh <= kh * kw:  # room under the input: the kernel as a grid, read row by row
        gy = top + h + 1.5
        _draw.cells(
            ax,
            np.full((kh, kw), "kernel", dtype=object),
            at=(0, gy),
            values=_texts(kernel),
            gid="kernel-grid",
        )
        _draw.caption(ax, 0, gy - 0.45, f"kernel {kh}x{kw}, read row by row", fontsize=9)
        _draw.arrow(ax, (kw + 0.2, gy + kh / 2), (kx - 0.2, gy + kh / 2), rad=0.0)
    out_roles = np.full((oh * ow, 1), "output", dtype=object)
    out_roles[highlight] = "window"
    _draw.cells(ax, out_roles, at=(ox, top), values=_texts(product), gid="product")
    _draw.caption(ax, ox + 0.5, top - 0.5, "output", fontsize=9, ha="center")
    grid_roles = np.full((oh, ow), "output", dtype=object)
    grid_roles[row, col] = "window"
    _draw.cells(ax, grid_roles, at=(gx, top), values=_texts(product.reshape(oh, ow)), gid="output")
    _draw.caption(ax, gx, top - 0.5, f"{oh}x{ow}", fontsize=9)

    middle = top + min(oh * ow, kh * kw) / 2
    _draw.caption(ax, kx - 0.75, middle, "@", fontsize=14, ha="center")
    _draw.caption(ax, ox - 0.75, middle, "=", fontsize=14, ha="center")
    _draw.arrow(ax, (ox + 1.2, top + oh * ow / 2), (gx - 0.2, top + oh / 2))
    _draw.caption(ax, gx - 0.1, top + oh + 0.9, "reshaped", fontsize=8, va="top")
    _draw.arrow(ax, (w + 0.1, top + row + kh / 2), (px - 0.1, top + highlight + 0.5), rad=-0.2)
    _draw.caption(
        ax,
        0,
        0.55,
        f"patches ({oh * ow} x {kh * kw}) @ kernel ({kh * kw} x 1)"
        f" = output ({oh * ow} x 1) → {oh}x{ow}",
        fontsize=10,
        gid="shapes",
    )
    return fig


# ----------------------------------------------------------------------- 04: pooling
def pooling_windows(
    x, pool_size, *, strides=None, padding="valid", mode="max", position=None, fig=None
):
    """Max or average pooling of a small grid, every window drawn, with TensorFlow's rules.

    The input with its numbers; each pooling window outlined; for max pooling the
    winning cell of each window orange (unless the window's largest value is tied);
    for SAME padding the padded cells grey and
    hatched, marked ``-∞`` for max (they never win) and left out of averages; cells
    no window reads red-hatched; the output grid with its values beside it. With
    ``position`` only that output cell's window is drawn, and the computation of its
    value is written out under the grids (overlapping windows would hide each other,
    so then ``position`` defaults to ``(0, 0)``).

    Parameters
    ----------
    x : array_like, shape (h, w)
    pool_size, strides, padding
        As :func:`convlab.max_pool2d` (``strides`` defaults to ``pool_size``).
    mode : {"max", "avg"}
    position : (row, col), optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> nine = np.arange(1, 10).reshape(3, 3)
    >>> fig = pooling_windows(nine, 2, padding="same", mode="avg", position=(0, 1))
    >>> [t.get_text() for t in fig.axes[0].texts if t.get_gid() == "computation"]
    ['output[0, 1] = mean of the 2 real cells = (3 + 6) / 2 = 4.5  (2 padded cells left out)']
    """
    fn = "pooling_windows"
    x = _grid2d(fn, "x", x)
    if mode not in ("max", "avg"):
        raise ValueError(f'{fn}: `mode` must be "max" or "avg"; received mode={mode!r}.')
    op = ops.max_pool2d if mode == "max" else ops.avg_pool2d
    output = op(x[None, :, :, None], pool_size, strides=strides, padding=padding)[0, :, :, 0]
    k = shapes._int(fn, "pool_size", pool_size, minimum=1)
    s = k if strides is None else shapes._int(fn, "strides", strides, minimum=1)
    rows = shapes.windows(x.shape[0], k, strides=s, padding=padding)
    cols = shapes.windows(x.shape[1], k, strides=s, padding=padding)
    oh, ow = output.shape
    if position is not None:
        position = _position(fn, position, (oh, ow))
    ph, pw = rows.padded, cols.padded
    real = np.zeros((ph, pw), dtype=bool)
    real[rows.before : rows.before + x.shape[0], cols.before : cols.before + x.shape[1]] = True
    padded_x = np.full((ph, pw), -np.inf if mode == "max" else np.nan)
    padded_x[real] = x.ravel()

    roles = np.where(real, "input", "excluded").astype(object)
    texts = np.where(real, "", "-∞" if mode == "max" else "").astype(object)
    texts[real] = _texts(x).ravel()
    overlap = s < k and (oh > 1 or ow > 1)
    if position is None and overlap:
        position = (0, 0)  # overlapping outlines would hide each other: draw one window
    chosen = [position] if position is not None else [(r, c) for r in range(oh) for c in range(ow)]
    for r, c in chosen:
        window = [(i, j) for i in rows.taps[r] for j in cols.taps[c]]
        if mode == "max":
            best = max(window, key=lambda cell: padded_x[cell])
            if sum(padded_x[cell] == padded_x[best] for cell in window) == 1:
                roles[best] = "window"  # a tie has no single winner to mark
        elif position is not None:
            for cell in window:
                if real[cell]:
                    roles[cell] = "window"

    ox = pw + 2.5
    top = 1.4
    text = _pool_computation(mode, position, rows, cols, padded_x, real, output)
    width = max(ox + max(ow, 6) + 0.4, _text_width(text, 10) + 0.5)
    values = ", ".join(_draw.number(v) for v in output.ravel())
    description = (
        f"pooling_windows: {mode} pooling, {x.shape[0]}x{x.shape[1]} input, {k}x{k} windows, "
        f"stride {s}, padding {padding!r} -> {oh}x{ow} output [{values}]"
        + (f"; {text}" if text else "")
    )
    fig, ax = _draw.board(
        fig,
        width,
        top + max(ph, oh) + (2.2 if text else 0.8),
        max_width=9.0,
        description=description,
    )
    pad_note = (
        "" if rows.before + rows.after + cols.before + cols.after == 0 else ", padded cells grey"
    )
    _draw.caption(ax, 0, 0.55, f"input {x.shape[0]}x{x.shape[1]}{pad_note}", fontsize=10)
    _draw.cells(ax, roles, at=(0, top), values=texts, gid="input")
    excluded = list(zip(*np.nonzero(~real), strict=True))
    _draw.hatch(ax, excluded, at=(0, top), pattern="///", color="#AAAAAA", gid="excluded")
    unread = [(i, j) for i in range(ph) for j in range(pw) if i in rows.unread or j in cols.unread]
    _draw.hatch(ax, unread, at=(0, top), pattern="xx", gid="dropped", alpha=0.55)
    for r, c in chosen:
        rr, cc = rows.taps[r], cols.taps[c]
        _draw.outline(
            ax,
            cc[0] + 0.06,
            top + rr[0] + 0.06,
            len(cc) - 0.12,
            len(rr) - 0.12,
            linewidth=2.0 if position is not None else 1.6,
            gid="window",
        )
    out_roles = np.full((oh, ow), "output", dtype=object)
    if position is not None:
        out_roles[position] = "window"
    _draw.caption(ax, ox, 0.55, f"output {oh}x{ow} ({mode})", fontsize=10)
    _draw.cells(ax, out_roles, at=(ox, top), values=_texts(output), gid="output")
    if text:
        _draw.caption(ax, 0, top + max(ph, oh) + 0.9, text, fontsize=10, gid="computation")
    return fig


# --------------------------------------------------------- 05: transposed convolution
def transposed_stamps(x, kernel, *, strides=2, padding="valid", output_padding=None, fig=None):
    """A transposed convolution as stamps: each input cell adds ``value x kernel`` to the output.

    Top: the input and the kernel. Below: one panel per input cell, showing where
    its scaled kernel lands (stamps ``strides`` cells apart), then their sum, which
    is :func:`convlab.conv2d_transpose`'s output: cells where stamps overlap are
    outlined, an ``output_padding`` row and column are marked, and cells that
    ``"same"`` padding crops away are hatched grey.

    Examples
    --------
    >>> fig = transposed_stamps(np.array([[1, 2], [3, 4]]), np.ones((3, 3)), output_padding=1)
    >>> [t.get_text() for t in fig.axes[0].texts if t.get_gid() == "sum-title"]
    ['sum: output 6x6']
    """
    fn = "transposed_stamps"
    x = _grid2d(fn, "x", x)
    kernel = _grid2d(fn, "kernel", kernel)
    output = ops.conv2d_transpose(
        x[None, :, :, None],
        kernel[:, :, None, None],
        strides=strides,
        padding=_pair_padding(padding),
        output_padding=output_padding,
    )[0, :, :, 0]
    s = shapes._int(fn, "strides", strides, minimum=1)
    (h, w), (kh, kw) = x.shape, kernel.shape
    rows = shapes.transpose_stamps(h, kh, strides=s, padding=padding, output_padding=output_padding)
    cols = shapes.transpose_stamps(w, kw, strides=s, padding=padding, output_padding=output_padding)
    # The canvas holds every stamp whole; the output is its window [0, length).
    lo_r, lo_c = min(0, rows.starts[0]), min(0, cols.starts[0])
    hi_r = max(rows.length, rows.starts[-1] + kh)
    hi_c = max(cols.length, cols.starts[-1] + kw)
    ch, cw = hi_r - lo_r, hi_c - lo_c

    def canvas_roles():
        roles = np.full((ch, cw), "padding", dtype=object)
        roles[-lo_r : -lo_r + rows.length, -lo_c : -lo_c + cols.length] = "empty"
        return roles

    cropped = [(r, c) for (r, c), role in np.ndenumerate(canvas_roles()) if role == "padding"]
    panels = h * w + 1
    gap = 1.5
    top = 1.4 + max(h, kh) + 1.8
    extra = f", output_padding {output_padding}" if output_padding is not None else ""
    description = (
        f"transposed_stamps: {h}x{w} input, {kh}x{kw} kernel, stride {s}, padding {padding!r}"
        f"{extra} -> {rows.length}x{cols.length} output: {h * w} stamps, overlaps add"
    )
    fig, ax = _draw.board(
        fig,
        panels * (cw + gap) - gap + 0.3,
        top + ch + 2.4,
        max_width=9.8,
        description=description,
    )
    _draw.caption(ax, 0, 0.55, "input", fontsize=9)
    _draw.cells(
        ax, np.full((h, w), "input", dtype=object), at=(0, 1.2), values=_texts(x), gid="input"
    )
    _draw.caption(ax, w + 1.5, 0.55, "kernel", fontsize=9)
    _draw.cells(
        ax,
        np.full((kh, kw), "kernel", dtype=object),
        at=(w + 1.5, 1.2),
        values=_texts(kernel),
        gid="kernel",
    )
    coverage = np.zeros((ch, cw), dtype=int)
    for index, (i, j) in enumerate((i, j) for i in range(h) for j in range(w)):
        at = (index * (cw + gap), top)
        r0, c0 = rows.starts[i] - lo_r, cols.starts[j] - lo_c
        roles = canvas_roles()
        texts = np.full((ch, cw), "", dtype=object)
        roles[r0 : r0 + kh, c0 : c0 + kw] = "window"
        texts[r0 : r0 + kh, c0 : c0 + kw] = _texts(x[i, j] * kernel)
        coverage[r0 : r0 + kh, c0 : c0 + kw] += 1
        _draw.caption(
            ax,
            at[0],
            top - 0.5,
            f"{_draw.number(x[i, j])} × kernel at ({rows.starts[i]}, {cols.starts[j]})",
            fontsize=8.5,
        )
        _draw.cells(ax, roles, at=at, values=texts, gid=f"stamp-{i}-{j}")
        _draw.hatch(ax, cropped, at=at, pattern="///", color="#AAAAAA")
    at = (h * w * (cw + gap), top)
    roles = canvas_roles()
    inside = roles == "empty"
    roles[inside] = "output"
    texts = np.full((ch, cw), "", dtype=object)
    texts[inside] = _texts(output).ravel()
    _draw.caption(
        ax,
        at[0],
        top - 0.5,
        f"sum: output {rows.length}x{cols.length}",
        fontsize=8.5,
        gid="sum-title",
    )
    _draw.cells(ax, roles, at=at, values=texts, gid="sum")
    _draw.hatch(ax, cropped, at=at, pattern="///", color="#AAAAAA", gid="cropped")
    for (r, c), count in np.ndenumerate(coverage):
        if count > 1 and inside[r, c]:
            _draw.outline(
                ax, at[0] + c + 0.08, at[1] + r + 0.08, 0.84, 0.84, linewidth=1.6, gid="overlap"
            )
    notes = ["outlined: cells where stamps overlap, and add"]
    if output_padding:
        # Cells past the last stamp (valid padding): output_padding's extra row and column.
        last_r, last_c = rows.starts[-1] + kh - lo_r, cols.starts[-1] + kw - lo_c
        extra = [
            (r0, c0, height, width)
            for r0, c0, height, width in (
                (last_r, -lo_c, ch - last_r, cols.length),
                (-lo_r, last_c, rows.length, cw - last_c),
            )
            if height > 0 and width > 0
        ]
        for r0, c0, height, width in extra:
            _draw.outline(
                ax,
                at[0] + c0,
                at[1] + r0,
                width,
                height,
                color=PALETTE["muted"],
                linewidth=1.6,
                linestyle="--",
                gid="output-padding",
            )
        without = shapes.conv_transpose_output_size(
            h, kh, strides=s, padding=padding, output_padding=0
        )
        notes.append(
            f"dashed: output_padding={output_padding} adds a last row and column"
            " that no stamp reaches"
            if extra
            else f"output_padding={output_padding} keeps {rows.length - without}"
            " more row and column "
            f"({rows.length} instead of {without})"
        )
    if cropped:
        notes.append(f'hatched grey: cells that padding="{padding}" crops away')
    _draw.caption(ax, 0, top + ch + 0.4, "\n".join(notes), fontsize=8.5, va="top", gid="notes")
    return fig


def receptive_field(layers=((3, 1), (3, 1), (3, 1)), *, names=None, fig=None):
    """Which input cells one output of a stack of layers sees, traced layer by layer (one axis).

    ``layers`` lists ``(kernel_size, strides)`` or ``(kernel_size, strides,
    dilation_rate)`` from the input upwards, as :func:`convlab.shapes.receptive_field`
    takes them (a pooling layer is ``(pool_size, strides)``); ``names`` labels the
    layers (default "layer 1", "layer 2", ...). The middle cell of the
    top layer is traced down: in each layer below, the cells its windows read are
    orange and joined to the cell above them. The count at the bottom is
    :func:`convlab.shapes.receptive_field`.

    Examples
    --------
    >>> fig = receptive_field()
    >>> [t.get_text() for t in fig.axes[0].texts if t.get_gid() == "field"]
    ['receptive field: 7 input cells']
    """
    fn = "receptive_field"
    field = shapes.receptive_field(layers)
    specs = [tuple(layer) + (1,) * (3 - len(layer)) for layer in layers]
    if not specs:
        raise ValueError(f"{fn}: `layers` must list at least one layer; received {layers!r}.")
    if names is not None and len(names) != len(specs):
        raise ValueError(
            f"{fn}: `names` must name each of the {len(specs)} layers; received {names!r}."
        )
    jump = int(np.prod([spec[1] for spec in specs]))
    length = field + 2 * jump
    sizes = [length]
    for k, stride, d in specs:
        sizes.append(shapes.conv_output_size(sizes[-1], k, strides=stride, dilation_rate=d))
    traced = [{sizes[-1] // 2}]  # the top layer's middle cell, then downwards
    links = []
    for level in range(len(specs), 0, -1):
        k, stride, d = specs[level - 1]
        taps = shapes.windows(sizes[level - 1], k, strides=stride, dilation_rate=d).taps
        below = set()
        for cell in traced[-1]:
            below.update(taps[cell])
            links.extend(((level, cell), (level - 1, tap)) for tap in taps[cell])
        traced.append(below)
    traced.reverse()  # traced[level] = the cells of that level on the path
    # Each cell sits over the middle of the window that computes it.
    centres = [np.arange(length) + 0.5]
    for level, (k, stride, d) in enumerate(specs, start=1):
        taps = shapes.windows(sizes[level - 1], k, strides=stride, dilation_rate=d).taps
        below = centres[-1]
        centres.append(np.array([(below[t[0]] + below[t[-1]]) / 2 for t in taps]))
    spacing = 2.4
    label_x = length + 1.0
    labels = names or [f"layer {i + 1}" for i in range(len(specs))]
    description = (
        "receptive_field: "
        + ", ".join(
            f"{label} (kernel {k}, stride {stride})"
            for label, (k, stride, _) in zip(labels, specs, strict=True)
        )
        + f": {field} input cells"
    )
    fig, ax = _draw.board(
        fig,
        label_x + 13,
        0.6 + spacing * len(specs) + 1 + 1.6,
        max_width=9.8,
        description=description,
    )
    y_of = {level: 0.6 + spacing * (len(specs) - level) for level in range(len(specs) + 1)}
    for level, size in enumerate(sizes):
        for cell in range(size):
            role = "window" if cell in traced[level] else ("input" if level == 0 else "output")
            _draw.cells(
                ax,
                np.array([[role]], dtype=object),
                at=(centres[level][cell] - 0.5, y_of[level]),
                gid=f"layer-{level}",
            )
        if level == 0:
            text = f"input: the {len(traced[0])} orange cells are the receptive field"
        else:
            k, stride, d = specs[level - 1]
            dilation = f", dilation {d}" if d > 1 else ""
            name = names[level - 1] if names else f"layer {level}"
            text = f"{name}: kernel {k}, stride {stride}{dilation}"
        _draw.caption(ax, label_x, y_of[level] + 0.5, text, fontsize=9)
    for (upper, cell), (lower, tap) in links:
        ax.plot(
            [centres[upper][cell], centres[lower][tap]],
            [y_of[upper] + 1, y_of[lower]],
            color=PALETTE["accent"],
            lw=0.9,
            zorder=1.5,
        )
    _draw.caption(
        ax, 0, y_of[0] + 1.9, f"receptive field: {field} input cells", fontsize=10, gid="field"
    )
    return fig


def _pool_computation(mode, position, rows, cols, padded_x, real, output):
    """The arithmetic of one pooling window, as text ("" without a position)."""
    if position is None:
        return ""
    r, c = position
    window = [(i, j) for i in rows.taps[r] for j in cols.taps[c]]
    values = [padded_x[cell] for cell in window if real[cell]]
    left_out = len(window) - len(values)
    result = _draw.number(output[r, c])
    if mode == "max":
        text = f"output[{r}, {c}] = max({', '.join(_draw.number(v) for v in values)}) = {result}"
        return text + (f"  ({left_out} padded cells count as -∞)" if left_out else "")
    terms = " + ".join(_draw.number(v) for v in values)
    terms = f"({terms})" if len(values) > 1 else terms
    noun = "cell" if len(values) == 1 else "cells"
    text = (
        f"output[{r}, {c}] = mean of the {len(values)} real {noun}"
        f" = {terms} / {len(values)} = {result}"
    )
    return text + (f"  ({left_out} padded cells left out)" if left_out else "")


def _text_width(text, fontsize, cell=_draw.CELL_INCHES):
    """About how many cells a line of text takes at ``fontsize`` (DejaVu Sans averages 0.58 em)."""
    return len(text) * fontsize * 0.58 / 72 / cell
