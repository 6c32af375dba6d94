"""Every bad input gets a ValueError or TypeError naming the function and the argument."""

import re

import numpy as np
import pytest

import convlab
from convlab import kernels, naive

X = np.zeros((1, 5, 5, 1))
K = np.zeros((3, 3, 1, 1))
MODULES = [convlab, naive]


def raises(kind, text):
    return pytest.raises(kind, match=re.escape(text))


@pytest.mark.parametrize("module", MODULES, ids=["fast", "naive"])
class TestConvolutionErrors:
    def test_rank_3_image_gets_the_batch_axis_hint(self, module):
        with raises(ValueError, "conv2d: `x` must be a 4-D array in NHWC layout"):
            module.conv2d(np.zeros((5, 5, 1)), K)
        with raises(
            ValueError, "received shape (5, 5, 1). For a single image, add a batch axis: x[None]."
        ):
            module.conv2d(np.zeros((5, 5, 1)), K)

    def test_rank_2_image(self, module):
        with raises(
            ValueError,
            "conv2d: `x` must be a 4-D array in NHWC layout (batch, height, width, channels); received shape (5, 5).",
        ):
            module.conv2d(np.zeros((5, 5)), K)

    def test_2d_kernel_gets_a_hint(self, module):
        with raises(
            ValueError,
            "conv2d: `kernel` must be a 4-D array (kernel_height, kernel_width, in_channels, out_channels); received shape (3, 3).",
        ):
            module.conv2d(X, np.zeros((3, 3)))

    def test_channel_mismatch(self, module):
        with raises(
            ValueError,
            "conv2d: `kernel` expects 3 input channels (kernel.shape[2]) but `x` has 1 (x.shape[3])",
        ):
            module.conv2d(X, np.zeros((3, 3, 3, 2)))

    def test_kernel_larger_than_padded_input(self, module):
        with raises(
            ValueError,
            "conv2d: the window (7x7) is larger than the padded input (5x5); received input 5x5 with padding='valid'.",
        ):
            module.conv2d(X, np.zeros((7, 7, 1, 1)))
        with raises(
            ValueError,
            "conv2d: the window (3x3, 5x5 with dilation) is larger than the padded input (4x4)",
        ):
            module.conv2d(np.zeros((1, 4, 4, 1)), K, dilation_rate=2)

    def test_padding_can_make_a_large_kernel_fit(self, module):
        assert module.conv2d(X, np.zeros((7, 7, 1, 1)), padding=1).shape == (1, 1, 1, 1)

    @pytest.mark.parametrize("name", ["strides", "dilation_rate"])
    @pytest.mark.parametrize("value", [0, -1, (1, 0)])
    def test_zero_or_negative_steps(self, module, name, value):
        with raises(
            ValueError,
            f"conv2d: `{name}` must be a positive int or a pair of positive ints (h, w); received {name}={value!r}.",
        ):
            module.conv2d(X, K, **{name: value})

    @pytest.mark.parametrize("name", ["strides", "dilation_rate"])
    @pytest.mark.parametrize("value", [1.5, 2.0, "2", True, (1, 2, 3), None])
    def test_non_integer_steps(self, module, name, value):
        with raises(
            TypeError,
            f"conv2d: `{name}` must be a positive int or a pair of positive ints (h, w); received {name}={value!r}.",
        ):
            module.conv2d(X, K, **{name: value})

    def test_unknown_padding(self, module):
        with raises(
            ValueError,
            'conv2d: `padding` must be "valid", "same", an int, (pad_h, pad_w) or ((top, bottom), (left, right)); received padding=\'full\'.',
        ):
            module.conv2d(X, K, padding="full")

    @pytest.mark.parametrize("padding", [1.5, ((1, 2), (3,)), [1, 2, 3], None])
    def test_malformed_padding(self, module, padding):
        with raises(TypeError, 'conv2d: `padding` must be "valid", "same", an int'):
            module.conv2d(X, K, padding=padding)

    def test_negative_padding(self, module):
        with raises(ValueError, "conv2d: `padding` must not be negative; received padding=-1."):
            module.conv2d(X, K, padding=-1)
        with raises(
            ValueError,
            "conv2d: `padding` must not be negative; received padding=((0, -1), (0, 0)).",
        ):
            module.conv2d(X, K, padding=((0, -1), (0, 0)))

    @pytest.mark.parametrize(
        "bad", [np.array([["a"]]), np.zeros((1, 5, 5, 1), complex), np.array([None])]
    )
    def test_non_numeric_arrays(self, module, bad):
        with raises(
            TypeError,
            "conv2d: `x` must be a numeric (bool, int or float) array; received an array of dtype",
        ):
            module.conv2d(bad, K)
        with raises(TypeError, "conv2d: `kernel` must be a numeric (bool, int or float) array"):
            module.conv2d(X, bad)

    def test_ragged_lists(self, module):
        with raises(TypeError, "conv2d: `x` must be a numeric array; could not convert it"):
            module.conv2d([[[[1.0]], [[1.0], [2.0]]]], K)

    def test_empty_kernel_and_channels(self, module):
        with raises(
            ValueError,
            "conv2d: `kernel` must have at least one row and column; received shape (0, 3, 1, 1).",
        ):
            module.conv2d(X, np.zeros((0, 3, 1, 1)))
        with raises(
            ValueError, "conv2d: `x` must have at least one channel; received shape (1, 5, 5, 0)."
        ):
            module.conv2d(np.zeros((1, 5, 5, 0)), np.zeros((3, 3, 0, 1)))

    def test_depthwise_names_itself(self, module):
        with raises(
            ValueError,
            "depthwise_conv2d: `kernel` must be a 4-D array (kernel_height, kernel_width, in_channels, multiplier)",
        ):
            module.depthwise_conv2d(X, np.zeros((3, 3)))
        with raises(ValueError, "depthwise_conv2d: `strides` must be a positive int"):
            module.depthwise_conv2d(X, K, strides=0)

    def test_transpose_errors(self, module):
        with raises(
            ValueError,
            "conv2d_transpose: `output_padding` must be smaller than `strides` along each axis; received output_padding=2, strides=(2, 2).",
        ):
            module.conv2d_transpose(X, K, strides=2, output_padding=2)
        with raises(
            ValueError, "conv2d_transpose: `output_padding` must be smaller than `strides`"
        ):
            module.conv2d_transpose(X, K, output_padding=1)
        with raises(
            ValueError, "conv2d_transpose: `output_padding` must be a non-negative int or a pair"
        ):
            module.conv2d_transpose(X, K, strides=2, output_padding=-1)
        with raises(
            ValueError,
            "conv2d_transpose: `kernel` expects 2 input channels (kernel.shape[3]; transposed kernels are (kh, kw, out_channels, in_channels)) but `x` has 1",
        ):
            module.conv2d_transpose(X, np.zeros((3, 3, 1, 2)))
        with raises(
            ValueError,
            "conv2d_transpose: padding='same' with kernel size 4 and output_padding=0 gives an output of 8 cells, too short to come from 5 input cells at stride 2",
        ):
            module.conv2d_transpose(
                X, np.zeros((4, 4, 1, 1)), strides=2, padding="same", output_padding=0
            )
        with raises(ValueError, "conv2d_transpose: the padding crops away the whole output"):
            module.conv2d_transpose(np.zeros((1, 1, 1, 1)), np.zeros((1, 1, 1, 1)), padding=1)
        with raises(ValueError, "conv2d_transpose: `x` must be a 4-D array in NHWC layout"):
            module.conv2d_transpose(np.zeros((5, 5, 1)), K)

    @pytest.mark.parametrize("op", ["max_pool2d", "avg_pool2d"])
    def test_pooling_errors(self, module, op):
        pool = getattr(module, op)
        with raises(
            ValueError,
            f"{op}: `pool_size` must be a positive int or a pair of positive ints (h, w); received pool_size=0.",
        ):
            pool(X, 0)
        with raises(
            TypeError,
            f"{op}: `pool_size` must be a positive int or a pair of positive ints (h, w); received pool_size=2.5.",
        ):
            pool(X, 2.5)
        with raises(ValueError, f"{op}: `strides` must be a positive int"):
            pool(X, 2, strides=-2)
        with raises(
            ValueError, f'{op}: `padding` must be "valid" or "same"; received padding=\'full\'.'
        ):
            pool(X, 2, padding="full")
        with raises(TypeError, f'{op}: `padding` must be "valid" or "same"; received padding=1.'):
            pool(X, 2, padding=1)
        with raises(ValueError, f"{op}: the window (6x6) is larger than the padded input (5x5)"):
            pool(X, 6)
        with raises(
            ValueError,
            f"{op}: `x` must be a 4-D array in NHWC layout (batch, height, width, channels); received shape (5, 5, 1). For a single image, add a batch axis: x[None].",
        ):
            pool(np.zeros((5, 5, 1)), 2)


