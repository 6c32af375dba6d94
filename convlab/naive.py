"""Loop versions of convlab's ops, written to be read.

These are the functions the notebooks build step by step: one output pixel at a
time, one window, one dot product. They share their signatures (and their
argument checks) with the fast versions at the top of :mod:`convlab`, and the
tests pin the two together and both to TensorFlow. They are slow by design.
"""

from __future__ import annotations

import numpy as np

from . import _checks

__all__ = ["avg_pool2d", "conv2d", "conv2d_transpose", "depthwise_conv2d", "max_pool2d"]


def _pad(x, pads, value=0.0):
    (top, bottom), (left, right) = pads
    return np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=value)


def conv2d(x, kernel, *, strides=1, padding="valid", dilation_rate=1):
    """Cross-correlation by sliding the kernel over every output position.

    Same arguments and result as :func:`convlab.conv2d` (and ``tf.nn.conv2d``).

    Examples
    --------
    >>> x = np.arange(16.0).reshape(1, 4, 4, 1)
    >>> conv2d(x, np.ones((2, 2, 1, 1)), strides=2)[0, :, :, 0]
    array([[10., 18.],
           [42., 50.]])
    """
    args = _checks.conv_args("conv2d", x, kernel, strides, padding, dilation_rate)
    x_pad = _pad(args.x, args.pads)
    kh, kw, c_in, c_out = args.kernel.shape
    (sh, sw), (dh, dw) = args.strides, args.dilation
    out_h, out_w = args.out_hw
    out = np.zeros((x_pad.shape[0], out_h, out_w, c_out), dtype=args.x.dtype)
    for y in range(out_h):
        for x_ in range(out_w):
            top, left = y * sh, x_ * sw
            # The window this output pixel sees: kh x kw cells, dilation apart.
            patch = x_pad[:, top : top + dh * kh : dh, left : left + dw * kw : dw, :]
            # One dot product per filter: multiply cell by cell and add everything up.
            for f in range(c_out):
                out[:, y, x_, f] = np.sum(patch * args.kernel[:, :, :, f], axis=(1, 2, 3))
    return out


def depthwise_conv2d(x, kernel, *, strides=1, padding="valid", dilation_rate=1):
    """Depthwise cross-correlation: each channel filtered on its own.

    Same arguments and result as :func:`convlab.depthwise_conv2d`.
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
    x_pad = _pad(args.x, args.pads)
    kh, kw, c_in, multiplier = args.kernel.shape
    (sh, sw), (dh, dw) = args.strides, args.dilation
    out_h, out_w = args.out_hw
    out = np.zeros((x_pad.shape[0], out_h, out_w, c_in * multiplier), dtype=args.x.dtype)
    for y in range(out_h):
        for x_ in range(out_w):
            top, left = y * sh, x_ * sw
            patch = x_pad[:, top : top + dh * kh : dh, left : left + dw * kw : dw, :]
            for c in range(c_in):
                for m in range(multiplier):
                    weights = args.kernel[:, :, c, m]
                    out[:, y, x_, c * multiplier + m] = np.sum(
                        patch[:, :, :, c] * weights, axis=(1, 2)
                    )
    return out


def conv2d_transpose(x, kernel, *, strides=1, padding="valid", output_padding=None):
    """Transposed convolution: every input pixel stamps a scaled kernel into the output.

    Same arguments and result as :func:`convlab.conv2d_transpose`.
    """
    args = _checks.transpose_args("conv2d_transpose", x, kernel, strides, padding, output_padding)
    kh, kw, c_out, c_in = args.kernel.shape
    n, h, w, _ = args.x.shape
    sh, sw = args.strides
    out_h, out_w = args.out_hw
    (top, _), (left, _) = args.pads
    # Stamp onto a canvas large enough for every copy, then cut out the output.
    canvas = np.zeros(
        (n, max(sh * (h - 1) + kh, top + out_h), max(sw * (w - 1) + kw, left + out_w), c_out),
        dtype=args.x.dtype,
    )
    for y in range(h):
        for x_ in range(w):
            for c in range(c_in):
                # (n, 1, 1, 1) pixel values times the (kh, kw, c_out) kernel slice.
                stamp = args.x[:, y, x_, c, None, None, None] * args.kernel[:, :, :, c]
                canvas[:, y * sh : y * sh + kh, x_ * sw : x_ * sw + kw, :] += stamp
    return canvas[:, top : top + out_h, left : left + out_w, :]


def max_pool2d(x, pool_size=2, *, strides=None, padding="valid"):
    """Max pooling, one window at a time.

    Same arguments and result as :func:`convlab.max_pool2d`. Padded cells are
    -inf, so they never win.

    Examples
    --------
    >>> x = np.arange(1.0, 10.0).reshape(1, 3, 3, 1)
    >>> max_pool2d(x, 2, padding="same")[0, :, :, 0]
    array([[5., 6.],
           [8., 9.]])
    """
    args = _checks.pool_args("max_pool2d", x, pool_size, strides, padding)
    x_pad = _pad(args.x, args.pads, value=-np.inf)
    out = np.zeros(args.x.shape[:1] + args.out_hw + args.x.shape[3:], dtype=args.x.dtype)
    for y, x_, rows, cols in _windows(args):
        out[:, y, x_, :] = np.max(x_pad[:, rows, cols, :], axis=(1, 2))
    return out


def avg_pool2d(x, pool_size=2, *, strides=None, padding="valid"):
    """Average pooling, one window at a time.

    Same arguments and result as :func:`convlab.avg_pool2d`. Padded cells are
    left out: each window divides by the number of real cells it covers.

    Examples
    --------
    >>> x = np.arange(1.0, 10.0).reshape(1, 3, 3, 1)
    >>> avg_pool2d(x, 2, padding="same")[0, :, :, 0]
    array([[3. , 4.5],
           [7.5, 9. ]])
    """
    args = _checks.pool_args("avg_pool2d", x, pool_size, strides, padding)
    x_pad = _pad(args.x, args.pads)
    # 1 on real cells, 0 on padding: summing it over a window counts the real cells.
    real = _pad(np.ones((1,) + args.x.shape[1:3] + (1,)), args.pads)
    out = np.zeros(args.x.shape[:1] + args.out_hw + args.x.shape[3:], dtype=args.x.dtype)
    for y, x_, rows, cols in _windows(args):
        total = np.sum(x_pad[:, rows, cols, :], axis=(1, 2))
        out[:, y, x_, :] = total / np.sum(real[:, rows, cols, :], axis=(1, 2))
    return out


def _windows(args):
    """Each output position (y, x) with the rows and columns of its window."""
    (ph, pw), (sh, sw) = args.pool, args.strides
    out_h, out_w = args.out_hw
    for y in range(out_h):
        for x_ in range(out_w):
            yield y, x_, slice(y * sh, y * sh + ph), slice(x_ * sw, x_ * sw + pw)
