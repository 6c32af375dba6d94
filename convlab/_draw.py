"""The drawing kit that :mod:`convlab.figures` and :mod:`convlab.widgets` share.

Every teaching figure is a *board*: one axes whose data unit is one grid cell (y
grows downwards, like array rows), so that grids, labels and arrows placed side by
side share one cell size. Colours have one role each across the whole course
(Paul Tol's colour-blind-safe "light" and "pale" schemes):

==========  =====================================================
role        used for
==========  =====================================================
input       cells of the input
padding     padding cells (also hatched, so they stay visible under a window)
window      the cells one window reads, and the output cell it writes
output      cells of the output
kernel      the kernel's weights
dropped     cells no window reads (red cross-hatching on top of their role)
excluded    padding that pooling leaves out (grey, with a note)
==========  =====================================================

Nothing here touches pyplot or global ``rcParams``.
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import PatchCollection
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, Rectangle

PALETTE = {
    "input": "#BBCCEE",
    "padding": "#E4E4E4",
    "window": "#EE8866",
    "window-padding": "#F6C9B4",
    "output": "#CCDDAA",
    "kernel": "#EEDD88",
    "weight": "#3A1500",
    "dropped": "#CC3311",
    "excluded": "#E4E4E4",
    "empty": "#FFFFFF",
    "line": "#666666",
    "text": "#222222",
    "muted": "#777777",
    "accent": "#BB5522",
}
CELL_INCHES = 0.34  # one grid cell at the figures' natural size: 8 pt numbers fit
DPI = 100


class Drawing(Figure):
    """A figure that says in words what it draws.

    Its plain-text form (what a notebook stores next to the picture, and what a
    reader without the picture gets) is the description: the figure's numbers in
    words, e.g. "5x5 input, padding (1, 1) -> 7x7, kernel 3, stride 2 -> 3x3 output".
    """

    def __init__(self, *args, description="", **kwargs):
        super().__init__(*args, **kwargs)
        self.description = description

    def __repr__(self) -> str:
        return self.description or super().__repr__()


def board(fig, width, height, *, cell=CELL_INCHES, max_width=None, dpi=DPI, description=""):
    """A figure (new, or ``fig`` cleared) with one axes measured in grid cells.

    A new figure is a :class:`Drawing` carrying ``description``; a given figure whose
    class is :class:`Drawing` gets it too. ``width`` x ``height`` cells are visible;
    a new figure is sized so that one cell
    is ``cell`` inches (less if that would make it wider than ``max_width`` inches).
    A given figure keeps its size and the board is fitted into it. Returns ``(fig, ax)``.
    """
    if max_width is not None:
        cell = min(cell, max_width / width)
    if fig is None:
        size = (max(width * cell, 1.0), max(height * cell, 0.6))
        fig = Drawing(figsize=size, dpi=dpi, description=description)
    else:
        fig.clear()
        if isinstance(fig, Drawing):
            fig.description = description
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.set_aspect("equal", adjustable="box")
    ax.set_axis_off()
    return fig, ax


def points_per_cell(ax) -> float:
    """How many typographic points one cell spans on ``ax`` as the figure is sized."""
    box = ax.get_window_extent()  # display pixels; works in figures and subfigures
    (x0, x1), (y1, y0) = ax.get_xlim(), ax.get_ylim()
    pixels = min(box.width / (x1 - x0), box.height / (y1 - y0))
    return 72 * pixels / ax.figure.dpi


def font_for(ax, chars: int = 2, *, largest: float = 11.0) -> float:
    """A font size that fits ``chars`` characters in one cell (never below 6 pt)."""
    return float(np.clip(points_per_cell(ax) * 1.5 / max(chars + 1, 2), 6.0, largest))


def number(value, decimals: int = 2) -> str:
    """A cell's value as short text: whole numbers without decimals, never ``-0``."""
    value = float(value)
    if not np.isfinite(value):
        return "-∞" if value < 0 else ("∞" if value > 0 else "nan")
    text = f"{value:.{decimals}f}".rstrip("0").rstrip(".") if decimals else f"{value:.0f}"
    return "0" if text in ("-0", "") else text


