"""Vectorised NumPy convolutions and pooling that give TensorFlow's numbers.

Same signatures as the loop versions in :mod:`convlab.naive`; tests pin the two
together and both to TensorFlow. Layouts are TensorFlow's: ``x`` is NHWC, kernels
are ``(kh, kw, c_in, c_out)``. Like ``tf.nn.conv2d`` these compute a
*cross-correlation*: the kernel is not flipped.

How the fast path works
-----------------------
A convolution is one matrix product between the image patches ("im2col": one row
per output pixel, ``kh * kw * c_in`` columns) and the kernel reshaped to
``(kh * kw * c_in, c_out)``. Building all patches at once writes ``kh * kw`` copies
of the input to main memory, which costs more than the product itself, so the
patches are built a block at a time and each block is multiplied straight into its
slice of the output. With few input channels the patch matrix is built transposed
(one contiguous image-sized plane per kernel tap), which keeps the copies long and
lets BLAS read it transposed.

The blocks are independent, so they run on all cores at once: one worker thread
per core takes a block, builds its patches and multiplies them with single-threaded
BLAS (NumPy releases the GIL for both). Letting BLAS split each product instead
leaves every core but one idle while the patches are copied, and makes the cores
wait for each other at every product. Pooling runs its blocks of images the same way.
"""

from __future__ import annotations

import functools
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from threadpoolctl import ThreadpoolController

from . import _checks, shapes

__all__ = [
    "avg_pool2d",
    "conv2d",
    "conv2d_transpose",
    "depthwise_conv2d",
    "max_pool2d",
    "separable_conv2d",
]

# Elements in one block of the patch matrix: 4 MB of float32 (measured fastest on
# 2-core Xeons: small enough to stay near the core, large enough to keep BLAS busy).
_BLOCK_ELEMENTS = 1 << 20
# Below this many input channels the patch matrix is built channels-first.
_CHANNELS_FIRST_BELOW = 8


@functools.cache
def _blas():
    """The BLAS libraries NumPy loaded, to set their thread count (found once)."""
    return ThreadpoolController()


@functools.cache
def _cores():
    """Cores this process may run on: 1 in the browser (Pyodide has no threads)."""
    if sys.platform == "emscripten":
        return 1
    try:
        return len(os.sched_getaffinity(0))  # the cores a container or taskset allows
    except AttributeError:  # macOS and Windows have no affinity call
        return os.cpu_count() or 1


@functools.cache
def _workers(pid):
    """One thread per core; one pool per process, as threads do not survive a fork."""
    return ThreadPoolExecutor(_cores())


# One parallel section at a time: BLAS's thread count is a setting of the whole process.
_parallel_section = threading.Lock()


def _in_parallel(work, blocks):
    """``work(block)`` for every block, on every core, BLAS single-threaded meanwhile."""
    if len(blocks) < 2 or _cores() < 2:
        for block in blocks:
            work(block)
        return
    with _parallel_section, _blas().limit(limits=1, user_api="blas"):
        list(_workers(os.getpid()).map(work, blocks))  # list(): re-raises a worker's error


def _tap(xp, i, j, out_hw, strides, dilation):
    """The input cells kernel tap ``(i, j)`` sees at every output position: (n, ho, wo, c)."""
    (ho, wo), (sh, sw), (dh, dw) = out_hw, strides, dilation
    return xp[:, i * dh : i * dh + sh * (ho - 1) + 1 : sh, j * dw : j * dw + sw * (wo - 1) + 1 : sw]


