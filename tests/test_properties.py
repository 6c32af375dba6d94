"""Property-based cases: random geometry, naive == fast == TensorFlow."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import convlab
from convlab import naive, shapes

from oracle import assert_matches

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@st.composite
def conv_problems(draw):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    dh, dw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    padding = draw(
        st.one_of(
            st.sampled_from(["valid", "same", "VALID", "SAME"]),
            st.integers(0, 2),
            st.tuples(
                st.tuples(st.integers(0, 2), st.integers(0, 2)),
                st.tuples(st.integers(0, 2), st.integers(0, 2)),
            ),
        )
    )
    # Input at least as large as the dilated kernel, so every padding fits.
    h = draw(st.integers(shapes.dilated_size(kh, dh), 12))
    w = draw(st.integers(shapes.dilated_size(kw, dw), 12))
    n, c_in, c_out = draw(st.integers(0, 2)), draw(st.integers(1, 10)), draw(st.integers(1, 4))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, h, w, c_in)).astype(np.float32)
    kernel = rng.standard_normal((kh, kw, c_in, c_out)).astype(np.float32)
    return x, kernel, dict(strides=(sh, sw), padding=padding, dilation_rate=(dh, dw))


def tf_padding(padding):
    if isinstance(padding, str):
        return padding.upper()
    if isinstance(padding, int):
        padding = ((padding,) * 2,) * 2
    return [[0, 0], list(padding[0]), list(padding[1]), [0, 0]]


def tf_conv2d(tf, x, kernel, options):
    """``tf.nn.conv2d`` with convlab's keyword ``options`` (per-axis strides and dilation)."""
    return tf.nn.conv2d(
        x,
        kernel,
        strides=[1, *options["strides"], 1],
        padding=tf_padding(options["padding"]),
        dilations=[1, *options["dilation_rate"], 1],
    ).numpy()


@SETTINGS
@given(conv_problems())
def test_conv2d_naive_fast_and_tensorflow_agree(tf, problem):
    x, kernel, options = problem
    fast = convlab.conv2d(x, kernel, **options)
    assert_matches(fast, naive.conv2d(x, kernel, **options))
    if x.shape[0]:
        assert_matches(fast, tf_conv2d(tf, x, kernel, options))
    h_out = shapes.conv_output_size(
        x.shape[1],
        kernel.shape[0],
        strides=options["strides"][0],
        padding=options["padding"]
        if isinstance(options["padding"], (str, int))
        else options["padding"][0],
        dilation_rate=options["dilation_rate"][0],
    )
    assert fast.shape[1] == h_out


@st.composite
def tight_conv_problems(draw):
    """The corner where the window only just fits after padding, with a stride.

    Kernels up to 5, explicit asymmetric padding, strides like (1, 2); along each axis
    the input is either just large enough for one or two windows or up to 17 cells.
    TensorFlow's oneDNN kernels return garbage for some of these (test_tensorflow_bug.py).
    """
    kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    dh, dw = draw(st.sampled_from([(1, 1), (1, 1), (2, 1), (1, 2)]))
    sh, sw = draw(st.sampled_from([(1, 1), (1, 2), (2, 1), (2, 2), (1, 3), (3, 1)]))
    pads = tuple((draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in range(2))
    sizes = []
    for k, d, s, (before, after) in zip((kh, kw), (dh, dw), (sh, sw), pads, strict=True):
        fit = shapes.dilated_size(k, d) - before - after  # the input that just fits
        tight = st.integers(max(1, fit), max(1, fit + s))
        sizes.append(draw(st.one_of(tight, st.integers(max(1, fit), 17))))
    n, c_in, c_out = draw(st.integers(1, 3)), draw(st.integers(1, 4)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.standard_normal((n, *sizes, c_in)).astype(np.float32)
    kernel = rng.standard_normal((kh, kw, c_in, c_out)).astype(np.float32)
    return x, kernel, dict(strides=(sh, sw), padding=pads, dilation_rate=(dh, dw))


@settings(SETTINGS, max_examples=100)
@given(tight_conv_problems())
def test_conv2d_where_the_window_just_fits_agrees_with_tensorflow(tf, problem):
    x, kernel, options = problem
    expected = tf_conv2d(tf, x, kernel, options)
    assert_matches(convlab.conv2d(x, kernel, **options), expected)
    assert_matches(naive.conv2d(x, kernel, **options), expected)


@st.composite
def pool_problems(draw):
    ph, pw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    strides = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    padding = draw(st.sampled_from(["valid", "same"]))
    h, w = draw(st.integers(ph, 11)), draw(st.integers(pw, 11))
    seed = draw(st.integers(0, 2**16))
    x = np.random.default_rng(seed).standard_normal((2, h, w, 3)).astype(np.float32)
    return x, (ph, pw), strides, padding


@SETTINGS
@given(pool_problems(), st.sampled_from(["max", "avg"]))
def test_pooling_naive_fast_and_tensorflow_agree(tf, problem, kind):
    x, pool, strides, padding = problem
    fast = getattr(convlab, f"{kind}_pool2d")(x, pool, strides=strides, padding=padding)
    slow = getattr(naive, f"{kind}_pool2d")(x, pool, strides=strides, padding=padding)
    tf_op = {"max": tf.nn.max_pool2d, "avg": tf.nn.avg_pool2d}[kind]
    expected = tf_op(x, pool, strides or pool, padding.upper()).numpy()
    assert_matches(fast, slow)
    assert_matches(fast, expected)


@SETTINGS
@given(
    st.integers(1, 5),
    st.integers(1, 5),
    st.integers(1, 3),
    st.sampled_from(["valid", "same"]),
    st.integers(0, 2**16),
)
def test_conv2d_transpose_naive_and_fast_agree(k, n, s, padding, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, n, n + 1, 3)).astype(np.float32)
    kernel = rng.standard_normal((k, k, 2, 3)).astype(np.float32)
    options = dict(strides=s, padding=padding, output_padding=None)
    assert_matches(
        convlab.conv2d_transpose(x, kernel, **options), naive.conv2d_transpose(x, kernel, **options)
    )
