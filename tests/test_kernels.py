"""Known-answer tests for the fixed kernels, run through conv2d."""

import numpy as np
import pytest

import convlab
from convlab import kernels


def apply(image2d, name):
    """Correlate a 2-D image with a named kernel (valid), returning a 2-D map."""
    return convlab.conv2d(image2d[None, :, :, None], kernels.as_filter(kernels.get(name)))[
        0, :, :, 0
    ]


def test_names_and_fresh_copies():
    assert set(kernels.names()) >= {
        "identity",
        "box_blur",
        "gaussian_blur",
        "sharpen",
        "edge",
        "sobel_x",
        "sobel_y",
        "emboss",
    }
    first = kernels.get("sharpen")
    first[0, 0] = 99
    assert kernels.get("sharpen")[0, 0] == 0
    assert all(kernels.get(name).dtype == np.float64 for name in kernels.names())


def test_identity_returns_the_interior(rng):
    image = rng.random((6, 7))
    np.testing.assert_allclose(apply(image, "identity"), image[1:-1, 1:-1], rtol=1e-6)


@pytest.mark.parametrize("name", ["box_blur", "gaussian_blur", "sharpen", "identity"])
def test_blurs_and_sharpen_keep_a_constant_image_constant(name):
    np.testing.assert_allclose(apply(np.full((6, 6), 0.5), name), 0.5, rtol=1e-6)


@pytest.mark.parametrize("name", ["edge", "sobel_x", "sobel_y"])
def test_edge_detectors_are_zero_on_flat_areas(name):
    np.testing.assert_allclose(apply(np.full((6, 6), 0.5), name), 0.0, atol=1e-6)


def test_a_vertical_step_edge_gives_a_vertical_line():
    image = np.zeros((6, 8))
    image[:, 4:] = 1.0  # dark left half, bright right half
    response = apply(image, "sobel_x")
    # Positive (dark-to-bright left to right), only in the columns that straddle the step.
    assert (response[:, 2:4] == 4).all()
    assert (np.delete(response, [2, 3], axis=1) == 0).all()
    assert np.allclose(apply(image, "sobel_y"), 0)


def test_a_horizontal_step_edge_lights_sobel_y():
    image = np.zeros((8, 6))
    image[4:, :] = 1.0  # bright bottom half
    response = apply(image, "sobel_y")
    assert (response[2:4] == 4).all() and (np.delete(response, [2, 3], axis=0) == 0).all()


def test_edge_is_a_zero_sum_laplacian():
    edge = kernels.get("edge")
    assert edge.sum() == 0 and edge[1, 1] == 8
    image = np.zeros((5, 5))
    image[2, 2] = 1.0
    np.testing.assert_array_equal(
        apply(image, "edge"), -np.ones((3, 3)) + 9 * (np.arange(9) == 4).reshape(3, 3)
    )


def test_sharpen_is_identity_plus_laplacian():
    assert np.array_equal(
        kernels.get("sharpen"),
        kernels.get("identity") + np.array([[0, -1, 0], [-1, 4, -1], [0, -1, 0]]),
    )


def test_emboss_is_antisymmetric_about_the_centre():
    emboss = kernels.get("emboss")
    assert np.array_equal(emboss - np.diag([0, 1, 0]), -(emboss - np.diag([0, 1, 0]))[::-1, ::-1])


def test_per_channel_blur_keeps_a_red_pixel_red():
    image = np.zeros((1, 5, 5, 3))
    image[0, 2, 2] = [1.0, 0.0, 0.0]
    blurred = convlab.conv2d(image, kernels.per_channel(kernels.get("box_blur")), padding="same")
    assert blurred[..., 0].max() > 0
    assert np.all(blurred[..., 1:] == 0)


def test_a_channel_mixing_filter_turns_red_grey():
    # The source notes' mistake: the kernel in every (in, out) slot mixes the channels.
    image = np.zeros((1, 5, 5, 3))
    image[0, 2, 2] = [1.0, 0.0, 0.0]
    mixing = np.tile(kernels.get("box_blur")[:, :, None, None], (1, 1, 3, 3))
    blurred = convlab.conv2d(image, mixing, padding="same")
    assert np.allclose(blurred[..., 0], blurred[..., 1])


def test_per_channel_matches_depthwise(rng):
    image = rng.random((1, 6, 6, 3))
    kernel = kernels.get("gaussian_blur")
    via_conv = convlab.conv2d(image, kernels.per_channel(kernel), padding="same")
    via_depthwise = convlab.depthwise_conv2d(
        image, np.tile(kernel[:, :, None, None], (1, 1, 3, 1)), padding="same"
    )
    np.testing.assert_allclose(via_conv, via_depthwise, atol=1e-6)
