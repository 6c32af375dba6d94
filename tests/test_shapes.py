"""Shape and parameter arithmetic against TensorFlow's actual shapes and Keras's counts."""

import itertools

import numpy as np
import pytest

from convlab import shapes


@pytest.mark.parametrize(
    "n, k, s, padding, d",
    [
        (n, k, s, p, d)
        for n, k, s, p, d in itertools.product(
            [1, 5, 8, 13, 28, 32],
            [1, 2, 3, 5, 8],
            [1, 2, 3],
            ["valid", "same", 0, 1, 2, (1, 3)],
            [1, 2],
        )
        if n + (sum(p) if isinstance(p, tuple) else 2 * p if isinstance(p, int) else 0)
        >= shapes.dilated_size(k, d)
        or p == "same"
    ],
)
def test_conv_output_size_matches_tensorflow(tf, n, k, s, padding, d):
    x = np.zeros((1, n, 1, 1), np.float32)
    kernel = np.zeros((k, 1, 1, 1), np.float32)
    if isinstance(padding, str):
        tf_padding = padding.upper()
    else:
        before, after = (padding, padding) if isinstance(padding, int) else padding
        tf_padding = [[0, 0], [before, after], [0, 0], [0, 0]]
    actual = tf.nn.conv2d(
        x, kernel, strides=[1, s, 1, 1], padding=tf_padding, dilations=[1, d, 1, 1]
    )
    assert (
        shapes.conv_output_size(n, k, strides=s, padding=padding, dilation_rate=d)
        == actual.shape[1]
    )


@pytest.mark.parametrize(
    "n, k, s, d", list(itertools.product([1, 4, 7, 28, 32], [1, 2, 3, 4, 5, 8], [1, 2, 3], [1, 2]))
)
def test_same_padding_reproduces_tensorflow_same(tf, rng, n, k, s, d):
    # Padding explicitly with same_padding's (before, after) must equal TF's SAME exactly,
    # which fails if the extra cell goes on the wrong side.
    x = rng.standard_normal((1, n, 1, 1)).astype(np.float32)
    kernel = rng.standard_normal((k, 1, 1, 1)).astype(np.float32)
    before, after = shapes.same_padding(n, k, strides=s, dilation_rate=d)
    same = tf.nn.conv2d(x, kernel, [1, s, 1, 1], "SAME", dilations=[1, d, 1, 1])
    explicit = tf.nn.conv2d(
        x, kernel, [1, s, 1, 1], [[0, 0], [before, after], [0, 0], [0, 0]], dilations=[1, d, 1, 1]
    )
    np.testing.assert_array_equal(same.numpy(), explicit.numpy())


def test_same_padding_puts_the_extra_cell_after():
    assert shapes.same_padding(28, 5, strides=2) == (1, 2)
    assert shapes.same_padding(28, 5) == (2, 2)
    assert shapes.same_padding(5, 2) == (0, 1)


def test_notes_worked_example():
    # 32x32x3 input, 20 filters of 8x8x3, stride 2.
    assert shapes.conv_output_size(32, 8, strides=2, padding=1) == 14
    assert shapes.conv_output_size(32, 8, strides=2, padding="same") == 16
    assert shapes.conv_output_size(32, 8, strides=2, padding="valid") == 13
    assert shapes.conv_output_size(28, 3, dilation_rate=2) == 24
    assert shapes.conv_output_size(shapes.conv_output_size(32, 7), 5, strides=2) == 11


@pytest.mark.parametrize(
    "n, k, s, padding",
    list(itertools.product([2, 3, 7, 9, 28], [1, 2, 3], [None, 1, 2, 3], ["valid", "same"])),
)
def test_pool_output_size_matches_tensorflow(tf, n, k, s, padding):
    if padding == "valid" and n < k:
        return
    x = np.zeros((1, n, 1, 1), np.float32)
    actual = tf.nn.max_pool2d(x, ksize=(k, 1), strides=(s or k, 1), padding=padding.upper())
    assert shapes.pool_output_size(n, k, strides=s, padding=padding) == actual.shape[1]


@pytest.mark.parametrize(
    "n, k, s, padding, output_padding",
    [
        (n, k, s, p, a)
        for n, k, s, p, a in itertools.product(
            [1, 4, 7], [1, 2, 3, 4, 5], [1, 2, 3], ["valid", "same"], [None, 0, 1, 2]
        )
        if (a is None or a < s) and not (p == "same" and a is not None and k % 2 == 0 and a == 0)
    ],
)
def test_conv_transpose_output_size_matches_keras(tf, n, k, s, padding, output_padding):
    import keras

    layer = keras.layers.Conv2DTranspose(
        1,
        (k, 1),
        strides=(s, 1),
        padding=padding,
        output_padding=None if output_padding is None else (output_padding, 0),
    )
    actual = layer(np.zeros((1, n, 1, 1), np.float32)).shape[1]
    assert (
        shapes.conv_transpose_output_size(
            n, k, strides=s, padding=padding, output_padding=output_padding
        )
        == actual
    )


def test_parameter_counts_match_keras(tf):
    import keras

    def count(layer, channels):
        model = keras.Sequential([keras.Input((16, 16, channels)), layer])
        return model.count_params()

    assert shapes.conv_params(5, 3, 10) == count(keras.layers.Conv2D(10, 5), 3) == 760
    assert shapes.conv_params(8, 3, 20) == count(keras.layers.Conv2D(20, 8), 3) == 3860
    assert shapes.conv_params((3, 5), 4, 6, use_bias=False) == count(
        keras.layers.Conv2D(6, (3, 5), use_bias=False), 4
    )
    assert shapes.conv_params(3, 16, 32) == count(keras.layers.Conv2D(32, 3), 16) == 4640
    assert shapes.depthwise_params(3, 16) == count(keras.layers.DepthwiseConv2D(3), 16) == 160
    assert shapes.depthwise_params(3, 4, depth_multiplier=2) == count(
        keras.layers.DepthwiseConv2D(3, depth_multiplier=2), 4
    )
    assert (
        shapes.separable_params(3, 16, 32) == count(keras.layers.SeparableConv2D(32, 3), 16) == 688
    )


