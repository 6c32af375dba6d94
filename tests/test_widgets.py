"""The explorers follow their controls: set `.value`, read the label, the figure and the picture."""

import itertools

import numpy as np
import pytest

pytest.importorskip("ipywidgets")

from test_figures import grid, hatched, texts  # noqa: E402

from convlab import kernels, shapes, widgets  # noqa: E402


def board(explorer):
    (ax,) = explorer.figure.axes
    return ax


def is_svg(data):
    data = bytes(data)
    return data.lstrip().startswith(b"<?xml") and b"<svg" in data


class TestConvExplorer:
    def test_opens_on_padding_and_a_stride_that_does_not_fit(self, tf):
        explorer = widgets.ConvExplorer()
        assert explorer.output_size == 4  # 8 cells padded (1, 1), 3x3 window at stride 2
        assert "padding (before, after) = (1, 1)" in explorer.label.value
        assert "the last row and column are never read" in explorer.label.value
        ax = board(explorer)
        roles, origin = grid(ax, "padded-input")
        assert {role for role in roles.values()} >= {"padding", "input", "window", "window-padding"}
        assert hatched(ax, "dropped", origin) == {
            (r, c) for r in range(10) for c in range(10) if 9 in (r, c)
        }
        assert len(texts(ax, "padded-input-text")) == 100  # the cells carry their numbers
        assert texts(ax, "formula") == ["out = ⌊(8 + 1 + 1 − 3) / 2⌋ + 1 = 4"]
        assert texts(ax, "tensorflow") == ["TensorFlow's output: 4x4"]
        assert is_svg(explorer.image.value)

    def test_each_output_cell_is_the_sum_its_window_reads(self, tf):
        explorer = widgets.ConvExplorer(size=6, kernel_size=3, strides=2, padding="same")
        explorer.row.value, explorer.col.value = 1, 2
        x = np.pad(explorer.values[:6, :6], ((0, 1), (0, 1)))  # SAME pads (0, 1) here
        expected = [x[r : r + 3, c : c + 3].sum() for r in (0, 2, 4) for c in (0, 2, 4)]
        assert [float(t) for t in texts(board(explorer), "output-text")] == expected

    def test_stride_changes_size_label_and_picture(self, tf):
        explorer = widgets.ConvExplorer(size=7, kernel_size=3, strides=1, padding="valid")
        before_picture, before_label = explorer.image.value, explorer.label.value
        assert explorer.output_size == 5
        explorer.strides.value = 2
        assert explorer.output_size == 3
        assert "floor((7 + 0 + 0 - 3) / 2) + 1 = <b>3</b>" in explorer.label.value
        assert "TensorFlow's actual output: <b>3</b>" in explorer.label.value
        assert explorer.label.value != before_label
        assert explorer.image.value != before_picture and is_svg(explorer.image.value)
        assert texts(board(explorer), "formula") == ["out = ⌊(7 + 0 + 0 − 3) / 2⌋ + 1 = 3"]

    def test_same_padding_shows_tensorflows_asymmetric_split(self, tf):
        explorer = widgets.ConvExplorer(size=8, kernel_size=5, strides=2, padding="same")
        assert explorer.output_size == 4
        assert "padding (before, after) = (1, 2)" in explorer.label.value
        assert "TensorFlow's actual output: <b>4</b>" in explorer.label.value

    @pytest.mark.parametrize(
        "n, k, s, padding, d",
        [
            (7, 3, 1, "valid", 1),
            (9, 4, 3, "same", 1),
            (10, 3, 2, "explicit", 2),
            (6, 2, 4, "valid", 1),
        ],
    )
    def test_formula_agrees_with_tensorflow(self, tf, n, k, s, padding, d):
        explorer = widgets.ConvExplorer(
            size=n, kernel_size=k, strides=s, padding=padding, dilation_rate=d
        )
        assert explorer.output_size == explorer.tensorflow_output_size()

    def test_window_follows_the_output_position(self, tf):
        explorer = widgets.ConvExplorer(size=7, kernel_size=3, strides=2, padding="valid")
        explorer.row.value, explorer.col.value = 2, 1
        roles, _ = grid(board(explorer), "padded-input")
        window = sorted(cell for cell, role in roles.items() if role == "window")
        assert window[0] == (4, 2) and window[-1] == (6, 4)

    def test_a_window_covering_everything_still_shows_the_padding(self, tf):
        explorer = widgets.ConvExplorer(size=1, kernel_size=3, strides=1, padding="explicit", pad=1)
        roles, origin = grid(board(explorer), "padded-input")
        assert set(roles.values()) == {"window", "window-padding"}
        assert len(hatched(board(explorer), "padding", origin)) == 8

    def test_a_window_larger_than_the_padded_input_says_why(self, tf):
        explorer = widgets.ConvExplorer(size=3, kernel_size=5, strides=1, padding="explicit", pad=0)
        assert explorer.output_size == 0
        assert (
            "No output: the window spans 5 cells (kernel 5) but the padded input has only 3"
            in explorer.label.value
        )
        notice = texts(board(explorer), "notice")[0]
        assert "No output" in notice and "padding='same'" in notice.replace("\n", " ")
        explorer.dilation_rate.value = 2
        assert "spans 9 cells (kernel 5 at dilation 2)" in explorer.label.value
        explorer.padding.value = "valid"
        assert explorer.pad.disabled
        explorer.padding.value = "same"
        assert explorer.output_size == 3

    def test_a_stride_larger_than_the_window_marks_skipped_cells(self, tf):
        explorer = widgets.ConvExplorer(size=9, kernel_size=1, strides=3, padding="valid")
        # Windows read cells 0, 3 and 6: 1, 2, 4, 5 are skipped, 7 and 8 dropped at the end.
        assert (
            "the last 2 rows and columns are never read; "
            "4 rows and columns between windows are skipped" in explorer.label.value
        )
        _, origin = grid(board(explorer), "padded-input")
        unread = {r for r, c in hatched(board(explorer), "dropped", origin) if c == 0}
        assert unread == {1, 2, 4, 5, 7, 8}

    def test_every_setting_draws_or_explains(self, tf, monkeypatch):
        explorer = widgets.ConvExplorer()
        monkeypatch.setattr(widgets.ConvExplorer, "_render", lambda self: None)  # drawing only
        settings = [
            (n, k, s, d, padding, p)
            for n, k, s, d in itertools.product((1, 5, 16), (1, 4, 7), (1, 4), (1, 3))
            for padding, p in (("valid", 1), ("same", 1), ("explicit", 0), ("explicit", 4))
        ]
        for n, k, s, d, padding, p in settings:
            with monkeypatch.context() as quiet:  # set every control, then draw once
                quiet.setattr(widgets.ConvExplorer, "update", lambda self: None)
                explorer.size.value, explorer.kernel_size.value = n, k
                explorer.strides.value, explorer.dilation_rate.value = s, d
                explorer.padding.value, explorer.pad.value = padding, p
            explorer.update()
            explorer.row.value = explorer.row.max  # and the last window
            assert "could not draw" not in explorer.label.value, (n, k, s, d, padding, p)
            span = shapes.dilated_size(k, d)
            spec = p if padding == "explicit" else padding
            if span <= n + sum(
                shapes.padding_amounts(n, k, strides=s, padding=spec, dilation_rate=d)
            ):
                expected = shapes.conv_output_size(n, k, strides=s, padding=spec, dilation_rate=d)
                assert explorer.output_size == expected == explorer.tensorflow_output_size()
            else:
                assert explorer.output_size == 0 and "No output" in explorer.label.value

    def test_controls_wrap_and_the_picture_fits_the_page(self):
        explorer = widgets.ConvExplorer()
        rows = [child for child in explorer.widget.children if hasattr(child, "children")]
        assert rows and all(row.layout.flex_flow == "row wrap" for row in rows)
        assert explorer.size.layout.min_width == "230px"
        assert (explorer.image.layout.width, explorer.image.layout.max_width) == ("800px", "100%")


