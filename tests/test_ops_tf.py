"""convlab's fast and naive ops against TensorFlow over sweeps of every option."""

import itertools

import numpy as np
import pytest

import convlab
from convlab import naive, shapes

from oracle import assert_matches, randn


def tf_padding(padding):
    """convlab's padding argument in tf.nn's form."""
    if isinstance(padding, str):
        return padding.upper()
    if isinstance(padding, int):
        padding = ((padding, padding), (padding, padding))
    return [[0, 0], list(padding[0]), list(padding[1]), [0, 0]]


def pair(value):
    return (value, value) if isinstance(value, int) else value


CONV_CASES = [
    # (input shape, kernel (kh, kw), c_out, strides, padding, dilation)
    (shape, kernel, c_out, strides, padding, dilation)
    for shape, kernel, c_out in [
        ((2, 9, 9, 1), (3, 3), 4),
        ((2, 11, 10, 3), (5, 5), 2),
        ((1, 8, 12, 16), (2, 3), 8),
        ((3, 7, 7, 9), (1, 1), 5),
        ((1, 13, 9, 2), (4, 2), 3),
    ]
    for strides, padding, dilation in [
        (1, "valid", 1),
        (1, "same", 1),
        (2, "same", 1),
        (3, "valid", 1),
        ((2, 1), "SAME", 1),
        (1, "valid", 2),
        (2, "same", 2),
        ((1, 3), "same", (2, 1)),
        (2, 1, 1),
        (1, ((1, 2), (0, 3)), 1),
        (3, ((2, 0), (1, 1)), (1, 2)),
    ]
]


CONV_CASES += [
    # The window only just fits after padding, with a stride along one axis: one output
    # column (oneDNN's wrong corner, see test_tensorflow_bug.py) and its neighbours.
    ((3, 17, 4, 1), (5, 5), 2, (1, 2), ((1, 1), (1, 1)), 1),
    ((2, 9, 3, 2), (3, 4), 3, (1, 3), ((0, 1), (2, 0)), 1),
    ((2, 5, 6, 3), (5, 2), 2, (2, 1), ((1, 0), (0, 0)), 1),
    ((1, 4, 12, 2), (5, 3), 2, (1, 2), ((2, 1), (1, 2)), 1),
    ((2, 8, 2, 1), (3, 3), 2, (1, 2), ((0, 0), (1, 1)), (2, 1)),
]


def conv_case_id(case):
    shape, kernel, c_out, strides, padding, dilation = case
    return f"x{shape}-k{kernel}-f{c_out}-s{strides}-p{padding}-d{dilation}"


@pytest.mark.parametrize("case", CONV_CASES, ids=map(conv_case_id, CONV_CASES))
def test_conv2d_matches_tensorflow(tf, rng, case):
    shape, (kh, kw), c_out, strides, padding, dilation = case
    x = randn(rng, shape)
    kernel = randn(rng, (kh, kw, shape[3], c_out))
    sh, sw = pair(strides)
    dh, dw = pair(dilation)
    expected = tf.nn.conv2d(
        x, kernel, strides=[1, sh, sw, 1], padding=tf_padding(padding), dilations=[1, dh, dw, 1]
    ).numpy()
    options = dict(strides=strides, padding=padding, dilation_rate=dilation)
    assert_matches(convlab.conv2d(x, kernel, **options), expected)
    assert_matches(naive.conv2d(x, kernel, **options), expected)


@pytest.mark.parametrize("channels", [1, 3, 7, 8, 32])
def test_conv2d_both_patch_layouts_match_tensorflow(tf, rng, channels):
    # Fewer than 8 input channels take the channels-first path, more the channels-last one.
    x = randn(rng, (4, 14, 14, channels))
    kernel = randn(rng, (5, 5, channels, 6))
    expected = tf.nn.conv2d(x, kernel, strides=2, padding="SAME").numpy()
    assert_matches(convlab.conv2d(x, kernel, strides=2, padding="same"), expected)


def test_conv2d_blocks_large_inputs_by_rows(tf, rng, monkeypatch):
    # Force tiny blocks so one image is split into bands of rows, on both patch layouts.
    monkeypatch.setattr(convlab.ops, "_BLOCK_ELEMENTS", 500)
    for channels in (2, 9):
        x = randn(rng, (3, 17, 11, channels))
        kernel = randn(rng, (3, 3, channels, 4))
        expected = tf.nn.conv2d(x, kernel, strides=[1, 2, 1, 1], padding="SAME").numpy()
        assert_matches(convlab.conv2d(x, kernel, strides=(2, 1), padding="same"), expected)


