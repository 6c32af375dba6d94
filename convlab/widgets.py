"""Interactive explorers for the notebooks (ipywidgets 8, JupyterLab 4).

Each explorer is a small object holding its controls, a text ``label`` and an
``image`` (a PNG rendered from a matplotlib figure that pyplot does not track), so
it works in any front end without a matplotlib widget backend, and tests can set
``.value`` on a control and read back the label, the figure and the picture.
Show one by making it the last expression of a cell.

All arithmetic comes from :mod:`convlab.shapes` and all pixels from
:mod:`convlab` itself; TensorFlow, when installed, supplies the "actual" output
shape that the convolution explorer shows next to the formula.
"""

from __future__ import annotations

import base64
import io

import ipywidgets as w
import numpy as np
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure

from . import kernels, ops, shapes
from .data import photo

__all__ = ["ConvExplorer", "KernelPlayground", "PoolExplorer"]

_INPUT, _PAD, _WINDOW, _DROPPED, _OUTPUT = "#d9e6f2", "#ffffff", "#f4a261", "#e76f51", "#a8dadc"


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    # Fast zlib level: the picture is redrawn on every change, and size matters little.
    fig.savefig(buffer, format="png", dpi=72, pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


def _draw_grid(ax, colours, values=None, *, extent=None, title=""):
    """Draw a grid of coloured cells (an (h, w) array of colours), optionally numbered.

    One image and two line collections instead of an artist per cell, so that a
    redraw stays fast. ``extent`` fixes the axes to that many cells, so that two
    grids drawn side by side share one cell size.
    """
    for artist in [*ax.images, *ax.collections, *ax.texts]:
        artist.remove()
    h, w_ = colours.shape
    size = extent or max(h, w_, 1)
    if h and w_:
        rgb = np.array([to_rgb(c) for c in colours.ravel()]).reshape(h, w_, 3)
        ax.imshow(rgb, extent=(0, w_, h, 0), interpolation="nearest")
        ax.hlines(np.arange(h + 1), 0, w_, colors="#888888", linewidth=0.6)
        ax.vlines(np.arange(w_ + 1), 0, h, colors="#888888", linewidth=0.6)
    if values is not None:
        for (row, col), value in np.ndenumerate(values):
            if value is not None:
                ax.text(col + 0.5, row + 0.5, value, ha="center", va="center", fontsize=7)
    ax.set_xlim(-0.1, size + 0.1)
    ax.set_ylim(size + 0.1, -0.1)
    ax.set_title(title, fontsize=9)


def _grid_figure():
    """A figure with two square, tick-free axes side by side (made once, redrawn in place)."""
    fig = Figure(figsize=(7.5, 3.6))
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.9, wspace=0.1)
    axes = fig.subplots(1, 2)
    for ax in axes:
        ax.set_aspect("equal")
        ax.set_axis_off()
    return fig, axes


class _Explorer:
    """Shared plumbing: controls observe ``update``; ``widget`` is what a notebook shows."""

    def _wire(self, controls, layout):
        self.label = w.HTML()
        self.image = w.Image(format="png")
        self.widget = w.VBox([*layout, self.label, self.image])
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
        bundle["image/png"] = base64.b64encode(self.image.value).decode("ascii")
        display(bundle, raw=True)

    def _render(self):
        self.image.value = _png(self.figure)