def cells(ax, roles, *, at=(0, 0), values=None, fontsize=None, gid=None, text_colors=None):
    """Draw a grid of cells coloured by role, with optional text in each cell.

    Parameters
    ----------
    roles : array_like of str, shape (h, w)
        A :data:`PALETTE` key per cell, or ``""`` for no cell.
    at : (x, y)
        Board position of the grid's top-left corner, in cells.
    values : array_like of str, shape (h, w), optional
        Text per cell (``""`` or None for none).
    gid : str, optional
        Given to the image (``gid``) and the texts (``gid + "-text"``), so tests can
        find what was drawn.
    """
    roles = np.asarray(roles, dtype=object)
    h, w = roles.shape
    x0, y0 = at
    if not (h and w):
        return
    # One collection of squares (faces and edges) instead of an image: crisp at any
    # resolution and quick to draw.
    squares, faces = [], []
    for (row, col), role in np.ndenumerate(roles):
        if role:
            squares.append(Rectangle((x0 + col, y0 + row), 1, 1))
            faces.append(PALETTE[role])
    collection = PatchCollection(
        squares, facecolors=faces, edgecolor=PALETTE["line"], linewidth=0.6, zorder=1
    )
    collection.set_gid(gid)
    collection.roles = roles  # what each square means, for tests and readers of the figure
    collection.origin = (x0, y0)
    ax.add_collection(collection)
    if values is None:
        return
    values = np.asarray(values, dtype=object)
    size = fontsize or font_for(ax, max((len(str(v)) for v in values.flat if v), default=1))
    for (row, col), text in np.ndenumerate(values):
        if text is None or text == "":
            continue
        colour = PALETTE["muted"] if roles[row, col] in ("padding", "excluded") else PALETTE["text"]
        if text_colors is not None and text_colors[row][col]:
            colour = text_colors[row][col]
        ax.text(
            x0 + col + 0.5,
            y0 + row + 0.52,
            text,
            ha="center",
            va="center",
            fontsize=size,
            color=colour,
            zorder=4,
            gid=f"{gid}-text" if gid else None,
        )


def hatch(ax, coords, *, at=(0, 0), pattern="xx", color=None, gid=None, alpha=1.0):
    """Hatch the cells ``coords`` (``(row, col)`` pairs) of a grid drawn at ``at``."""
    coords = list(coords)
    if not coords:
        return None
    x0, y0 = at
    patches = [Rectangle((x0 + col, y0 + row), 1, 1) for row, col in coords]
    collection = PatchCollection(
        patches,
        facecolor="none",
        edgecolor=color or PALETTE["dropped"],
        hatch=pattern,
        linewidth=0,
        alpha=alpha,
        zorder=3,
    )
    collection.set_gid(gid)
    ax.add_collection(collection)
    return collection


def outline(ax, x, y, width, height, *, color=None, linewidth=2.2, linestyle="-", gid=None):
    """A rectangle's outline on the board (a window, a filter, a group of cells)."""
    patch = Rectangle(
        (x, y),
        width,
        height,
        fill=False,
        edgecolor=color or PALETTE["accent"],
        linewidth=linewidth,
        linestyle=linestyle,
        zorder=5,
    )
    patch.set_gid(gid)
    ax.add_patch(patch)
    return patch


def arrow(ax, start, end, *, color=None, text=None, fontsize=9, rad=0.0, gid=None):
    """An arrow from ``start`` to ``end`` (board coordinates), optionally labelled at its middle."""
    patch = FancyArrowPatch(
        start,
        end,
        arrowstyle="-|>",
        mutation_scale=12,
        linewidth=1.3,
        color=color or PALETTE["accent"],
        connectionstyle=f"arc3,rad={rad}",
        zorder=3.5,  # over the cells, under their numbers
        shrinkA=2,
        shrinkB=2,
    )
    patch.set_gid(gid)
    ax.add_patch(patch)
    if text:
        middle = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
        ax.text(*middle, text, ha="center", va="bottom", fontsize=fontsize, color=PALETTE["text"])
    return patch


def caption(ax, x, y, text, *, fontsize=10, ha="left", va="center", color=None, **kwargs):
    """Text on the board (titles, labels next to what they name, formulas)."""
    return ax.text(
        x,
        y,
        text,
        ha=ha,
        va=va,
        fontsize=fontsize,
        color=color or PALETTE["text"],
        zorder=6,
        **kwargs,
    )


def png(fig: Figure, *, dpi: float) -> bytes:
    """The figure as PNG bytes at ``dpi`` (a fast zlib level: widgets redraw often)."""
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


def notice(fig, lines, *, width=20, height=6):
    """A picture that only says something (a widget setting with nothing to draw)."""
    fig, ax = board(fig, width, height)
    caption(
        ax,
        width / 2,
        height / 2,
        "\n".join(lines),
        fontsize=11,
        ha="center",
        wrap=True,
        gid="notice",
    )
    return fig


def svg(fig: Figure) -> bytes:
    """The figure as SVG bytes: text stays text (sharp at any size) and drawing is quick."""
    import io

    import matplotlib

    buffer = io.BytesIO()
    # Only for this call (rc_context restores the settings): keep text as <text>, and
    # make the ids and metadata repeatable so that two renderings of one state agree.
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "convlab"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()