def tf_depthwise(tf, x, kernel, strides, padding, dilation, pointwise=None, subsample=False):
    """tf.nn.depthwise_conv2d (or separable_conv2d, given ``pointwise``) at any strides.

    TensorFlow's reference kernels take equal strides along both axes only, and no
    dilation with a stride. Otherwise run at stride 1 on the same padding cells, given
    explicitly, and keep every stride-th output: the same windows.
    """
    (sh, sw), (dh, dw) = pair(strides), pair(dilation)
    kernels = (kernel,) if pointwise is None else (kernel, pointwise)
    op = tf.nn.depthwise_conv2d if pointwise is None else tf.nn.separable_conv2d
    if sh == sw and (sh == 1 or dh == dw == 1) and not subsample:
        return op(x, *kernels, [1, sh, sw, 1], tf_padding(padding), dilations=(dh, dw)).numpy()
    pads = [
        shapes.padding_amounts(
            x.shape[1 + axis],
            kernel.shape[axis],
            strides=(sh, sw)[axis],
            padding=padding if isinstance(padding, (str, int)) else padding[axis],
            dilation_rate=(dh, dw)[axis],
        )
        for axis in range(2)
    ]
    dense = op(x, *kernels, [1, 1, 1, 1], tf_padding(tuple(pads)), dilations=(dh, dw)).numpy()
    return dense[:, ::sh, ::sw]


@pytest.mark.parametrize("padding", ["valid", "same", ((2, 0), (1, 2))])
def test_tf_depthwise_by_subsampling_equals_the_direct_call(tf, rng, padding):
    # The oracle's detour (stride 1, then every stride-th output) where both routes work.
    x = randn(rng, (2, 11, 9, 3))
    kernel, pointwise = randn(rng, (3, 2, 3, 2)), randn(rng, (1, 1, 6, 4))
    for extra in ({}, {"pointwise": pointwise}):
        direct = tf_depthwise(tf, x, kernel, 2, padding, 1, **extra)
        detour = tf_depthwise(tf, x, kernel, 2, padding, 1, subsample=True, **extra)
        np.testing.assert_allclose(detour, direct, rtol=1e-6, atol=1e-6)


def blas_threads():
    return [library["num_threads"] for library in convlab.ops._blas().info()]


def test_blocks_run_in_parallel_and_blas_gets_its_threads_back(tf, rng, monkeypatch):
    monkeypatch.setattr(convlab.ops, "_BLOCK_ELEMENTS", 4000)  # many blocks
    threads = blas_threads()
    seen = []
    real = convlab.ops._in_parallel
    monkeypatch.setattr(
        convlab.ops,
        "_in_parallel",
        lambda work, blocks: seen.append(len(blocks)) or real(work, blocks),
    )
    x = randn(rng, (5, 12, 10, 9))
    kernel = randn(rng, (3, 3, 9, 4))
    expected = tf.nn.conv2d(x, kernel, 1, "SAME").numpy()
    assert_matches(convlab.conv2d(x, kernel, padding="same"), expected)
    assert max(seen) > 2  # padding, then the patches in many blocks
    assert blas_threads() == threads


def test_an_error_in_a_block_reaches_the_caller_and_blas_gets_its_threads_back():
    threads = blas_threads()

    def work(block):
        if block == 2:
            raise RuntimeError("block 2 failed")

    with pytest.raises(RuntimeError, match="block 2 failed"):
        convlab.ops._in_parallel(work, [0, 1, 2, 3])
    assert blas_threads() == threads


def test_one_core_or_the_browser_runs_blocks_in_the_calling_thread(monkeypatch):
    import threading

    monkeypatch.setattr(convlab.ops.sys, "platform", "emscripten")  # Pyodide: no threads
    convlab.ops._cores.cache_clear()
    try:
        assert convlab.ops._cores() == 1
        threads = set()
        convlab.ops._in_parallel(lambda block: threads.add(threading.get_ident()), [0, 1, 2])
        assert threads == {threading.get_ident()}
        assert convlab.ops._block_count(10**8, 1000) == 10**5  # no rounding up to cores
    finally:
        monkeypatch.undo()
        convlab.ops._cores.cache_clear()