class ConvExplorer(_Explorer):
    """Input size, kernel, stride, padding and dilation of a convolution, drawn.

    Draws the padded input (padding white, the window at the chosen output
    position orange, rows and columns that no window reaches red) and the output
    map, and shows the formula's output size next to TensorFlow's actual one.

    Examples
    --------
    >>> explorer = ConvExplorer()
    >>> explorer.strides.value = 2
    >>> explorer.output_size
    3
    """

    _state = ("size", "kernel_size", "strides", "padding", "pad", "dilation_rate", "row", "col")

    def __init__(self, *, size=7, kernel_size=3, strides=1, padding="valid", dilation_rate=1):
        style = {"description_width": "90px"}
        self.size = w.IntSlider(size, 1, 16, description="input n", style=style)
        self.kernel_size = w.IntSlider(kernel_size, 1, 7, description="kernel k", style=style)
        self.strides = w.IntSlider(strides, 1, 4, description="stride s", style=style)
        self.dilation_rate = w.IntSlider(dilation_rate, 1, 3, description="dilation d", style=style)
        self.padding = w.Dropdown(
            options=["valid", "same", "explicit"], value=padding, description="padding", style=style
        )
        self.pad = w.IntSlider(1, 0, 4, description="explicit p", style=style)
        self.row = w.IntSlider(0, 0, 0, description="output row", style=style)
        self.col = w.IntSlider(0, 0, 0, description="output col", style=style)
        self.figure, self.axes = _grid_figure()
        self.output_size = None
        self._tf_shapes = {}
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
            w.HBox([self.size, self.kernel_size, self.strides]),
            w.HBox([self.dilation_rate, self.padding, self.pad]),
            w.HBox([self.row, self.col]),
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
        if key not in self._tf_shapes:
            self._tf_shapes[key] = _tensorflow_conv_length(*key)
        return self._tf_shapes[key]

    def update(self):
        n, k, s, d = (
            c.value for c in (self.size, self.kernel_size, self.strides, self.dilation_rate)
        )
        self.pad.disabled = self.padding.value != "explicit"
        spec = self._padding_spec()
        before, after = shapes.padding_amounts(n, k, strides=s, padding=spec, dilation_rate=d)
        span = shapes.dilated_size(k, d)
        padded = n + before + after
        fits = padded >= span
        self.output_size = (
            shapes.conv_output_size(n, k, strides=s, padding=spec, dilation_rate=d) if fits else 0
        )
        out = self.output_size
        with self.row.hold_trait_notifications(), self.col.hold_trait_notifications():
            for slider in (self.row, self.col):
                slider.max = max(out - 1, 0)
        y, x = min(self.row.value, max(out - 1, 0)), min(self.col.value, max(out - 1, 0))

        colours = np.full((padded, padded), _PAD, dtype=object)
        colours[before : before + n, before : before + n] = _INPUT
        reach = (out - 1) * s + span if out else 0  # cells up to here are seen by some window
        dropped = [i for i in range(padded) if i >= reach]
        for i in dropped:
            colours[i, :] = _DROPPED
            colours[:, i] = _DROPPED
        if out:
            taps = [y * s + i * d for i in range(k)], [x * s + j * d for j in range(k)]
            for r in taps[0]:
                for c in taps[1]:
                    colours[r, c] = _WINDOW
        left, right = self.axes
        _draw_grid(left, colours, title=f"padded input {padded}x{padded}")
        out_colours = np.full((out, out), _OUTPUT, dtype=object)
        if out:
            out_colours[y, x] = _WINDOW
        _draw_grid(right, out_colours, extent=max(padded, 1), title=f"output {out}x{out}")
        self._render()

        formula = (
            f"floor(({n} + {before} + {after} - {span}) / {s}) + 1 = <b>{out}</b>"
            if fits
            else f"the window ({span}) is larger than the padded input ({padded}): no output"
        )
        # Only ask TensorFlow when the window fits: otherwise its oneDNN kernel may raise or,
        # at some strides, return a made-up shape (3x3 input, 5x5 kernel, stride 2 gives 3x3).
        actual = self.tensorflow_output_size() if fits else "-"
        tf_text = "TensorFlow not installed" if actual is None else f"<b>{actual}</b>"
        note = f"; cells dropped at the end: {len(dropped)}" if dropped and fits else ""
        self.label.value = (
            f"formula: {formula} &nbsp;|&nbsp; TensorFlow's actual output: {tf_text}"
            f" &nbsp;|&nbsp; padding (before, after) = ({before}, {after}){note}"
        )


def _tensorflow_conv_length(n, k, s, d, padding):
    try:
        import tensorflow as tf
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


class KernelPlayground(_Explorer):
    """Pick a kernel from :mod:`convlab.kernels` or edit its nine numbers; see the photo filtered.

    Colour images are filtered one channel at a time (:func:`convlab.kernels.per_channel`),
    so colours never mix. Results with negative values (edge detectors) are shown
    as their absolute value, scaled to the brightest response.

    Examples
    --------
    >>> playground = KernelPlayground()
    >>> playground.kernel_name.value = "sobel_x"
    >>> float(playground.kernel[1, 2])
    2.0
    """

    _state = ("kernel_name", "color")

    def __init__(self, *, kernel="sharpen", color=True, size=128):
        self.photo = photo(size=size)
        self.kernel_name = w.Dropdown(options=kernels.names(), value=kernel, description="kernel")
        self.color = w.Checkbox(value=color, description="colour (per channel)")
        self.cells = [w.FloatText(layout=w.Layout(width="70px")) for _ in range(9)]
        self.figure = Figure(figsize=(7, 3.6))
        self.figure.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.92, wspace=0.05)
        self.axes = self.figure.subplots(1, 2)
        self._loading = False
        self.kernel_name.observe(lambda _change: self._load_kernel(), names="value")
        grid = w.GridBox(self.cells, layout=w.Layout(grid_template_columns="repeat(3, 75px)"))
        self._load_kernel(update=False)
        self._wire(
            [self.color, *self.cells], [w.HBox([w.VBox([self.kernel_name, self.color]), grid])]
        )

    @property
    def kernel(self) -> np.ndarray:
        return np.array([cell.value for cell in self.cells], dtype=float).reshape(3, 3)

    def _load_kernel(self, update=True):
        self._loading = True
        for cell, value in zip(
            self.cells, kernels.get(self.kernel_name.value).ravel(), strict=True
        ):
            cell.value = round(float(value), 4)
        self._loading = False
        if update:
            self.update()

    def update(self):
        if self._loading:
            return
        image = self.photo if self.color.value else self.photo.mean(axis=2, keepdims=True)
        channels = image.shape[2]
        result = ops.conv2d(
            image[None], kernels.per_channel(self.kernel, channels), padding="same"
        )[0]
        signed = bool((result < -1e-6).any())
        shown = (
            np.abs(result) / max(float(np.abs(result).max()), 1e-12)
            if signed
            else np.clip(result, 0, 1)
        )
        for ax, picture, title in zip(
            self.axes, (image, shown), ("photograph", "filtered"), strict=True
        ):
            for artist in ax.images:
                artist.remove()
            ax.imshow(picture if channels == 3 else picture[:, :, 0], cmap="gray", vmin=0, vmax=1)
            ax.set_axis_off()
            ax.set_title(title, fontsize=9)
        self._render()
        total = float(self.kernel.sum())
        self.label.value = (
            f"kernel sum {total:g}: "
            + (
                "keeps the overall brightness"
                if abs(total - 1) < 1e-6
                else "flat areas become 0 (an edge detector); showing |result|"
                if abs(total) < 1e-6
                else "changes the overall brightness"
            )
            + (
                "; negative responses shown as brightness too"
                if signed and abs(total) >= 1e-6
                else ""
            )
        )


