"""Interactive explorers for the notebooks (ipywidgets 8, JupyterLab 4).

Each explorer is a small object holding its controls, a text ``label`` and an
``image``: an SVG of a matplotlib figure that pyplot does not track, drawn by the
same functions as the course's static figures (:mod:`convlab.figures`), so a
figure and its explorer look alike. It works in any front end without a
matplotlib widget backend, and tests can set ``.value`` on a control and read back
the label, the figure and the picture. Show one by making it the last
expression of a cell.

The picture is an SVG with its text kept as text, so it stays sharp at any width
and on high-density screens, and redraws quickly. Controls wrap onto more lines
in a narrow window instead of shrinking. A setting that cannot be drawn (a window
larger than the padded input, a kernel cell that is not a number) gives a message
in the widget, never a traceback.

All arithmetic comes from :mod:`convlab.shapes` and all numbers from convlab's
ops; TensorFlow, when installed, supplies the "actual" output size that the
convolution explorer shows next to the formula.
"""

from __future__ import annotations

import base64
import html
from fractions import Fraction

import ipywidgets as w
import numpy as np
from matplotlib.figure import Figure

from . import _draw, figures, kernels, ops, shapes, viz
from .data import photo

__all__ = ["ConvExplorer", "KernelPlayground", "PoolExplorer"]

DISPLAY_DPI = 100  # CSS pixels per inch of figure
PHOTO_DPI = 150  # photographs go as PNG, finer than shown (the photo itself has 128 px)
_NUMBERS_UP_TO = 12  # write the numbers in the cells while the padded grid is this small


def _slider(value, low, high, description, **kwargs):
    return w.IntSlider(
        value,
        low,
        high,
        description=description,
        style={"description_width": "90px"},
        layout=w.Layout(flex="1 1 230px", min_width="230px", max_width="360px"),
        **kwargs,
    )


def _row(children):
    """Controls side by side that wrap onto a new line rather than shrink."""
    return w.HBox(children, layout=w.Layout(flex_flow="row wrap", width="100%"))


class _Explorer:
    """Shared plumbing: controls observe ``update``; ``widget`` is what a notebook shows."""

    FIGSIZE = (8.0, 4.6)
    FORMAT = "svg+xml"  # grids of numbers: SVG keeps text sharp and is quick to make

    def _wire(self, controls, layout):
        self.figure = Figure(figsize=self.FIGSIZE, dpi=DISPLAY_DPI)
        self.label = w.HTML()
        width = f"{int(self.FIGSIZE[0] * DISPLAY_DPI)}px"
        self.image = w.Image(
            format=self.FORMAT, layout=w.Layout(width=width, max_width="100%", height="auto")
        )
        self.widget = w.VBox([*layout, self.label, self.image], layout=w.Layout(width="100%"))
        for control in controls:
            control.observe(lambda _change: self.update(), names="value")
        self.update()

    _state: tuple[str, ...] = ()  # attributes whose .value the plain repr lists

    def __repr__(self) -> str:
        values = ", ".join(f"{name}={getattr(self, name).value!r}" for name in self._state)
        return f"{type(self).__name__}({values})"

    def _ipython_display_(self):
        """Show the live widget, with a plain repr and the current picture as fallbacks.

        The fallbacks are what a stored notebook shows where no kernel runs (GitHub),
        and the plain repr is what notebook tests compare.
        """
        from IPython.display import display

        bundle = self.widget._repr_mimebundle_()
        bundle["text/plain"] = repr(self)
        png = _draw.png(self.figure, dpi=DISPLAY_DPI)
        bundle["image/png"] = base64.b64encode(png).decode("ascii")
        metadata = {"image/png": {"width": int(self.FIGSIZE[0] * DISPLAY_DPI)}}
        display(bundle, metadata=metadata, raw=True)

    def update(self):
        """Redraw for the current settings; any failure becomes a message in the widget."""
        try:
            self._update()
        except Exception as error:  # a widget must never show a traceback
            self._say(f"could not draw this setting ({type(error).__name__}: {error})")

    def _say(self, message):
        """Show ``message`` in the label and in the picture."""
        _draw.notice(self.figure, _wrap(message))
        self.label.value = f"<b>{html.escape(message)}</b>"
        self._render()

    def _render(self):
        if self.FORMAT == "png":
            self.image.value = _draw.png(self.figure, dpi=PHOTO_DPI)
        else:
            self.image.value = _draw.svg(self.figure)