class TestKernelPlayground:
    def test_choosing_a_kernel_fills_the_cells_and_redraws(self):
        playground = widgets.KernelPlayground(kernel="identity")
        before = playground.image.value
        np.testing.assert_array_equal(playground.kernel, kernels.get("identity"))
        playground.kernel_name.value = "edge"
        np.testing.assert_array_equal(playground.kernel, kernels.get("edge"))
        assert playground.image.value != before and playground.image.value[:4] == b"\x89PNG"
        assert playground.label.value.startswith(
            "Weights sum to 0: flat areas become 0, edges remain"
        )

    def test_sums_come_from_the_exact_kernel(self):
        playground = widgets.KernelPlayground(kernel="box_blur")
        assert [cell.value for cell in playground.cells] == ["1/9"] * 9
        assert playground.label.value.startswith(
            "Weights sum to 1: flat areas keep their brightness"
        )
        playground.kernel_name.value = "gaussian_blur"
        assert playground.cells[4].value == "1/4"
        np.testing.assert_array_equal(playground.kernel, kernels.get("gaussian_blur"))

    def test_identity_shows_the_photo_unchanged(self):
        playground = widgets.KernelPlayground(kernel="identity")
        original, filtered = (ax.images[0].get_array() for ax in playground.figure.axes)
        np.testing.assert_allclose(filtered, original, atol=1e-6)

    def test_editing_a_number_makes_the_kernel_custom(self):
        playground = widgets.KernelPlayground(kernel="identity")
        playground.cells[4].value = "2"
        assert playground.kernel[1, 1] == 2.0
        assert playground.kernel_name.value == "custom"
        assert (
            "weights sum to 2: flat areas become 2 times as bright"
            in playground.label.value.lower()
        )
        playground.kernel_name.value = "sharpen"
        assert playground.cells[4].value == "5"

    def test_signed_responses_use_a_diverging_map_in_gray_and_magnitude_in_colour(self):
        playground = widgets.KernelPlayground(kernel="sobel_x", color=False)
        assert playground.figure.axes[1].images[0].get_cmap().name == "RdBu_r"
        assert "shown signed: red positive, blue negative" in playground.label.value
        playground.color.value = True
        assert "shown as |response|" in playground.label.value
        assert playground.figure.axes[1].images[0].get_array().shape[2] == 3

    def test_a_cell_that_is_not_a_number_gets_a_message(self):
        playground = widgets.KernelPlayground(kernel="sharpen")
        playground.cells[5].value = "abc"
        assert (
            "Cell (row 2, column 3) holds &#x27;abc&#x27;, which is not a number"
            in playground.label.value
        )
        assert "not a number" in texts(playground.figure.axes[0], "notice")[0].replace("\n", " ")
        np.testing.assert_array_equal(
            playground.kernel, kernels.get("sharpen")
        )  # the last valid one
        playground.cells[5].value = "1/0"
        assert "holds &#x27;1/0&#x27;" in playground.label.value
        playground.cells[5].value = "-1"
        assert playground.label.value.startswith("Weights sum to 1")
        assert len(playground.figure.axes) == 2  # the picture is back

    def test_an_all_zero_kernel_is_not_an_edge_detector(self):
        playground = widgets.KernelPlayground()
        for cell in playground.cells:
            cell.value = "0"
        assert playground.label.value == "All weights are 0: the output is 0 everywhere (black)"

    def test_absurd_values_say_why_the_picture_looks_as_it_does(self):
        playground = widgets.KernelPlayground(kernel="identity")
        playground.cells[4].value = "1e30"
        assert "push almost every result far outside [0, 1]" in playground.label.value
        for cell in playground.cells[:3]:
            cell.value = "1e308"
        assert "make results overflow (inf): use smaller weights" in playground.label.value

    def test_colour_is_filtered_per_channel(self):
        playground = widgets.KernelPlayground(kernel="box_blur")
        assert playground.figure.axes[1].images[0].get_array().shape[2] == 3
        playground.color.value = False
        assert playground.figure.axes[1].images[0].get_array().ndim == 2


