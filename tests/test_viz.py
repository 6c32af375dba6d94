"""Plots return figures, draw what they say, and never touch pyplot's state."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from convlab import kernels, viz  # noqa: E402


def test_show_image_returns_an_untracked_figure(rng):
    before = plt.get_fignums()
    fig = viz.show_image(rng.random((1, 8, 8, 1)), title="digit")
    assert isinstance(fig, Figure)
    assert plt.get_fignums() == before
    assert fig.axes[0].get_title() == "digit"
    assert fig.axes[0].images[0].get_array().shape == (8, 8)


def test_show_image_draws_into_a_given_axis(rng):
    fig, ax = plt.subplots()
    assert viz.show_image(rng.random((8, 8, 3)), ax=ax) is fig
    assert ax.images[0].get_array().shape == (8, 8, 3)
    plt.close(fig)


def test_show_image_rejects_a_batch():
    with pytest.raises(
        ValueError, match=r"show_image: `image` must be .* received shape \(2, 8, 8, 1\)"
    ):
        viz.show_image(np.zeros((2, 8, 8, 1)))


def test_show_kernel_writes_every_number():
    fig = viz.show_kernel(kernels.get("sobel_x"))
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == ["-1", "0", "1", "-2", "0", "2", "-1", "0", "1"]
    image = fig.axes[0].images[0]
    assert image.get_cmap().name == "RdBu_r"
    assert image.get_clim() == (-2.0, 2.0)


def test_show_kernel_uses_one_diverging_scale_for_every_kernel():
    # Unsigned kernels too: red positive, blue negative, white zero, as the course says.
    fig = viz.show_kernel(kernels.get("box_blur"))
    image = fig.axes[0].images[0]
    assert image.get_cmap().name == "RdBu_r" and image.get_clim() == (-1 / 9, 1 / 9)
    assert fig.axes[0].texts[0].get_text() == "0.11"


def test_feature_maps_signed_get_symmetric_diverging_colours(rng):
    maps = rng.standard_normal((1, 6, 6, 5))
    fig = viz.show_feature_maps(maps, columns=3, title="conv1")
    panels = [ax for ax in fig.axes if ax.images]
    assert len(panels) == 5
    low, high = panels[0].images[0].get_clim()
    assert low == -high == -np.abs(maps).max()
    assert panels[0].images[0].get_cmap().name == "RdBu_r"
    assert fig.get_suptitle() == "conv1"


def test_feature_maps_non_negative_use_a_sequential_map(rng):
    fig = viz.show_feature_maps(rng.random((6, 6, 40)), max_maps=12)
    panels = [ax for ax in fig.axes if ax.images]
    assert len(panels) == 12
    assert panels[0].images[0].get_cmap().name == "viridis"


def test_feature_maps_need_one_image():
    with pytest.raises(
        ValueError, match=r"show_feature_maps: `maps` must hold one image.*maps\[i:i \+ 1\]"
    ):
        viz.show_feature_maps(np.zeros((2, 4, 4, 3)))


def test_show_kernel_never_writes_minus_zero():
    fig = viz.show_kernel(np.array([[-0.04, 0.0], [0.25, -1.0]]), decimals=1)
    assert [t.get_text() for t in fig.axes[0].texts] == ["0", "0", "0.2", "-1"]


def test_show_kernel_keeps_the_zeros_of_whole_numbers():
    fig = viz.show_kernel(np.array([[10.0, -20.0], [100.0, 0.0]]), decimals=0)
    assert [t.get_text() for t in fig.axes[0].texts] == ["10", "-20", "100", "0"]


def test_show_kernel_on_a_shared_scale_without_numbers():
    fig = viz.show_kernel(np.array([[0.5, -0.25], [0.0, 0.1]]), limit=2.0, decimals=None)
    image = fig.axes[0].images[0]
    assert image.get_clim() == (-2.0, 2.0) and image.get_cmap().name == "RdBu_r"
    assert len(fig.axes[0].texts) == 0
    with pytest.raises(ValueError, match=r"show_kernel: `limit` must be a positive number or None; received limit=0\."):
        viz.show_kernel(np.eye(2), limit=0)


@pytest.mark.parametrize(
    "kernel, kind, start",
    [
        (kernels.get("box_blur"), "clip", "weights sum to 1: flat areas keep their brightness"),
        (kernels.get("sobel_x"), "signed", "weights sum to 0: flat areas become 0, edges remain"),
        (np.zeros((3, 3)), "zero", "all weights are 0"),
        (2 * kernels.get("identity"), "clip", "weights sum to 2: flat areas become 2 times as bright"),
    ],
)
def test_response_style_follows_the_exact_sum(kernel, kind, start):
    style = viz.response_style(kernel)
    assert style.kind == kind and style.sentence.startswith(start)


def test_show_response_clips_or_diverges_as_the_style_says(rng):
    response = rng.standard_normal((6, 7))
    fig = viz.show_response(response, kernels.get("sobel_y"))
    image = fig.axes[0].images[0]
    limit = np.percentile(np.abs(response), 99)
    assert image.get_cmap().name == "RdBu_r" and image.get_clim() == pytest.approx((-limit, limit))
    fig = viz.show_response(response, kernels.get("sharpen"))
    shown = fig.axes[0].images[0].get_array()
    assert shown.min() >= 0 and shown.max() <= 1
    colour = viz.show_response(rng.standard_normal((4, 4, 3)), kernels.get("edge"))
    assert colour.axes[0].images[0].get_array().shape == (4, 4, 3)
    overflow = viz.show_response(np.array([[np.inf, -np.inf], [np.nan, 0.5]]), kernels.get("sharpen"))
    assert np.all(np.isfinite(overflow.axes[0].images[0].get_array()))
