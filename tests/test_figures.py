"""The teaching figures draw what shapes and the ops say: geometry read back from the drawing."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import convlab  # noqa: E402
from convlab import figures, shapes  # noqa: E402


# ------------------------------------------------------------ reading a drawing back
def board(fig):
    (ax,) = fig.axes
    return ax


def grid(ax, gid):
    """The roles of the grid drawn with ``gid``: {(row, col): role}, and its origin."""
    (collection,) = [c for c in ax.collections if c.get_gid() == gid and hasattr(c, "roles")]
    roles = {cell: role for cell, role in np.ndenumerate(collection.roles) if role}
    return roles, collection.origin


def grids(ax, prefix):
    return [
        c for c in ax.collections if (c.get_gid() or "").startswith(prefix) and hasattr(c, "roles")
    ]


def hatched(ax, gid, origin):
    """Cells (row, col), relative to ``origin``, covered by the hatch collection ``gid``."""
    cells = set()
    for collection in ax.collections:
        if collection.get_gid() != gid:
            continue
        for path in collection.get_paths():
            x, y = path.vertices.min(axis=0)
            cells.add((round(y - origin[1]), round(x - origin[0])))
    return cells


def texts(ax, gid):
    return [t.get_text() for t in ax.texts if t.get_gid() == gid]


def outlines(ax, gid):
    return [p for p in ax.patches if p.get_gid() == gid]


ALL = [
    lambda fig=None: figures.window_step(np.arange(16.0).reshape(4, 4), np.eye(3), (1, 0), fig=fig),
    lambda fig=None: figures.window_steps(np.arange(20.0).reshape(4, 5), np.eye(2), fig=fig),
    lambda fig=None: figures.conv_geometry(7, 3, strides=2, padding=1, fig=fig),
    lambda fig=None: figures.conv_positions(5, 3, strides=2, padding=1, fig=fig),
    lambda fig=None: figures.same_padding_split(fig=fig),
    lambda fig=None: figures.filter_volumes(fig=fig),
    lambda fig=None: figures.conv_flavours(fig=fig),
    lambda fig=None: figures.im2col(np.arange(16.0).reshape(4, 4), np.ones((3, 3)), fig=fig),
    lambda fig=None: figures.pooling_windows(
        np.arange(9.0).reshape(3, 3), 2, padding="same", fig=fig
    ),
    lambda fig=None: figures.transposed_stamps(np.ones((2, 2)), np.ones((3, 3)), fig=fig),
    lambda fig=None: figures.receptive_field(fig=fig),
]
NAMES = [
    "window_step",
    "window_steps",
    "conv_geometry",
    "conv_positions",
    "same_padding_split",
    "filter_volumes",
    "conv_flavours",
    "im2col",
    "pooling_windows",
    "transposed_stamps",
    "receptive_field",
]


def test_every_public_figure_is_covered():
    assert sorted(figures.__all__) == sorted(NAMES)


@pytest.mark.parametrize("draw", ALL, ids=NAMES)
def test_draws_a_legible_untracked_figure(draw):
    before = plt.get_fignums()
    fig = draw()
    assert isinstance(fig, Figure) and plt.get_fignums() == before
    fig.canvas.draw()  # renders without error
    width, height = fig.get_size_inches()
    assert 3 <= width <= 10 and 1 <= height <= 10, (width, height)
    sizes = [t.get_fontsize() for t in fig.axes[0].texts]
    assert min(sizes) >= 6, "text must stay legible at 100 dpi"
    assert fig.dpi == 100


@pytest.mark.parametrize("draw", ALL, ids=NAMES)
def test_draws_into_a_given_figure_or_subfigure(draw):
    fig = Figure()
    top, bottom = fig.subfigures(2, 1)
    assert draw(fig=bottom) is bottom
    assert len(bottom.axes) == 1 and not top.axes


# -------------------------------------------------------------- 01: one window step
def test_window_step_writes_the_products_and_their_sum():
    image = np.array([[1.0, -2, 3, 0], [4, 5, -6, 1], [7, 8, 9, 2]])
    kernel = np.array([[1.0, 0], [-1, 2]])
    fig = figures.window_step(image, kernel, (1, 2))
    ax = board(fig)
    (products,) = texts(ax, "products")
    assert products == "-6×1 + 1×0\n+ 9×(-1) + 2×2\n= -11"
    expected = convlab.conv2d(image[None, :, :, None], kernel[:, :, None, None])[0, :, :, 0]
    assert expected[1, 2] == -11
    roles, _ = grid(ax, "output")
    assert roles[(1, 2)] == "window"
    assert [roles[(0, c)] for c in range(3)] == ["output"] * 3  # filled before this step
    assert (1, 0) in roles and roles.get((1, 0)) == "output"
    window = {cell for cell, role in grid(ax, "input")[0].items() if role == "window"}
    assert window == {(1, 2), (1, 3), (2, 2), (2, 3)}
    assert texts(ax, "weight-text") == ["1", "0", "-1", "2"]


def test_window_steps_fill_the_output_in_reading_order():
    fig = figures.window_steps(np.arange(25.0).reshape(5, 5), np.ones((3, 3)))
    outputs = grids(board(fig), "output")
    assert len(outputs) == 4  # three first steps and the last
    filled = [int(np.sum(c.roles != "empty")) for c in outputs]
    assert filled == [1, 2, 3, 9]


# ------------------------------------------------ 02: padding, stride, dilation, dropped
GEOMETRY = [
    (7, 2, 2, "valid", 1),
    (8, 3, 2, 1, 1),
    (9, 3, 3, 1, 1),
    (28, 5, 2, "same", 1),
    (9, 3, 1, "valid", 2),
    (10, 3, 2, (0, 2), 2),
    (8, 1, 3, "valid", 1),  # stride larger than the window: cells skipped between windows
    (6, 4, 1, "same", 1),
]


@pytest.mark.parametrize("n, k, s, padding, d", GEOMETRY)
def test_conv_geometry_draws_what_shapes_computes(n, k, s, padding, d):
    expected = shapes.windows(n, k, strides=s, padding=padding, dilation_rate=d)
    out = shapes.conv_output_size(n, k, strides=s, padding=padding, dilation_rate=d)
    position = (out - 1, out // 2)
    fig = figures.conv_geometry(
        n, k, strides=s, padding=padding, dilation_rate=d, position=position
    )
    ax = board(fig)
    roles, origin = grid(ax, "padded-input")
    size = expected.padded
    assert max(r for r, _ in roles) + 1 == size == n + expected.before + expected.after
    real = {cell for cell, role in roles.items() if role in ("input", "window")}
    first, last = expected.before, expected.before + n
    assert real == {(r, c) for r in range(first, last) for c in range(first, last)}
    taps = {cell for cell, role in roles.items() if role.startswith("window")}
    rows, cols = expected.taps[position[0]], expected.taps[position[1]]
    assert taps == {(r, c) for r in rows for c in cols}
    unread = set(expected.unread)
    assert hatched(ax, "dropped", origin) == {
        (r, c) for r in range(size) for c in range(size) if r in unread or c in unread
    }
    padding_cells = {cell for cell, role in roles.items() if "padding" in role}
    assert hatched(ax, "padding", origin) == padding_cells
    out_roles, _ = grid(ax, "output")
    assert max(r for r, _ in out_roles) + 1 == out
    assert [cell for cell, role in out_roles.items() if role == "window"] == [position]
    (formula,) = texts(ax, "formula")
    assert formula.endswith(f"= {out}")


def test_conv_geometry_numbers_are_convlabs_output():
    image = np.arange(36.0).reshape(6, 6) - 10
    fig = figures.conv_geometry(6, 3, strides=2, padding="same", image=image, tensorflow=3)
    ax = board(fig)
    expected = convlab.conv2d(
        image[None, :, :, None], np.ones((3, 3, 1, 1)), strides=2, padding="same"
    )
    shown = [float(t) for t in texts(ax, "output-text")]
    np.testing.assert_array_equal(shown, expected.ravel())
    assert texts(ax, "tensorflow") == ["TensorFlow's output: 3x3"]


def test_windows_agree_with_tensorflow(tf):
    # Which input cells does output i read? Put a 1 in one input cell at a time and see
    # which outputs of an all-ones kernel light up.
    cases = [
        (7, 2, 2, "VALID", 1),
        (8, 3, 2, "SAME", 1),
        (9, 3, 1, "VALID", 2),
        (10, 4, 3, "SAME", 1),
        (11, 3, 2, "SAME", 2),
    ]
    for n, k, s, padding, d in cases:
        expected = shapes.windows(n, k, strides=s, padding=padding.lower(), dilation_rate=d)
        inputs = np.eye(n, dtype=np.float32).reshape(n, n, 1, 1)  # batch of one-hot columns
        lit = tf.nn.conv2d(
            inputs, tf.ones((k, 1, 1, 1)), [1, s, 1, 1], padding, dilations=[d, 1]
        ).numpy()
        reads = [set(np.flatnonzero(lit[:, i, 0, 0])) for i in range(lit.shape[1])]
        drawn = [
            {c - expected.before for c in taps if 0 <= c - expected.before < n}
            for taps in expected.taps
        ]
        assert drawn == reads, (n, k, s, padding, d)


def test_conv_positions_draws_one_frame_per_output_cell():
    fig = figures.conv_positions(5, 3, strides=2, padding=1)
    ax = board(fig)
    frames = grids(ax, "padded-input")
    assert len(frames) == 9
    expected = shapes.windows(5, 3, strides=2, padding=1)
    for index, frame in enumerate(frames):
        r, c = divmod(index, 3)
        taps = {cell for cell, role in np.ndenumerate(frame.roles) if role.startswith("window")}
        assert taps == {(i, j) for i in expected.taps[r] for j in expected.taps[c]}


def test_conv_positions_refuses_too_many_frames():
    with pytest.raises(
        ValueError, match=r"conv_positions: draws at most 4x4 positions; this setting has 5x5"
    ):
        figures.conv_positions(9, 3, strides=2, padding=1)


def test_same_padding_split_draws_tensorflows_split():
    fig = figures.same_padding_split(28, 5, strides=2)
    ax = board(fig)
    roles, _ = grid(ax, "strip")
    assert [roles[(0, c)] for c in range(31)] == ["padding"] + ["input"] * 28 + ["padding"] * 2
    bars = outlines(ax, "window")
    assert len(bars) == 14 == shapes.conv_output_size(28, 5, strides=2, padding="same")
    starts = sorted(round(bar.get_x()) for bar in bars)
    assert starts == [t[0] for t in shapes.windows(28, 5, strides=2, padding="same").taps]


# ------------------------------------------------------------------------- 03: channels
def test_filter_volumes_and_flavours_count_with_shapes():
    ax = board(figures.filter_volumes(3, 4, kernel_size=3))
    assert texts(ax, "count") == [
        f"3x3x3 = 27 weights + 1 bias = {shapes.conv_params(3, 3, 1)} parameters",
        f"4 filters: 4 x 28 = {shapes.conv_params(3, 3, 4)} parameters",
    ]
    counts = texts(board(figures.conv_flavours(16, 32)), "count")
    assert (
        [int(t.rsplit("= ", 1)[1].replace(",", "")) for t in counts]
        == [
            shapes.conv_params(3, 16, 32),
            shapes.conv_params(1, 16, 32),
            shapes.depthwise_params(3, 16),
            shapes.separable_params(3, 16, 32),
        ]
        == [4640, 544, 160, 688]
    )


def test_im2col_shows_the_product_convlab_computes(rng):
    image, kernel = (
        rng.integers(-5, 6, (4, 5)).astype(float),
        rng.integers(-2, 3, (3, 3)).astype(float),
    )
    ax = board(figures.im2col(image, kernel, highlight=2))
    product = [float(t) for t in texts(ax, "product-text")]
    expected = convlab.conv2d(image[None, :, :, None], kernel[:, :, None, None])[0, :, :, 0]
    np.testing.assert_array_equal(product, expected.ravel())
    patches, _ = grid(ax, "patches")
    assert max(patches)[0] + 1 == expected.size and max(patches)[1] + 1 == kernel.size
    assert {cell for cell, role in patches.items() if role == "window"} == {
        (2, j) for j in range(9)
    }
    window = {cell for cell, role in grid(ax, "input")[0].items() if role == "window"}
    assert window == {(r, c) for r in range(3) for c in range(2, 5)}


# -------------------------------------------------------------------------- 04: pooling
def test_pooling_windows_marks_each_windows_winner():
    x = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], float)
    ax = board(figures.pooling_windows(x, 2))
    roles, _ = grid(ax, "input")
    assert sorted(cell for cell, role in roles.items() if role == "window") == [
        (1, 1),
        (1, 3),
        (2, 0),
        (3, 3),
    ]
    assert texts(ax, "output-text") == ["6", "8", "3", "4"]
    assert len(outlines(ax, "window")) == 4


def test_same_pooling_excludes_padding_and_writes_the_average():
    nine = np.arange(1.0, 10.0).reshape(3, 3)
    ax = board(figures.pooling_windows(nine, 2, padding="same", mode="avg", position=(1, 1)))
    roles, origin = grid(ax, "input")
    excluded = {cell for cell, role in roles.items() if role == "excluded"}
    assert excluded == {(3, 0), (3, 1), (3, 2), (3, 3), (0, 3), (1, 3), (2, 3)}
    assert hatched(ax, "excluded", origin) == excluded
    assert texts(ax, "output-text") == ["3", "4.5", "7.5", "9"]
    assert texts(ax, "computation") == [
        "output[1, 1] = mean of the 1 real cell = 9 / 1 = 9  (3 padded cells left out)"
    ]
    ax = board(figures.pooling_windows(-nine, 2, padding="same", position=(0, 1)))
    assert texts(ax, "computation") == [
        "output[0, 1] = max(-3, -6) = -3  (2 padded cells count as -∞)"
    ]


def test_pooling_marks_the_dropped_row_and_column():
    ax = board(figures.pooling_windows(np.zeros((5, 5)), 2))
    _, origin = grid(ax, "input")
    assert hatched(ax, "dropped", origin) == {
        (r, c) for r in range(5) for c in range(5) if 4 in (r, c)
    }


# ------------------------------------------------------------------------------- 05
@pytest.mark.parametrize(
    "padding, output_padding", [("valid", None), ("valid", 1), ("same", None), ("same", 1)]
)
def test_transposed_stamps_add_up_to_conv2d_transpose(rng, padding, output_padding):
    x, kernel = rng.integers(-3, 4, (2, 3)).astype(float), rng.integers(-2, 3, (3, 3)).astype(float)
    fig = figures.transposed_stamps(
        x, kernel, strides=2, padding=padding, output_padding=output_padding
    )
    ax = board(fig)
    expected = convlab.conv2d_transpose(
        x[None, :, :, None],
        kernel[:, :, None, None],
        strides=2,
        padding=padding,
        output_padding=output_padding,
    )[0, :, :, 0]
    shown = [float(t) for t in texts(ax, "sum-text")]
    np.testing.assert_array_equal(shown, expected.ravel())
    rows = shapes.transpose_stamps(2, 3, strides=2, padding=padding, output_padding=output_padding)
    cols = shapes.transpose_stamps(3, 3, strides=2, padding=padding, output_padding=output_padding)
    stamp = [c for c in ax.collections if c.get_gid() == "stamp-1-2"][0]
    lit = np.argwhere(stamp.roles == "window")
    low_r, low_c = min(0, rows.starts[0]), min(0, cols.starts[0])
    assert (lit.min(axis=0) + (low_r, low_c)).tolist() == [rows.starts[1], cols.starts[2]]
    assert bool(outlines(ax, "output-padding")) == bool(output_padding and padding == "valid")


def test_stamps_agree_with_conv2d_transpose_one_cell_at_a_time():
    for n, k, s, padding, extra in [
        (3, 3, 2, "valid", None),
        (3, 5, 2, "same", None),
        (4, 2, 3, "valid", None),
        (3, 3, 2, "same", 1),
    ]:
        stamps = shapes.transpose_stamps(n, k, strides=s, padding=padding, output_padding=extra)
        for i in range(n):
            x = np.zeros((1, n, 1, 1))
            x[0, i] = 1.0
            y = convlab.conv2d_transpose(
                x,
                np.ones((k, 1, 1, 1)),
                strides=(s, 1),
                padding=padding,
                output_padding=None if extra is None else (extra, 0),
            )
            lit = set(np.flatnonzero(y[0, :, 0, 0]))
            assert len(y[0, :, 0, 0]) == stamps.length
            assert lit == {
                c for c in range(stamps.starts[i], stamps.starts[i] + k) if 0 <= c < stamps.length
            }


@pytest.mark.parametrize(
    "layers",
    [[(3, 1)] * 3, [(3, 1), (2, 2), (3, 1)], [(3, 1, 2), (3, 2)], [(5, 1), (2, 2), (5, 1), (2, 2)]],
)
def test_receptive_field_colours_as_many_input_cells_as_shapes_counts(layers):
    ax = board(figures.receptive_field(layers))
    inputs = [c for c in ax.collections if c.get_gid() == "layer-0"]
    orange = sum(int(c.roles[0, 0] == "window") for c in inputs)
    dilated_gaps = any(len(layer) == 3 and layer[2] > 1 for layer in layers)
    if not dilated_gaps:
        assert orange == shapes.receptive_field(layers)
    assert texts(ax, "field") == [f"receptive field: {shapes.receptive_field(layers)} input cells"]


# ------------------------------------------------------------------------------ errors
@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda: figures.window_step(np.ones((2, 2)), np.ones((3, 3))),
            ValueError,
            r"window_step: the kernel \(3, 3\) must fit inside the image \(2, 2\)\.",
        ),
        (
            lambda: figures.window_step(np.ones(4), np.ones((1, 1))),
            ValueError,
            r"window_step: `image` must be a 2-D array \(height, width\); received shape \(4,\)\.",
        ),
        (
            lambda: figures.window_step(np.ones((3, 3)), np.ones((2, 2)), (2, 0)),
            ValueError,
            r"window_step: `position` must lie in the 2x2 output; received position=\(2, 0\)\.",
        ),
        (
            lambda: figures.window_step(np.ones((3, 3)), np.ones((2, 2)), 0),
            TypeError,
            r"window_step: `position` must be a \(row, col\) pair of ints; received position=0\.",
        ),
        (
            lambda: figures.window_step([["a"]], np.ones((1, 1))),
            TypeError,
            r"window_step: `image` must be a numeric",
        ),
        (
            lambda: figures.window_step(np.full((2, 2), np.nan), np.ones((1, 1))),
            ValueError,
            r"window_step: `image` must hold finite numbers",
        ),
        (
            lambda: figures.conv_geometry(3, 5),
            ValueError,
            r"windows: the kernel \(5 cells after dilation\) is longer than the padded input \(3\)",
        ),
        (
            lambda: figures.conv_geometry(0, 3),
            ValueError,
            r"windows: `n` must be a positive int; received n=0\.",
        ),
        (
            lambda: figures.conv_geometry(4, 3, image=np.ones((3, 3))),
            ValueError,
            r"conv_geometry: `image` must be 4x4 \(the input size n\); received shape \(3, 3\)\.",
        ),
        (
            lambda: figures.pooling_windows(np.ones((3, 3)), 2, mode="min"),
            ValueError,
            r'pooling_windows: `mode` must be "max" or "avg"; received mode=\'min\'\.',
        ),
        (
            lambda: figures.im2col(np.ones((4, 4)), np.ones((2, 2)), highlight=9),
            ValueError,
            r"im2col: `highlight` must be an int in 0\.\.8; received 9\.",
        ),
        (
            lambda: figures.filter_volumes(0),
            ValueError,
            r"filter_volumes: `in_channels` must be a positive int; received in_channels=0\.",
        ),
        (
            lambda: figures.receptive_field([]),
            ValueError,
            r"receptive_field: `layers` must list at least one layer; received \[\]\.",
        ),
        (
            lambda: figures.transposed_stamps(np.ones((2, 2)), np.ones((3, 3)), output_padding=2),
            ValueError,
            r"conv2d_transpose: `output_padding` must be smaller than `strides`",
        ),
    ],
)
def test_bad_input_gets_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_receptive_field_names_its_layers():
    ax = board(figures.receptive_field([(5, 1), (2, 2)], names=["conv1", "pool1"]))
    labels = [t.get_text() for t in ax.texts]
    assert "conv1: kernel 5, stride 1" in labels and "pool1: kernel 2, stride 2" in labels
    with pytest.raises(ValueError, match=r"receptive_field: `names` must name each of the 1 layers; received \['a', 'b'\]\."):
        figures.receptive_field([(3, 1)], names=["a", "b"])