def test_locally_connected_params_from_the_notes():
    assert shapes.conv_params(5, 3, 1) == 76
    assert shapes.locally_connected_params(8, 3, 20, 14) == 756_560 == 3860 * 14 * 14
    assert shapes.locally_connected_params(3, 2, 4, (5, 6)) == (9 * 2 + 1) * 4 * 30


def test_activation_count_from_the_notes():
    count = shapes.activation_count(224, 224, 64, layers=3)
    assert count == 9_633_792
    assert count * 4 * 2 == 77_070_336  # float32 activations plus their gradients


@pytest.mark.parametrize(
    "layers",
    [
        [(3, 1)],
        [(3, 1), (3, 1), (3, 1)],
        [(5, 1), (2, 2), (5, 1), (2, 2)],
        [(3, 2), (3, 2), (3, 1)],
        [(3, 1, 2), (3, 1, 4)],
        [(7, 2), (3, 2), (3, 1, 2)],
    ],
)
def test_receptive_field_matches_the_gradient_footprint(tf, layers):
    # Stack all-ones convolutions; the input cells with a non-zero gradient for one output
    # cell are exactly its receptive field. TensorFlow's reference kernels have no
    # gradient for dilated convolutions, so a dilated kernel is written out with zeros
    # between its taps: the same function.
    x = tf.Variable(tf.zeros((1, 128, 1, 1)))
    with tf.GradientTape() as tape:
        y = x
        for layer in layers:
            k, s = layer[:2]
            d = layer[2] if len(layer) == 3 else 1
            kernel = np.zeros((shapes.dilated_size(k, d), 1, 1, 1), np.float32)
            kernel[::d] = 1
            y = tf.nn.conv2d(y, kernel, [1, s, 1, 1], "VALID")
        target = y[0, y.shape[1] // 2, 0, 0]
    touched = np.flatnonzero(tape.gradient(target, x).numpy()[0, :, 0, 0])
    assert shapes.receptive_field(layers) == touched[-1] - touched[0] + 1


def test_shapes_reject_bad_arguments():
    with pytest.raises(
        ValueError, match=r"conv_output_size: the kernel \(9 cells after dilation\)"
    ):
        shapes.conv_output_size(4, 5, dilation_rate=2)
    with pytest.raises(
        ValueError, match="same_padding: `strides` must be a positive int; received strides=0"
    ):
        shapes.same_padding(5, 3, strides=0)
    with pytest.raises(
        TypeError, match="conv_output_size: `kernel_size` must be an int; received kernel_size=2.5"
    ):
        shapes.conv_output_size(5, 2.5)
    with pytest.raises(
        ValueError, match='padding_amounts: `padding` must be "valid", "same", an int'
    ):
        shapes.padding_amounts(5, 3, padding="full")
    with pytest.raises(
        ValueError, match='pool_output_size: `padding` must be "valid" or "same" for pooling'
    ):
        shapes.pool_output_size(5, 2, padding=1)
    with pytest.raises(
        ValueError,
        match="pool_output_size: the pool window \\(3\\) is longer than the input \\(2\\)",
    ):
        shapes.pool_output_size(2, 3)
    with pytest.raises(
        ValueError,
        match="conv_transpose_output_size: `output_padding` must be smaller than `strides`",
    ):
        shapes.conv_transpose_output_size(4, 3, strides=2, output_padding=2)
    with pytest.raises(
        TypeError, match=r"conv_params: `kernel_size` must be a positive int or a pair"
    ):
        shapes.conv_params("3", 1, 1)
    with pytest.raises(
        ValueError, match="conv_params: `filters` must be a positive int; received filters=0"
    ):
        shapes.conv_params(3, 1, 0)
    with pytest.raises(
        TypeError, match=r"receptive_field: each layer must be \(kernel_size, strides\)"
    ):
        shapes.receptive_field([3])
    with pytest.raises(
        TypeError, match="dilated_size: `kernel_size` must be an int; received kernel_size=True"
    ):
        shapes.dilated_size(True)


SIZE_FUNCTIONS = {
    "conv_output_size": lambda n: shapes.conv_output_size(n, 3, padding="same"),
    "pool_output_size": lambda n: shapes.pool_output_size(n, 2, padding="same"),
    "conv_transpose_output_size": lambda n: shapes.conv_transpose_output_size(n, 3, strides=2),
    "same_padding": lambda n: shapes.same_padding(n, 3),
    "padding_amounts": lambda n: shapes.padding_amounts(n, 3, padding="same"),
}


@pytest.mark.parametrize("name", SIZE_FUNCTIONS)
@pytest.mark.parametrize("n", [0, -1])
def test_size_functions_reject_an_empty_axis(name, n):
    # An axis with no cells has no windows: n < 1 is a mistake, not an output of 0.
    with pytest.raises(
        ValueError, match=rf"^{name}: `n` must be a positive int; received n={n}\.$"
    ):
        SIZE_FUNCTIONS[name](n)
    assert SIZE_FUNCTIONS[name](1) is not None  # and the smallest real axis works


def test_size_functions_reject_an_empty_axis_with_any_padding():
    for padding in ("valid", "same", 0, 2, (1, 0)):
        with pytest.raises(ValueError, match="conv_output_size: `n` must be a positive int"):
            shapes.conv_output_size(0, 1, padding=padding)
