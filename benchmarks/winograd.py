"""An experiment: Winograd F(2x2, 3x3) in NumPy against convlab's im2col and TensorFlow.

Run with ``python benchmarks/winograd.py [--repeats N]``. Winograd's minimal filtering
(Lavin and Gray, 2015) computes a 2x2 block of a 3x3, stride-1 convolution from a 4x4
input tile with 16 multiplications per channel pair instead of 36: the tile and the
kernel are transformed (``V = Bt d B``, ``U = G g Gt``), multiplied elementwise (for
many channels: 16 matrix products, one per tile position), and transformed back
(``Y = At M A``). It is 2.25x fewer multiplications, but the three transforms are
elementwise NumPy passes over arrays several times the input's size.

The script checks the result against float64 (the error must stay within float32
rounding, like im2col's) and prints, per layer, the medians of Winograd, ``convlab.conv2d``
(im2col) and ``tf.nn.conv2d`` (oneDNN), called in turn, and the single-core time of each
Winograd stage on one image. convlab does not ship this path: on the machines measured
it was slower than im2col (see the README's Speed section).
"""

from __future__ import annotations

import argparse
import os
import threading

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import machine  # noqa: E402  (benchmarks/machine.py)
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from conv import median_seconds  # noqa: E402  (benchmarks/conv.py)
from threadpoolctl import threadpool_limits  # noqa: E402

import convlab  # noqa: E402
from convlab import ops  # noqa: E402

LAYERS = [((32, 56, 56, 64), 64), ((64, 28, 28, 32), 64), ((64, 14, 14, 64), 64)]

# F(2x2, 3x3): G transforms the kernel; Bt's rows and At's rows are written out as the
# additions in _input_transform and _output_transform.
G = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]])

_scratch = threading.local()


def scratch(name, shape, dtype):
    """A reused per-thread buffer (fresh large arrays cost a page fault per 4 KiB)."""
    size = int(np.prod(shape))
    buffers = _scratch.__dict__.setdefault("buffers", {})
    buffer = buffers.get(name)
    if buffer is None or buffer.size < size or buffer.dtype != dtype:
        buffer = buffers[name] = np.empty(size, dtype)
    return buffer[:size].reshape(shape)


def kernel_transform(kernel):
    """``U = G g Gt`` for every channel pair, as (16, c_in, c_out)."""
    u = np.einsum("ai,ijcf,bj->abcf", G, kernel.astype(np.float64), G)
    return u.reshape(16, *kernel.shape[2:]).astype(kernel.dtype)