def _wrap(text, width=60):
    import textwrap

    return textwrap.wrap(text, width) or [""]


class ConvExplorer(_Explorer):
    """Input size, kernel, stride, padding and dilation of a convolution, drawn.

    Draws the padded input (padding grey and hatched, the cells the chosen output's
    window reads orange, rows and columns that no window reads red-hatched), the
    output map, the formula and TensorFlow's actual output size. The input holds
    small whole numbers and the kernel is all ones, so each output cell is the sum
    of the cells its window reads. It opens on a case where the stride does not fit:
    8 cells padded by 1 on each side, a 3x3 window at stride 2, so the last padding
    row and column are never read.

    Examples
    --------
    >>> explorer = ConvExplorer()
    >>> explorer.output_size
    4
    >>> explorer.strides.value = 3
    >>> explorer.output_size
    3
    """

    _state = ("size", "kernel_size", "strides", "padding", "pad", "dilation_rate", "row", "col")

    def __init__(
        self,
        *,
        size=8,
        kernel_size=3,
        strides=2,
        padding="explicit",
        pad=1,
        dilation_rate=1,
        seed=0,
    ):
        self.values = np.random.default_rng(seed).integers(0, 10, (16, 16)).astype(float)
        self.size = _slider(size, 1, 16, "input n")
        self.kernel_size = _slider(kernel_size, 1, 7, "kernel k")
        self.strides = _slider(strides, 1, 4, "stride s")
        self.dilation_rate = _slider(dilation_rate, 1, 3, "dilation d")
        self.padding = w.Dropdown(
            options=["valid", "same", "explicit"],
            value=padding,
            description="padding",
            style={"description_width": "90px"},
            layout=w.Layout(flex="1 1 230px", min_width="230px", max_width="360px"),
        )
        self.pad = _slider(pad, 0, 4, "explicit p")
        self.row = _slider(0, 0, 0, "output row")
        self.col = _slider(0, 0, 0, "output col")
        self.output_size = None
        self._tf_sizes = {}
        controls = [
            self.size,
            self.kernel_size,
            self.strides,
            self.dilation_rate,
            self.padding,
            self.pad,
            self.row,
            self.col,
        ]
        layout = [
            _row([self.size, self.kernel_size, self.strides]),
            _row([self.dilation_rate, self.padding, self.pad]),
            _row([self.row, self.col]),
        ]
        self._wire(controls, layout)

    def _padding_spec(self):
        return self.pad.value if self.padding.value == "explicit" else self.padding.value

    def tensorflow_output_size(self):
        """TensorFlow's output length for the current settings (None without TensorFlow)."""
        n, k, s, d = (
            c.value for c in (self.size, self.kernel_size, self.strides, self.dilation_rate)
        )
        key = (n, k, s, d, self._padding_spec())
        if key not in self._tf_sizes:
            self._tf_sizes[key] = _tensorflow_conv_length(*key)
        return self._tf_sizes[key]

    def _update(self):
        n, k, s, d = (
            c.value for c in (self.size, self.kernel_size, self.strides, self.dilation_rate)
        )
        self.pad.disabled = self.padding.value != "explicit"
        spec = self._padding_spec()
        before, after = shapes.padding_amounts(n, k, strides=s, padding=spec, dilation_rate=d)
        span, padded = shapes.dilated_size(k, d), n + before + after
        if span > padded:
            self.output_size = 0
            for slider in (self.row, self.col):
                slider.max = 0
            self._say(
                f"No output: the window spans {span} cells (kernel {k}"
                + (f" at dilation {d}" if d > 1 else "")
                + f") but the padded input has only {padded} ({n} + {before} + {after}). "
                "Use a smaller kernel, more padding or padding='same'."
            )
            return
        layout = figures.ConvLayout.of(n, k, s, spec, d)
        out = self.output_size = layout.out
        with self.row.hold_trait_notifications(), self.col.hold_trait_notifications():
            for slider in (self.row, self.col):
                slider.max = out - 1
        position = (min(self.row.value, out - 1), min(self.col.value, out - 1))
        actual = self.tensorflow_output_size()
        numbers = padded <= _NUMBERS_UP_TO and out <= _NUMBERS_UP_TO
        figures.conv_geometry(
            n,
            k,
            strides=s,
            padding=spec,
            dilation_rate=d,
            position=position,
            image=self.values[:n, :n] if numbers else None,
            tensorflow=actual,
            fig=self.figure,
        )
        self._render()
        notes = _unread_notes(layout.windows)
        tf_text = "TensorFlow not installed" if actual is None else f"<b>{actual}</b>"
        self.label.value = (
            f"formula: floor(({n} + {before} + {after} - {span}) / {s}) + 1 = <b>{out}</b>"
            f" &nbsp;|&nbsp; TensorFlow's actual output: {tf_text}"
            f" &nbsp;|&nbsp; padding (before, after) = ({before}, {after})"
            + (f" &nbsp;|&nbsp; {'; '.join(notes)}" if notes else "")
            + ("" if numbers else " &nbsp;|&nbsp; (numbers hidden: too many cells)")
        )