class PoolExplorer(_Explorer):
    """Max or average pooling on a small grid of numbers: size, stride, padding.

    Draws the input with the chosen output's window (padding cells white), and the
    pooled output with its numbers.

    Examples
    --------
    >>> explorer = PoolExplorer()
    >>> explorer.strides.value = 1
    >>> explorer.output.shape
    (5, 5)
    """

    _state = ("mode", "size", "pool_size", "strides", "padding", "row", "col")

    def __init__(self, *, size=6, pool_size=2, strides=2, padding="valid", mode="max", seed=0):
        style = {"description_width": "80px"}
        self.values = np.random.default_rng(seed).integers(0, 10, (16, 16)).astype(float)
        self.mode = w.ToggleButtons(options=["max", "avg"], value=mode, description="pooling")
        self.size = w.IntSlider(size, 2, 10, description="input n", style=style)
        self.pool_size = w.IntSlider(pool_size, 1, 4, description="pool k", style=style)
        self.strides = w.IntSlider(strides, 1, 4, description="stride s", style=style)
        self.padding = w.Dropdown(options=["valid", "same"], value=padding, description="padding")
        self.row = w.IntSlider(0, 0, 0, description="output row", style=style)
        self.col = w.IntSlider(0, 0, 0, description="output col", style=style)
        self.figure, self.axes = _grid_figure()
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
            w.HBox([self.mode, self.padding]),
            w.HBox([self.size, self.pool_size, self.strides]),
            w.HBox([self.row, self.col]),
        ]
        self._wire(controls, layout)

    def update(self):
        n, k, s = self.size.value, self.pool_size.value, self.strides.value
        padding = self.padding.value
        x = self.values[:n, :n]
        if n < k and padding == "valid":
            self.output = np.zeros((0, 0))
        else:
            op = ops.max_pool2d if self.mode.value == "max" else ops.avg_pool2d
            self.output = op(x[None, :, :, None], k, strides=s, padding=padding)[0, :, :, 0]
        out = self.output.shape[0]
        with self.row.hold_trait_notifications(), self.col.hold_trait_notifications():
            for slider in (self.row, self.col):
                slider.max = max(out - 1, 0)
        y, x_ = min(self.row.value, max(out - 1, 0)), min(self.col.value, max(out - 1, 0))
        before, after = shapes.padding_amounts(n, k, strides=s, padding=padding)
        padded = n + before + after
        colours = np.full((padded, padded), _PAD, dtype=object)
        colours[before : before + n, before : before + n] = _INPUT
        numbers = np.full((padded, padded), None, dtype=object)
        numbers[before : before + n, before : before + n] = np.vectorize(lambda v: f"{v:g}")(x)
        if out:
            colours[y * s : y * s + k, x_ * s : x_ * s + k] = np.where(
                colours[y * s : y * s + k, x_ * s : x_ * s + k] == _INPUT, _WINDOW, "#fde2c8"
            )
        left, right = self.axes
        _draw_grid(
            left,
            colours,
            numbers,
            title=f"input {n}x{n}" + (f", padded {padded}x{padded}" if padded != n else ""),
        )
        out_colours = np.full((out, out), _OUTPUT, dtype=object)
        if out:
            out_colours[y, x_] = _WINDOW
        labels = np.vectorize(lambda v: f"{v:.3g}")(self.output) if out else None
        _draw_grid(
            right,
            out_colours,
            labels,
            extent=padded,
            title=f"{self.mode.value} pool output {out}x{out}",
        )
        self._render()
        kept = 100 * out * out / (n * n)
        self.label.value = (
            f"output {out}x{out} = {out * out} values from {n * n}: {kept:.0f} % kept; "
            f"window {k}x{k}, stride {s}"
            + (" (windows overlap)" if s < k else "")
            + ("; padded cells are ignored" if padded != n else "")
        )
