"""The explorers follow their controls: set `.value`, read the label, figure and picture."""

import numpy as np
import pytest

pytest.importorskip("ipywidgets")

from convlab import kernels, shapes, widgets  # noqa: E402


def texts(ax):
    return [t.get_text() for t in ax.texts]


class TestConvExplorer:
    def test_stride_changes_size_label_and_picture(self, tf):
        explorer = widgets.ConvExplorer(size=7, kernel_size=3)
        before_png, before_label = explorer.image.value, explorer.label.value
        assert explorer.output_size == 5
        explorer.strides.value = 2
        assert explorer.output_size == 3
        assert "floor((7 + 0 + 0 - 3) / 2) + 1 = <b>3</b>" in explorer.label.value
        assert "TensorFlow's actual output: <b>3</b>" in explorer.label.value
        assert explorer.label.value != before_label
        assert explorer.image.value != before_png and explorer.image.value[:4] == b"\x89PNG"
        assert explorer.axes[1].get_title() == "output 3x3"

    def test_same_padding_shows_tensorflows_asymmetric_split(self, tf):
        explorer = widgets.ConvExplorer(size=8, kernel_size=5, strides=2, padding="same")
        assert explorer.output_size == 4
        assert "padding (before, after) = (1, 2)" in explorer.label.value
        assert "TensorFlow's actual output: <b>4</b>" in explorer.label.value
        assert explorer.axes[0].get_title() == "padded input 11x11"

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

    def test_dropped_cells_are_counted(self, tf):
        # 7 cells, 2-wide windows at stride 2: windows cover cells 0..5, cell 6 is dropped.
        explorer = widgets.ConvExplorer(size=7, kernel_size=2, strides=2)
        assert "cells dropped at the end: 1" in explorer.label.value
        image = explorer.axes[0].images[0].get_array()
        assert image.shape[:2] == (7, 7)
        np.testing.assert_allclose(
            image[6, 0], (0xE7 / 255, 0x6F / 255, 0x51 / 255)
        )  # dropped colour

    def test_window_follows_the_output_position(self, tf):
        explorer = widgets.ConvExplorer(size=7, kernel_size=3, strides=2)
        explorer.row.value, explorer.col.value = 2, 1
        image = explorer.axes[0].images[0].get_array()
        window = np.array((0xF4, 0xA2, 0x61)) / 255
        marked = np.argwhere(np.all(np.isclose(image, window), axis=2))
        assert marked.min(axis=0).tolist() == [4, 2] and marked.max(axis=0).tolist() == [6, 4]

    def test_explicit_padding_and_a_kernel_that_does_not_fit(self, tf):
        explorer = widgets.ConvExplorer(size=3, kernel_size=5, padding="explicit")
        assert not explorer.pad.disabled
        explorer.pad.value = 0
        assert explorer.output_size == 0
        assert "larger than the padded input" in explorer.label.value
        explorer.padding.value = "valid"
        assert explorer.pad.disabled


class TestKernelPlayground:
    def test_choosing_a_kernel_fills_the_cells_and_redraws(self):
        playground = widgets.KernelPlayground(kernel="identity")
        before = playground.image.value
        np.testing.assert_array_equal(playground.kernel, kernels.get("identity"))
        playground.kernel_name.value = "edge"
        np.testing.assert_array_equal(playground.kernel, kernels.get("edge"))
        assert playground.image.value != before
        assert "edge detector" in playground.label.value

    def test_identity_shows_the_photo_unchanged(self):
        playground = widgets.KernelPlayground(kernel="identity")
        original, filtered = (ax.images[0].get_array() for ax in playground.axes)
        np.testing.assert_allclose(filtered, original, atol=1e-6)

    def test_editing_a_number_updates_the_result(self):
        playground = widgets.KernelPlayground(kernel="identity")
        playground.cells[4].value = 2.0  # doubles the brightness
        assert playground.kernel[1, 1] == 2.0
        assert "changes the overall brightness" in playground.label.value

    def test_colour_is_filtered_per_channel(self):
        playground = widgets.KernelPlayground(kernel="box_blur")
        assert playground.axes[1].images[0].get_array().shape[2] == 3
        playground.color.value = False
        assert playground.axes[1].images[0].get_array().ndim == 2


class TestPoolExplorer:
    def test_stride_one_overlaps_windows(self):
        explorer = widgets.PoolExplorer(size=6, pool_size=2, strides=2)
        assert explorer.output.shape == (3, 3)
        explorer.strides.value = 1
        assert explorer.output.shape == (5, 5)
        assert "(windows overlap)" in explorer.label.value

    def test_numbers_shown_are_the_pooled_values(self):
        explorer = widgets.PoolExplorer(size=4, pool_size=2, strides=2)
        x = explorer.values[:4, :4]
        expected = x.reshape(2, 2, 2, 2).max(axis=(1, 3))
        assert texts(explorer.axes[1]) == [f"{v:.3g}" for v in expected.ravel()]
        explorer.mode.value = "avg"
        assert texts(explorer.axes[1]) == [
            f"{v:.3g}" for v in x.reshape(2, 2, 2, 2).mean(axis=(1, 3)).ravel()
        ]

    def test_same_padding_keeps_ceil_n_over_s(self):
        explorer = widgets.PoolExplorer(size=5, pool_size=2, strides=2, padding="same")
        assert (
            explorer.output.shape == (3, 3) == (shapes.pool_output_size(5, 2, padding="same"),) * 2
        )
        assert "padded cells are ignored" in explorer.label.value