def _unread_notes(windows):
    """Sentences about the cells no window reads (see :func:`convlab.shapes.windows`)."""
    last = windows.taps[-1][-1]
    end = sum(cell > last for cell in windows.unread)
    between = len(windows.unread) - end
    notes = []
    if end == 1:
        notes.append("the last row and column are never read")
    elif end:
        notes.append(f"the last {end} rows and columns are never read")
    if between:
        notes.append(f"{between} rows and columns between windows are skipped (stride > window)")
    return notes


def _tensorflow_conv_length(n, k, s, d, padding):
    try:
        from ._tf import import_tensorflow

        tf = import_tensorflow()
    except ImportError:
        return None
    if isinstance(padding, str):
        tf_padding = padding.upper()
    else:
        tf_padding = [[0, 0], [padding, padding], [padding, padding], [0, 0]]
    try:
        result = tf.nn.conv2d(
            tf.zeros((1, n, n, 1)), tf.zeros((k, k, 1, 1)), s, tf_padding, dilations=d
        )
    except (tf.errors.InvalidArgumentError, ValueError):
        return 0
    return int(result.shape[1])


def _cell_text(value: float) -> str:
    """A kernel weight as the text of its cell: exact fractions stay fractions (1/9, not 0.1111)."""
    fraction = Fraction(value).limit_denominator(64)
    if float(fraction) == value and fraction.denominator != 1:
        return f"{fraction.numerator}/{fraction.denominator}"
    return _draw.number(value, 4)


def _parse_cell(text: str) -> float:
    """A kernel cell's text as a number: ``2``, ``-0.5``, ``1e-3`` or a fraction like ``1/9``."""
    text = text.strip().replace("−", "-")
    if "/" in text:
        numerator, denominator = text.split("/", 1)
        value = float(numerator) / float(denominator)
    else:
        value = float(text)
    if not np.isfinite(value):
        raise ValueError(text)
    return value