def test_separable_pointwise_shape():
    with raises(
        ValueError,
        "separable_conv2d: `pointwise_kernel` must have shape (1, 1, 2, out_channels) (in_channels * multiplier = 2); received shape (1, 1, 3, 4).",
    ):
        convlab.separable_conv2d(X, np.zeros((3, 3, 1, 2)), np.zeros((1, 1, 3, 4)))
    with raises(
        ValueError,
        "separable_conv2d: `pointwise_kernel` must be a 4-D array (1, 1, in_channels * multiplier, out_channels); received shape (2, 4).",
    ):
        convlab.separable_conv2d(X, np.zeros((3, 3, 1, 2)), np.zeros((2, 4)))


def test_kernels_errors():
    with raises(ValueError, "get: unknown kernel name 'blurr'; expected one of identity, box_blur"):
        kernels.get("blurr")
    with raises(TypeError, "get: `name` must be a string; received name=3."):
        kernels.get(3)
    with raises(
        ValueError,
        "per_channel: `kernel` must be a 2-D array (kernel_height, kernel_width); received shape (3, 3, 1).",
    ):
        kernels.per_channel(np.zeros((3, 3, 1)))
    with raises(ValueError, "per_channel: `channels` must be a positive int; received channels=0."):
        kernels.per_channel(np.zeros((3, 3)), 0)
    with raises(TypeError, "per_channel: `channels` must be an int; received channels=3.0."):
        kernels.per_channel(np.zeros((3, 3)), 3.0)
    with raises(ValueError, "as_filter: `kernel` must be a 2-D array"):
        kernels.as_filter(np.zeros(3))