def _split(length, parts):
    """``parts`` slices of ``range(length)`` (at most ``length``, at least one) whose
    lengths differ by at most one."""
    parts = max(1, min(parts, length))
    bounds = [length * i // parts for i in range(parts + 1)]
    return [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _block_count(elements, size):
    """How many blocks of at most about ``size`` elements. Work for one block stays in
    one (on one core: threads would cost more than they save); more is split into a
    multiple of the core count, so that every core gets as much."""
    if elements <= size:
        return 1
    cores = _cores()
    return -(-elements // (size * cores)) * cores


def _blocks(n, rows, row_cost):
    """Split ``n`` images of ``rows`` output rows into even blocks (see ``_block_count``).

    Returns ``(images, rows)`` slices: several whole images per block when there are
    more images than blocks, else every image cut into the same number of row bands.
    """
    count = _block_count(n * rows * row_cost, _BLOCK_ELEMENTS)
    if count <= n:
        return [(images, slice(0, rows)) for images in _split(n, count)]
    bands = _split(rows, -(-count // n))
    return [(slice(a, a + 1), band) for a in range(n) for band in bands]


def _pad(x, pads):
    """``x`` with zeros around each image, copied on all cores (a block of images each)."""
    (top, bottom), (left, right) = pads
    if top == bottom == left == right == 0:
        return x
    n, h, w, c = x.shape
    xp = np.empty((n, top + h + bottom, left + w + right, c), dtype=x.dtype)

    def fill(images):
        padded = xp[images]
        padded[:, :top] = padded[:, top + h :] = 0
        padded[:, top : top + h, :left] = padded[:, top : top + h, left + w :] = 0
        padded[:, top : top + h, left : left + w] = x[images]

    _in_parallel(fill, _split(n, _block_count(x.size, _BLOCK_ELEMENTS)))
    return xp


def _correlate(xp, kernel, out_hw, strides, dilation):
    """Cross-correlate a padded batch with ``kernel``: blocked im2col + matrix product."""
    n = xp.shape[0]
    kh, kw, c, f = kernel.shape
    ho, wo = out_hw
    out = np.empty((n, ho, wo, f), dtype=xp.dtype)
    if out.size == 0:
        return out
    depth = kh * kw * c
    weights = kernel.reshape(depth, f)
    (sh, sw), (dh, dw) = strides, dilation
    span = (shapes.dilated_size(kh, dh), shapes.dilated_size(kw, dw))
    windows = sliding_window_view(xp, span, axis=(1, 2))[:, ::sh, ::sw, :, ::dh, ::dw]
    windows = windows[:, :ho, :wo]  # (n, ho, wo, c, kh, kw)
    channels_first = c < _CHANNELS_FIRST_BELOW
    if channels_first:  # one image-sized plane per tap and channel: long row copies
        patches = windows.transpose(4, 5, 3, 0, 1, 2)  # (kh, kw, c, n, ho, wo)
    else:  # one row per output pixel
        patches = windows.transpose(0, 1, 2, 4, 5, 3)  # (n, ho, wo, kh, kw, c)

    def multiply(block):
        images, rows = block
        m, r = images.stop - images.start, rows.stop - rows.start
        target = out[images, rows].reshape(m * r * wo, f)
        if channels_first:
            buffer = np.empty((kh, kw, c, m, r, wo), dtype=xp.dtype)
            np.copyto(buffer, patches[:, :, :, images, rows])
            np.matmul(buffer.reshape(depth, -1).T, weights, out=target)
        else:
            buffer = np.empty((m, r, wo, kh, kw, c), dtype=xp.dtype)
            np.copyto(buffer, patches[images, rows])
            np.matmul(buffer.reshape(-1, depth), weights, out=target)

    _in_parallel(multiply, _blocks(n, ho, wo * depth))
    return out


def conv2d(x, kernel, *, strides=1, padding="valid", dilation_rate=1):
    """2-D cross-correlation of an NHWC batch, as ``tf.nn.conv2d``.

    Parameters
    ----------
    x : array_like, shape (n, h, w, c_in)
    kernel : array_like, shape (kh, kw, c_in, c_out)
    strides : int or (int, int)
    padding : {"valid", "same"}, int, (int, int) or ((top, bottom), (left, right))
        Case-insensitive, so TensorFlow's ``"SAME"`` works. SAME pads like
        TensorFlow: the extra row or column, if any, at the bottom or right.
    dilation_rate : int or (int, int)
        Spacing between kernel taps; may be combined with ``strides > 1``.

    Returns
    -------
    ndarray, shape (n, h_out, w_out, c_out)
        ``h_out = convlab.shapes.conv_output_size(h, kh, ...)``, likewise ``w_out``.
        float64 if an input is float64, else float32.

    Notes
    -----
    ``out[b, y, x, f] = sum_{i, j, c} x_pad[b, y*sh + i*dh, x*sw + j*dw, c] * kernel[i, j, c, f]``

    See Also
    --------
    convlab.naive.conv2d : the same computation as readable loops.
    tf.nn.conv2d : TensorFlow's equivalent.

    Examples
    --------
    >>> x = np.arange(16.0).reshape(1, 4, 4, 1)
    >>> conv2d(x, np.ones((2, 2, 1, 1)), strides=2)[0, :, :, 0]
    array([[10., 18.],
           [42., 50.]])
    """
    args = _checks.conv_args("conv2d", x, kernel, strides, padding, dilation_rate)
    xp = _pad(args.x, args.pads)
    return _correlate(xp, args.kernel, args.out_hw, args.strides, args.dilation)


def depthwise_conv2d(x, kernel, *, strides=1, padding="valid", dilation_rate=1):
    """Depthwise 2-D cross-correlation, as ``tf.nn.depthwise_conv2d``.

    Each input channel is filtered on its own by ``multiplier`` kernels; channels
    never mix.

    Parameters
    ----------
    x : array_like, shape (n, h, w, c_in)
    kernel : array_like, shape (kh, kw, c_in, multiplier)
    strides, padding, dilation_rate
        As in :func:`conv2d`. Unlike ``tf.nn.depthwise_conv2d``, a dilation may be
        combined with a stride.

    Returns
    -------
    ndarray, shape (n, h_out, w_out, c_in * multiplier)
        Output channel ``c * multiplier + m`` is input channel ``c`` filtered by
        ``kernel[:, :, c, m]``.

    See Also
    --------
    convlab.naive.depthwise_conv2d, tf.nn.depthwise_conv2d

    Examples
    --------
    >>> x = np.ones((1, 3, 3, 2))
    >>> depthwise_conv2d(x, np.ones((3, 3, 2, 1)), padding="same")[0, :, :, 0]
    array([[4., 6., 4.],
           [6., 9., 6.],
           [4., 6., 4.]])
    """
    args = _checks.conv_args(
        "depthwise_conv2d",
        x,
        kernel,
        strides,
        padding,
        dilation_rate,
        kernel_layout="(kernel_height, kernel_width, in_channels, multiplier)",
    )
    return _depthwise(args)


def _depthwise(args):
    xp = _pad(args.x, args.pads)
    kh, kw, c, m = args.kernel.shape
    n, (ho, wo) = xp.shape[0], args.out_hw
    out = np.zeros((n, ho, wo, c, m), dtype=xp.dtype)
    product = np.empty_like(out)
    for i in range(kh):
        for j in range(kw):
            tap = _tap(xp, i, j, args.out_hw, args.strides, args.dilation)
            np.multiply(tap[..., None], args.kernel[i, j], out=product)
            out += product
    return out.reshape(n, ho, wo, c * m)


def separable_conv2d(
    x, depthwise_kernel, pointwise_kernel, *, strides=1, padding="valid", dilation_rate=1
):
    """Depthwise then 1x1 pointwise convolution, as ``tf.nn.separable_conv2d``.

    Parameters
    ----------
    x : array_like, shape (n, h, w, c_in)
    depthwise_kernel : array_like, shape (kh, kw, c_in, multiplier)
    pointwise_kernel : array_like, shape (1, 1, c_in * multiplier, c_out)
    strides, padding, dilation_rate
        Apply to the depthwise step, as in TensorFlow.

    Returns
    -------
    ndarray, shape (n, h_out, w_out, c_out)

    See Also
    --------
    depthwise_conv2d, conv2d, tf.nn.separable_conv2d

    Examples
    --------
    >>> x = np.ones((1, 4, 4, 2))
    >>> separable_conv2d(x, np.ones((3, 3, 2, 1)), np.ones((1, 1, 2, 3))).shape
    (1, 2, 2, 3)
    """
    fn = "separable_conv2d"
    args = _checks.conv_args(
        fn,
        x,
        depthwise_kernel,
        strides,
        padding,
        dilation_rate,
        kernel_layout="(kernel_height, kernel_width, in_channels, multiplier)",
    )
    pointwise = _checks.as_array(
        fn,
        "pointwise_kernel",
        pointwise_kernel,
        ndim=4,
        layout="(1, 1, in_channels * multiplier, out_channels)",
    )
    depth = args.kernel.shape[2] * args.kernel.shape[3]
    if pointwise.shape[:3] != (1, 1, depth):
        raise ValueError(
            f"{fn}: `pointwise_kernel` must have shape (1, 1, {depth}, out_channels) "
            f"(in_channels * multiplier = {depth}); received shape {pointwise.shape}."
        )
    hidden = _depthwise(args)
    weights = pointwise.astype(hidden.dtype, copy=False)[0, 0]
    return np.matmul(hidden, weights)


def conv2d_transpose(x, kernel, *, strides=1, padding="valid", output_padding=None):
    """Transposed convolution, as ``keras.layers.Conv2DTranspose`` / ``tf.nn.conv2d_transpose``.

    Each input pixel scatters a copy of the kernel, scaled by its value, into the
    output at ``strides`` spacing; overlapping copies add. It is the gradient of
    :func:`conv2d` with respect to its input, not its inverse.

    Parameters
    ----------
    x : array_like, shape (n, h, w, c_in)
    kernel : array_like, shape (kh, kw, c_out, c_in)
        TensorFlow's layout for transposed kernels: output channels come first.
    strides : int or (int, int)
    padding : {"valid", "same"}, int, (int, int) or ((top, bottom), (left, right))
        Explicit padding crops that many cells off the full output.
    output_padding : int, (int, int) or None
        Extra cells at the bottom/right; each must be smaller than the stride.

    Returns
    -------
    ndarray, shape (n, h_out, w_out, c_out)
        ``h_out = convlab.shapes.conv_transpose_output_size(h, kh, ...)``: ``s (h - 1) + kh``
        for valid (when ``kh >= s``), ``h s`` for same.

    See Also
    --------
    convlab.naive.conv2d_transpose, tf.nn.conv2d_transpose

    Examples
    --------
    >>> x = np.array([1.0, 2.0]).reshape(1, 1, 2, 1)
    >>> conv2d_transpose(x, np.ones((1, 3, 1, 1)), strides=2)[0, 0, :, 0]
    array([1., 1., 3., 2., 2.])
    """
    args = _checks.transpose_args("conv2d_transpose", x, kernel, strides, padding, output_padding)
    kh, kw, f, c = args.kernel.shape
    n, h, w, _ = args.x.shape
    (sh, sw), (ho, wo) = args.strides, args.out_hw
    # Every input pixel times every kernel tap in one product: (n, h, w, kh, kw, f).
    weights = args.kernel.transpose(3, 0, 1, 2).reshape(c, kh * kw * f)
    scattered = np.matmul(args.x, weights).reshape(n, h, w, kh, kw, f)
    full_h, full_w = sh * (h - 1) + kh, sw * (w - 1) + kw
    (top, _), (left, _) = args.pads
    full = np.zeros((n, max(full_h, top + ho), max(full_w, left + wo), f), dtype=args.x.dtype)
    for i in range(kh):
        for j in range(kw):
            full[:, i : i + sh * (h - 1) + 1 : sh, j : j + sw * (w - 1) + 1 : sw] += scattered[
                :, :, :, i, j
            ]
    return np.ascontiguousarray(full[:, top : top + ho, left : left + wo])


def max_pool2d(x, pool_size=2, *, strides=None, padding="valid"):
    """Max pooling, as ``tf.nn.max_pool2d`` / ``keras.layers.MaxPooling2D``.

    Parameters
    ----------
    x : array_like, shape (n, h, w, c)
    pool_size : int or (int, int)
    strides : int, (int, int) or None
        None means ``pool_size`` (non-overlapping windows), as in Keras.
    padding : {"valid", "same"}
        SAME pads with -inf, so padded cells never win.

    Returns
    -------
    ndarray, shape (n, h_out, w_out, c)
        ``h_out = convlab.shapes.pool_output_size(h, pool_h, ...)``.

    See Also
    --------
    convlab.naive.max_pool2d, avg_pool2d, tf.nn.max_pool2d

    Examples
    --------
    >>> x = np.arange(1.0, 10.0).reshape(1, 3, 3, 1)
    >>> max_pool2d(x, 2, padding="same")[0, :, :, 0]
    array([[5., 6.],
           [8., 9.]])
    """
    args = _checks.pool_args("max_pool2d", x, pool_size, strides, padding)
    return _pool(args, np.maximum, fill=-np.inf)


def avg_pool2d(x, pool_size=2, *, strides=None, padding="valid"):
    """Average pooling, as ``tf.nn.avg_pool2d`` / ``keras.layers.AveragePooling2D``.

    Parameters
    ----------
    x : array_like, shape (n, h, w, c)
    pool_size : int or (int, int)
    strides : int, (int, int) or None
        None means ``pool_size``, as in Keras.
    padding : {"valid", "same"}
        With SAME, padded cells are left out of the average: a border window
        divides by the number of real cells it covers.

    Returns
    -------
    ndarray, shape (n, h_out, w_out, c)

    See Also
    --------
    convlab.naive.avg_pool2d, max_pool2d, tf.nn.avg_pool2d

    Examples
    --------
    >>> x = np.arange(1.0, 10.0).reshape(1, 3, 3, 1)
    >>> avg_pool2d(x, 2, padding="same")[0, :, :, 0]
    array([[3. , 4.5],
           [7.5, 9. ]])
    """
    args = _checks.pool_args("avg_pool2d", x, pool_size, strides, padding)
    total = _pool(args, np.add, fill=0.0)
    counts = [
        _window_counts(n, k, s, pads[0], out)
        for n, k, s, pads, out in zip(
            args.x.shape[1:3], args.pool, args.strides, args.pads, args.out_hw, strict=True
        )
    ]
    total /= np.multiply.outer(*counts).astype(total.dtype)[:, :, None]
    return total


# Input elements per pooling block: 4 MB of float32 (measured fastest with the blocks
# spread over two cores; with one core, 1 MB kept the intermediate in cache).
_POOL_BLOCK_ELEMENTS = 1 << 20


def _pool(args, combine, fill):
    """Combine every window; max and sum are separable, so reduce the width, then the height.

    That takes ``kh + kw`` passes instead of ``kh * kw``, done a cache-sized block
    of images at a time. Padding is never built: taps that would read it are
    skipped, which is what padding with ``fill`` (the identity of ``combine``) gives.
    """
    x, (ph, pw), (sh, sw), ((top, _), (left, _)), (ho, wo) = (
        args.x,
        args.pool,
        args.strides,
        args.pads,
        args.out_hw,
    )
    out = np.empty((x.shape[0], ho, wo, x.shape[3]), dtype=x.dtype)
    if x.size == 0:
        return out
    blocks = _split(x.shape[0], _block_count(x.size, _POOL_BLOCK_ELEMENTS))

    def reduce(images):
        wide = _reduce_axis(x[images], 2, pw, sw, left, wo, combine, fill)
        out[images] = _reduce_axis(wide, 1, ph, sh, top, ho, combine, fill)

    _in_parallel(reduce, blocks)
    return out


def _reduce_axis(x, axis, k, s, before, out, combine, fill):
    """``result[o] = combine(x[o*s + t - before] for t in range(k))`` along ``axis``,
    skipping indices outside ``x``."""
    n = x.shape[axis]
    taps = []  # (output positions, the input cells tap t reads for them)
    for t in range(k):
        # Output positions o whose tap t lands inside x: 0 <= o*s + t - before < n.
        lo = max(0, -((t - before) // s))
        hi = min(out, (n - 1 - t + before) // s + 1)
        if hi > lo:
            start = lo * s + t - before
            cells = _along(x, axis, slice(start, start + s * (hi - lo - 1) + 1, s))
            taps.append((slice(lo, hi), cells))
    whole = [i for i, (where, _) in enumerate(taps) if (where.start, where.stop) == (0, out)]
    if len(whole) >= 2:  # combine two whole taps into a new array: one pass fewer than a copy
        second, first = taps.pop(whole[1])[1], taps.pop(whole[0])[1]
        result = combine(first, second)
    elif whole:
        result = taps.pop(whole[0])[1].copy()
    else:  # also an empty output, where no tap lands
        shape = list(x.shape)
        shape[axis] = out
        result = np.full(shape, fill, dtype=x.dtype)
    for where, cells in taps:
        target = _along(result, axis, where)
        combine(target, cells, out=target)
    return result


def _along(x, axis, index):
    return x[(slice(None),) * axis + (index,)]


def _window_counts(n, k, s, before, out):
    """How many real (unpadded) cells each window along one axis covers."""
    start = np.arange(out) * s - before
    return np.minimum(start + k, n) - np.maximum(start, 0)