class KernelPlayground(_Explorer):
    """Pick a kernel from :mod:`convlab.kernels` or type nine numbers; see the photo filtered.

    Colour images are filtered one channel at a time (:func:`convlab.kernels.per_channel`),
    so colours never mix. The result is shown as :func:`convlab.viz.response_style`
    says (kernels summing to 1 clipped to [0, 1] like a photo, edge detectors signed),
    and the label says which. Cells accept numbers and fractions such as ``1/9``;
    editing a cell turns the kernel into "custom".

    Examples
    --------
    >>> playground = KernelPlayground()
    >>> playground.kernel_name.value = "sobel_x"
    >>> float(playground.kernel[1, 2])
    2.0
    >>> playground.cells[0].value = "1/2"
    >>> playground.kernel_name.value
    'custom'
    """

    FIGSIZE = (7.0, 3.9)
    FORMAT = "png"  # photographs: a PNG is smaller than an SVG holding the same pixels
    _state = ("kernel_name", "color")

    def __init__(self, *, kernel="sharpen", color=True, size=128):
        self.photo = photo(size=size)
        self.kernel_name = w.Dropdown(
            options=[*kernels.names(), "custom"], value=kernel, description="kernel"
        )
        self.color = w.Checkbox(value=color, description="colour (per channel)")
        self.cells = [w.Text(layout=w.Layout(width="72px")) for _ in range(9)]
        self._kernel = kernels.get(kernel)
        self._loading = False
        self.kernel_name.observe(lambda _change: self._load_kernel(), names="value")
        grid = w.GridBox(self.cells, layout=w.Layout(grid_template_columns="repeat(3, 76px)"))
        self._load_kernel(update=False)
        self._wire(
            [self.color, *self.cells], [_row([w.VBox([self.kernel_name, self.color]), grid])]
        )

    @property
    def kernel(self) -> np.ndarray:
        """The kernel the cells hold (fractions exact); the last valid one while a cell is not."""
        return self._kernel.copy()

    def _load_kernel(self, update=True):
        if self.kernel_name.value == "custom":
            return  # keep the numbers as they are
        self._loading = True
        self._kernel = kernels.get(self.kernel_name.value)
        for cell, value in zip(self.cells, self._kernel.ravel(), strict=True):
            cell.value = _cell_text(float(value))
        self._loading = False
        if update:
            self.update()

    def _read_cells(self):
        """The nine cells as a kernel, or the first cell that is not a number."""
        values = []
        for index, cell in enumerate(self.cells):
            try:
                values.append(_parse_cell(cell.value))
            except (ValueError, ZeroDivisionError, OverflowError):
                row, col = divmod(index, 3)
                return None, (
                    f"Cell (row {row + 1}, column {col + 1}) holds {cell.value!r}, which is not a "
                    "number. Type a number such as 2, -0.5 or 1/9."
                )
        return np.array(values).reshape(3, 3), None

    def _update(self):
        if self._loading:
            return
        kernel, problem = self._read_cells()
        if problem:
            self._say(problem)
            return
        self._kernel = kernel
        if self.kernel_name.value != "custom" and not np.array_equal(
            kernel, kernels.get(self.kernel_name.value)
        ):
            self._loading = True  # switching the name must not reload the old numbers
            self.kernel_name.value = "custom"
            self._loading = False
        color = self.color.value
        image = self.photo if color else self.photo.mean(axis=2, keepdims=True)
        with np.errstate(over="ignore", invalid="ignore"):
            result = ops.conv2d(
                image[None], kernels.per_channel(kernel, image.shape[2]), padding="same"
            )[0]
        style = viz.response_style(kernel, color=color)
        if len(self.figure.axes) != 2:  # made once, redrawn in place (quicker than new axes)
            self.figure.clear()
            self.figure.subplots(1, 2)
            self.figure.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.9, wspace=0.04)
        left, right = self.figure.axes
        for ax in (left, right):
            for artist in [*ax.images, *ax.texts]:
                artist.remove()
        viz.show_image(image if color else image[:, :, 0], ax=left, title="photograph")
        viz.show_response(result, kernel, ax=right, title="filtered")
        for ax in (left, right):
            ax.title.set_fontsize(10)
        self._render()
        sentence = style.sentence
        largest = float(np.abs(kernel).max())
        if not np.all(np.isfinite(result)):
            sentence += (
                f". The weights (up to {largest:.3g}) make results overflow (inf):"
                " use smaller weights"
            )
        elif style.kind == "clip" and largest >= 1e6:
            sentence += (
                f". The weights (up to {largest:.3g}) push almost every result far outside"
                " [0, 1], so the clipped picture is black and white"
            )
        self.label.value = html.escape(sentence[0].upper() + sentence[1:])