class TestAcceptedInputs:
    def test_lists_and_integer_arrays(self):
        x = [[[[1], [2]], [[3], [4]]]]
        result = convlab.conv2d(x, np.ones((2, 2, 1, 1), dtype=int))
        assert result.dtype == np.float32
        assert result.tolist() == [[[[10.0]]]]

    def test_float64_stays_float64(self):
        assert convlab.conv2d(X.astype(np.float64), K).dtype == np.float64
        assert convlab.max_pool2d(X.astype(np.float32), 2).dtype == np.float32

    @pytest.mark.parametrize("module", MODULES, ids=["fast", "naive"])
    def test_empty_batch(self, module):
        empty = np.zeros((0, 5, 5, 1))
        assert module.conv2d(empty, K, padding="same").shape == (0, 5, 5, 1)
        assert module.max_pool2d(empty, 2).shape == (0, 2, 2, 1)
        assert module.avg_pool2d(empty, 2, padding="same").shape == (0, 3, 3, 1)
        assert module.conv2d_transpose(empty, K, strides=2).shape == (0, 11, 11, 1)
        assert module.depthwise_conv2d(empty, K).shape == (0, 3, 3, 1)

    def test_inputs_are_never_written(self, rng):
        x = rng.standard_normal((2, 6, 6, 3))
        kernel = rng.standard_normal((3, 3, 3, 2))
        x_before, kernel_before = x.copy(), kernel.copy()
        for module in MODULES:
            module.conv2d(x, kernel, padding="same")
            module.max_pool2d(x, 2, padding="same")
            module.avg_pool2d(x, 3, strides=1)
        np.testing.assert_array_equal(x, x_before)
        np.testing.assert_array_equal(kernel, kernel_before)

    def test_uppercase_padding_from_tensorflow_code(self):
        assert convlab.conv2d(X, K, padding="SAME").shape == (1, 5, 5, 1)
        assert convlab.max_pool2d(X, 2, padding="VALID").shape == (1, 2, 2, 1)