def _input_transform(x, th, tw):
    """``V = Bt d B`` for every 4x4 tile at stride 2 of x (m, 2th+2, 2tw+2, c): (16, m th tw, c)."""
    m, c, dtype = x.shape[0], x.shape[3], x.dtype
    # Four phase planes, so that every later pass reads long contiguous runs.
    phases = scratch("phases", (2, 2, m, th + 1, tw + 1, c), dtype)
    for a in range(2):
        for b in range(2):
            phases[a, b] = x[:, a::2, b::2]

    def row(y):  # tile row y of every tile, both column phases
        return phases[y % 2, :, :, y // 2 : y // 2 + th]

    rows = scratch("rows", (4, 2, m, th, tw + 1, c), dtype)
    np.subtract(row(0), row(2), out=rows[0])
    np.add(row(1), row(2), out=rows[1])
    np.subtract(row(2), row(1), out=rows[2])
    np.subtract(row(1), row(3), out=rows[3])
    v = scratch("v", (4, 4, m, th, tw, c), dtype)
    for k in range(4):

        def col(j, k=k):
            return rows[k, j % 2, :, :, j // 2 : j // 2 + tw]

        np.subtract(col(0), col(2), out=v[k, 0])
        np.add(col(1), col(2), out=v[k, 1])
        np.subtract(col(2), col(1), out=v[k, 2])
        np.subtract(col(1), col(3), out=v[k, 3])
    return v.reshape(16, m * th * tw, c)


def _output_transform(products, m, th, tw):
    """``Y = At M A`` for every tile: (16, m th tw, f) -> (m, 2th, 2tw, f)."""
    f, dtype = products.shape[2], products.dtype
    p = products.reshape(4, 4, m, th, tw, f)
    s = scratch("s", (2, 4, m, th, tw, f), dtype)
    np.add(p[0], p[1], out=s[0])
    s[0] += p[2]
    np.subtract(p[1], p[2], out=s[1])
    s[1] -= p[3]
    y = scratch("y", (m, th, 2, tw, 2, f), dtype)
    for a in range(2):
        left, right = y[:, :, a, :, 0], y[:, :, a, :, 1]
        np.add(s[a, 0], s[a, 1], out=left)
        left += s[a, 2]
        np.subtract(s[a, 1], s[a, 2], out=right)
        right -= s[a, 3]
    return y.reshape(m, 2 * th, 2 * tw, f)


def winograd_conv2d(x, kernel):
    """3x3, stride 1, SAME, NHWC: the same numbers as ``convlab.conv2d``, to rounding."""
    args = ops._checks.conv_args("winograd_conv2d", x, kernel, 1, "same", 1)
    n, h, w, _ = args.x.shape
    f = args.kernel.shape[3]
    th, tw = -(-h // 2), -(-w // 2)
    # SAME padding (1 all round), plus one more row or column when h or w is odd.
    xp = ops._pad(args.x, ((1, 1 + 2 * th - h), (1, 1 + 2 * tw - w)))
    u = kernel_transform(args.kernel)
    out = np.empty((n, h, w, f), args.x.dtype)

    def block(images):
        m = images.stop - images.start
        v = _input_transform(xp[images], th, tw)
        products = np.matmul(v, u, out=scratch("products", (16, m * th * tw, f), v.dtype))
        out[images] = _output_transform(products, m, th, tw)[:, :h, :w]

    transformed = 16 * n * th * tw * args.x.shape[3]  # elements of V, the largest array
    ops._in_parallel(block, ops._split(n, ops._block_count(transformed, ops._BLOCK_ELEMENTS)))
    return out


def check(rng):
    """Winograd and im2col against float64, on even and odd sizes."""
    for shape, filters in [((2, 9, 11, 5), 3), ((3, 16, 16, 64), 64)]:
        x = rng.standard_normal(shape).astype(np.float32)
        kernel = rng.standard_normal((3, 3, shape[3], filters)).astype(np.float32)
        exact = convlab.conv2d(x.astype(np.float64), kernel.astype(np.float64), padding="same")
        scale = np.abs(exact).max()
        winograd = np.abs(winograd_conv2d(x, kernel) - exact).max() / scale
        im2col = np.abs(convlab.conv2d(x, kernel, padding="same") - exact).max() / scale
        print(
            f"{shape} -> {filters}: largest error / largest value: "
            f"Winograd {winograd:.1e}, im2col {im2col:.1e}"
        )
        assert winograd < 1e-5, "Winograd is not exact to float32 rounding"


def stage_times(rng, repeats):
    """Single-core milliseconds of each stage on one 56x56x64 image."""
    x = rng.standard_normal((1, 58, 58, 64)).astype(np.float32)
    u = rng.standard_normal((16, 64, 64)).astype(np.float32)
    v = _input_transform(x, 28, 28).copy()
    products = np.matmul(v, u)
    stages = [
        ("input transform", lambda: _input_transform(x, 28, 28)),
        ("16 matrix products", lambda: np.matmul(v, u)),
        ("output transform", lambda: _output_transform(products, 1, 28, 28)),
    ]
    with threadpool_limits(1, "blas"):
        times = median_seconds([fn for _, fn in stages], repeats)
    print(
        "one 56x56x64 image -> 64, one core: "
        + ", ".join(f"{name} {t * 1e3:.2f} ms" for (name, _), t in zip(stages, times, strict=True))
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    print(machine.describe(np, tf))
    rng = np.random.default_rng(0)
    check(rng)
    stage_times(rng, args.repeats)
    print()
    print("| layer, 3x3 same | TensorFlow | im2col | Winograd | im2col / TF | Winograd / TF |")
    print("|---|---:|---:|---:|---:|---:|")
    for shape, filters in LAYERS:
        x = rng.standard_normal(shape).astype(np.float32)
        kernel = rng.standard_normal((3, 3, shape[3], filters)).astype(np.float32)
        t_tf, t_im2col, t_wino = median_seconds(
            [
                lambda x=x, kernel=kernel: tf.nn.conv2d(x, kernel, 1, "SAME").numpy(),
                lambda x=x, kernel=kernel: convlab.conv2d(x, kernel, padding="same"),
                lambda x=x, kernel=kernel: winograd_conv2d(x, kernel),
            ],
            args.repeats,
        )
        print(
            f"| {shape} -> {filters} | {t_tf * 1e3:.1f} ms | {t_im2col * 1e3:.1f} ms | "
            f"{t_wino * 1e3:.1f} ms | {t_im2col / t_tf:.2f}x | {t_wino / t_tf:.2f}x |"
        )


if __name__ == "__main__":
    main()