DEPTHWISE_CASES = [
    ((2, 9, 9, 3), (3, 3), 1, 1, "valid", 1),
    ((2, 9, 8, 2), (3, 3), 2, 2, "same", 1),
    ((1, 10, 11, 4), (5, 3), 3, (2, 3), "SAME", 1),
    ((2, 12, 12, 3), (3, 3), 2, 1, "same", 2),
    ((1, 12, 10, 2), (2, 3), 1, 1, "valid", (2, 3)),
    ((1, 9, 9, 3), (3, 3), 2, 1, ((1, 2), (2, 0)), 1),
]


@pytest.mark.parametrize("case", DEPTHWISE_CASES, ids=map(str, DEPTHWISE_CASES))
def test_depthwise_conv2d_matches_tensorflow(tf, rng, case):
    shape, (kh, kw), multiplier, strides, padding, dilation = case
    x = randn(rng, shape)
    kernel = randn(rng, (kh, kw, shape[3], multiplier))
    expected = tf_depthwise(tf, x, kernel, strides, padding, dilation)
    options = dict(strides=strides, padding=padding, dilation_rate=dilation)
    assert_matches(convlab.depthwise_conv2d(x, kernel, **options), expected)
    assert_matches(naive.depthwise_conv2d(x, kernel, **options), expected)


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_depthwise_with_stride_and_dilation_matches_tensorflow_subsampled(tf, rng, padding):
    # tf.nn.depthwise_conv2d refuses dilation with stride > 1 (it warns and returns the wrong
    # shape), so compare with TensorFlow at stride 1 on the same padding, then subsample.
    x = randn(rng, (2, 13, 11, 3))
    kernel = randn(rng, (3, 3, 3, 2))
    pads = [
        shapes.padding_amounts(n, 3, strides=2, padding=padding, dilation_rate=2) for n in (13, 11)
    ]
    dense = tf.nn.depthwise_conv2d(
        x, kernel, strides=[1, 1, 1, 1], padding=tf_padding(tuple(pads)), dilations=(2, 2)
    ).numpy()
    expected = dense[:, ::2, ::2]
    options = dict(strides=2, padding=padding, dilation_rate=2)
    assert_matches(convlab.depthwise_conv2d(x, kernel, **options), expected)
    assert_matches(naive.depthwise_conv2d(x, kernel, **options), expected)


@pytest.mark.parametrize(
    "strides, padding, dilation, multiplier",
    [(1, "valid", 1, 1), (2, "same", 1, 2), ((1, 2), "SAME", 1, 1), (1, "same", 2, 3)],
)
def test_separable_conv2d_matches_tensorflow(tf, rng, strides, padding, dilation, multiplier):
    x = randn(rng, (2, 10, 9, 3))
    depthwise = randn(rng, (3, 3, 3, multiplier))
    pointwise = randn(rng, (1, 1, 3 * multiplier, 5))
    expected = tf_depthwise(tf, x, depthwise, strides, padding, dilation, pointwise=pointwise)
    result = convlab.separable_conv2d(
        x, depthwise, pointwise, strides=strides, padding=padding, dilation_rate=dilation
    )
    assert_matches(result, expected)


TRANSPOSE_CASES = [
    # (kernel size, strides, padding, output_padding)
    (3, 1, "valid", None),
    (3, 2, "valid", None),
    (3, 2, "same", None),
    (3, 2, "valid", 1),
    (3, 2, "same", 1),
    (2, 3, "valid", None),
    (4, 3, "same", None),
    (4, 3, "same", 1),
    (5, 2, "same", 0),
    ((3, 2), (2, 1), "valid", None),
    ((3, 3), (2, 3), "same", (1, 2)),
]


@pytest.mark.parametrize("case", TRANSPOSE_CASES, ids=map(str, TRANSPOSE_CASES))
def test_conv2d_transpose_matches_keras(tf, rng, case):
    import keras

    kernel_size, strides, padding, output_padding = case
    kh, kw = pair(kernel_size)
    x = randn(rng, (2, 6, 5, 3))
    kernel = randn(rng, (kh, kw, 4, 3))
    layer = keras.layers.Conv2DTranspose(
        4,
        (kh, kw),
        strides=strides,
        padding=padding,
        output_padding=output_padding,
        use_bias=False,
    )
    layer.build(x.shape)
    layer.set_weights([kernel])
    expected = np.asarray(layer(x))
    options = dict(strides=strides, padding=padding, output_padding=output_padding)
    assert_matches(convlab.conv2d_transpose(x, kernel, **options), expected)
    assert_matches(naive.conv2d_transpose(x, kernel, **options), expected)