class TestPoolExplorer:
    def test_opens_on_dropped_cells(self):
        explorer = widgets.PoolExplorer()
        assert explorer.output.shape == (3, 3)
        assert "the last row and column are never read" in explorer.label.value
        _, origin = grid(board(explorer), "input")
        assert hatched(board(explorer), "dropped", origin) == {
            (r, c) for r in range(7) for c in range(7) if 6 in (r, c)
        }

    def test_stride_one_overlaps_windows(self):
        explorer = widgets.PoolExplorer(size=6, pool_size=2, strides=2)
        assert explorer.output.shape == (3, 3)
        explorer.strides.value = 1
        assert explorer.output.shape == (5, 5)
        assert "windows overlap" in explorer.label.value

    def test_numbers_shown_are_the_pooled_values(self):
        explorer = widgets.PoolExplorer(size=4, pool_size=2, strides=2)
        x = explorer.values[:4, :4]
        expected = x.reshape(2, 2, 2, 2).max(axis=(1, 3))
        assert texts(board(explorer), "output-text") == [f"{v:g}" for v in expected.ravel()]
        explorer.mode.value = "avg"
        averages = x.reshape(2, 2, 2, 2).mean(axis=(1, 3)).ravel()
        assert [float(t) for t in texts(board(explorer), "output-text")] == pytest.approx(
            averages, abs=0.01
        )
        assert texts(board(explorer), "computation")[0].startswith(
            "output[0, 0] = mean of the 4 real cells"
        )

    def test_same_padding_keeps_ceil_n_over_s(self):
        explorer = widgets.PoolExplorer(size=5, pool_size=2, strides=2, padding="same")
        assert (
            explorer.output.shape == (3, 3) == (shapes.pool_output_size(5, 2, padding="same"),) * 2
        )
        assert "padded cells never win a max" in explorer.label.value

    def test_a_zero_size_output_says_why(self):
        explorer = widgets.PoolExplorer(size=3, pool_size=4, strides=1)
        assert explorer.output.shape == (0, 0)
        assert (
            "No output: a 4x4 window does not fit in a 3x3 input without padding"
            in explorer.label.value
        )
        explorer.padding.value = "same"
        assert explorer.output.shape == (3, 3)


def test_a_stored_notebook_gets_a_picture_and_a_plain_repr(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda bundle, **kw: shown.append((bundle, kw)))
    widgets.PoolExplorer()._ipython_display_()
    ((bundle, options),) = shown
    assert bundle["text/plain"] == (
        "PoolExplorer(mode='max', size=7, pool_size=2, strides=2, padding='valid', row=0, col=0)"
    )
    assert bundle["image/png"].startswith("iVBORw0KGgo")  # base64 of a PNG
    assert options["metadata"] == {"image/png": {"width": 800}}


def test_an_unexpected_failure_is_a_message_not_a_traceback(monkeypatch):
    explorer = widgets.PoolExplorer()
    monkeypatch.setattr(widgets.figures, "pooling_windows", lambda *a, **k: 1 / 0)
    explorer.strides.value = 1
    assert (
        explorer.label.value
        == "<b>could not draw this setting (ZeroDivisionError: division by zero)</b>"
    )