class PoolExplorer(_Explorer):
    """Max or average pooling on a small grid of numbers: size, window, stride, padding.

    Draws the input with the chosen output cell's window (padding grey and hatched,
    the winning cell of a max orange, cells no window reads red-hatched), the pooled
    output with its numbers, and the arithmetic of the chosen cell. It opens on a 7x7
    input with 2x2 windows at stride 2, where the last row and column are dropped.

    Examples
    --------
    >>> explorer = PoolExplorer()
    >>> explorer.output.shape
    (3, 3)
    >>> explorer.strides.value = 1
    >>> explorer.output.shape
    (6, 6)
    """

    FIGSIZE = (8.0, 4.6)
    _state = ("mode", "size", "pool_size", "strides", "padding", "row", "col")

    def __init__(self, *, size=7, pool_size=2, strides=2, padding="valid", mode="max", seed=0):
        self.values = np.random.default_rng(seed).integers(0, 10, (16, 16)).astype(float)
        self.mode = w.ToggleButtons(options=["max", "avg"], value=mode, description="pooling")
        self.size = _slider(size, 1, 10, "input n")
        self.pool_size = _slider(pool_size, 1, 4, "pool k")
        self.strides = _slider(strides, 1, 4, "stride s")
        self.padding = w.Dropdown(options=["valid", "same"], value=padding, description="padding")
        self.row = _slider(0, 0, 0, "output row")
        self.col = _slider(0, 0, 0, "output col")
        self.output = None
        controls = [
            self.mode,
            self.size,
            self.pool_size,
            self.strides,
            self.padding,
            self.row,
            self.col,
        ]
        layout = [
            _row([self.mode, self.padding]),
            _row([self.size, self.pool_size, self.strides]),
            _row([self.row, self.col]),
        ]
        self._wire(controls, layout)

    def _update(self):
        n, k, s = self.size.value, self.pool_size.value, self.strides.value
        padding, mode = self.padding.value, self.mode.value
        if padding == "valid" and k > n:
            self.output = np.zeros((0, 0))
            for slider in (self.row, self.col):
                slider.max = 0
            self._say(
                f"No output: a {k}x{k} window does not fit in a {n}x{n} input without padding. "
                "Use a smaller window, a larger input or padding='same'."
            )
            return
        x = self.values[:n, :n]
        op = ops.max_pool2d if mode == "max" else ops.avg_pool2d
        self.output = op(x[None, :, :, None], k, strides=s, padding=padding)[0, :, :, 0]
        out = self.output.shape[0]
        with self.row.hold_trait_notifications(), self.col.hold_trait_notifications():
            for slider in (self.row, self.col):
                slider.max = out - 1
        position = (min(self.row.value, out - 1), min(self.col.value, out - 1))
        figures.pooling_windows(
            x, k, strides=s, padding=padding, mode=mode, position=position, fig=self.figure
        )
        self._render()
        windows = shapes.windows(n, k, strides=s, padding=padding)
        kept = 100 * out * out / (n * n)
        notes = [f"output {out}x{out} = {out * out} values from {n * n}: {kept:.0f} % kept"]
        if s < k:
            notes.append("windows overlap")
        if windows.before + windows.after:
            notes.append(
                "padded cells never win a max"
                if mode == "max"
                else "padded cells are left out of the average"
            )
        notes += _unread_notes(windows)
        self.label.value = "; ".join(notes)