@pytest.mark.parametrize("padding", [1, ((0, 2), (1, 0)), ((2, 1), (0, 0))])
def test_conv2d_transpose_explicit_padding_matches_tensorflow(tf, rng, padding):
    x = randn(rng, (2, 5, 6, 3))
    kernel = randn(rng, (4, 3, 2, 3))
    ours = convlab.conv2d_transpose(x, kernel, strides=2, padding=padding)
    expected = tf.nn.conv2d_transpose(
        x, kernel, output_shape=ours.shape, strides=2, padding=tf_padding(padding)
    ).numpy()
    assert_matches(ours, expected)
    assert_matches(naive.conv2d_transpose(x, kernel, strides=2, padding=padding), expected)


def test_conv2d_transpose_is_the_input_gradient_of_conv2d(tf, rng):
    x = tf.constant(randn(rng, (2, 9, 8, 3)))
    kernel = randn(rng, (3, 3, 3, 5))
    upstream = randn(rng, (2, 5, 4, 5))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.nn.conv2d(x, kernel, strides=2, padding="SAME")
    gradient = tape.gradient(y, x, output_gradients=upstream).numpy()
    assert_matches(
        # 9 rows and 8 columns at stride 2 need output_padding 0 and 1 to come back.
        convlab.conv2d_transpose(
            upstream, kernel, strides=2, padding="same", output_padding=(0, 1)
        ),
        gradient,
    )


POOL_CASES = list(
    itertools.product(
        [2, 3, (2, 3)],
        [None, 1, 2, (1, 2)],
        ["valid", "same", "SAME"],
    )
)


@pytest.mark.parametrize("pool_size, strides, padding", POOL_CASES)
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pooling_matches_tensorflow(tf, rng, kind, pool_size, strides, padding):
    x = randn(rng, (2, 9, 8, 3))
    window = pair(pool_size)
    step = window if strides is None else pair(strides)
    tf_op = {"max": tf.nn.max_pool2d, "avg": tf.nn.avg_pool2d}[kind]
    expected = tf_op(x, ksize=window, strides=step, padding=padding.upper()).numpy()
    for module in (convlab, naive):
        ours = getattr(module, f"{kind}_pool2d")(x, pool_size, strides=strides, padding=padding)
        assert_matches(ours, expected)


def test_same_avg_pool_leaves_padding_out_of_the_average(tf):
    x = np.arange(1.0, 10.0, dtype=np.float32).reshape(1, 3, 3, 1)
    expected = [[3.0, 4.5], [7.5, 9.0]]
    np.testing.assert_array_equal(convlab.avg_pool2d(x, 2, padding="same")[0, :, :, 0], expected)
    tf_result = tf.nn.avg_pool2d(x, 2, 2, "SAME").numpy()[0, :, :, 0]
    np.testing.assert_array_equal(tf_result, expected)


def test_same_max_pool_never_picks_the_padding(tf):
    x = -np.arange(1.0, 10.0, dtype=np.float32).reshape(1, 3, 3, 1)  # all negative
    ours = convlab.max_pool2d(x, 2, padding="same")
    assert_matches(ours, tf.nn.max_pool2d(x, 2, 2, "SAME").numpy())
    assert ours.max() < 0


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pooling_in_blocks_of_images_matches_tensorflow(tf, rng, monkeypatch, kind):
    # Force one image per block, with a batch that does not split evenly.
    monkeypatch.setattr(convlab.ops, "_POOL_BLOCK_ELEMENTS", 1)
    x = randn(rng, (5, 7, 9, 2))
    tf_op = {"max": tf.nn.max_pool2d, "avg": tf.nn.avg_pool2d}[kind]
    expected = tf_op(x, 3, 2, "SAME").numpy()
    assert_matches(getattr(convlab, f"{kind}_pool2d")(x, 3, strides=2, padding="same"), expected)


@pytest.mark.parametrize(
    "n, rows, row_cost", [(1, 1, 1), (64, 28, 700), (32, 56, 32256), (8, 224, 6048), (3, 5, 10**6)]
)
@pytest.mark.parametrize("size", [1, 500, 1 << 20])
def test_blocks_cover_every_output_row_once_in_even_blocks(monkeypatch, n, rows, row_cost, size):
    monkeypatch.setattr(convlab.ops, "_BLOCK_ELEMENTS", size)
    blocks = convlab.ops._blocks(n, rows, row_cost)
    covered = np.zeros((n, rows), int)
    for images, band in blocks:
        covered[images, band] += 1
    assert (covered == 1).all()
    sizes = [(i.stop - i.start) * (b.stop - b.start) for i, b in blocks]
    assert max(sizes) - min(sizes) <= max(1, max(sizes) // 2)  # no straggler block
