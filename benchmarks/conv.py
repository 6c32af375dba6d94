"""Time convlab's ops against TensorFlow's in the same process and print ratios.

Run with ``make bench`` (or ``python benchmarks/conv.py [--repeats N]``). It first
prints the machine (CPU model, vector flags, libraries): ratios depend on the machine
type. Each figure is the median of ``--repeats`` timed calls. TensorFlow and convlab
alternate, so a load that comes and goes on a shared machine slows both alike, and
each timed call follows untimed calls of the same function for 0.15 s: both
libraries keep their worker threads spinning for a moment after a call, which would
otherwise slow whichever runs next (on the 2-core test machine, OpenBLAS's threads
slowed TensorFlow's next 3x3 convolution from about 30-40 ms to 48-56 ms). TensorFlow
runs as users run it, on its default (oneDNN) kernels. The ratio is convlab's median over
TensorFlow's. The naive loops are timed on one image and compared with the fast op on
the same image.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import machine  # noqa: E402  (benchmarks/machine.py)
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import convlab  # noqa: E402
from convlab import naive  # noqa: E402

CONV_LAYERS = [
    # (input NHWC, kernel size, filters)
    ((64, 28, 28, 1), 5, 32),
    ((64, 14, 14, 32), 5, 64),
    ((32, 56, 56, 64), 3, 64),
    ((8, 224, 224, 3), 3, 64),
]
POOL_LAYERS = [
    # (input NHWC, pool size, strides, padding)
    ((64, 28, 28, 32), 2, 2, "valid"),
    ((64, 14, 14, 64), 2, 2, "valid"),
    ((32, 56, 56, 64), 2, 2, "valid"),
    ((32, 56, 56, 64), 3, 2, "same"),
]


# OpenBLAS's idle threads spin for about 0.1 s after a call.
SETTLE_SECONDS = 0.15


def median_seconds(functions, repeats, *, settle=True):
    """Median seconds of each function over ``repeats`` rounds of the functions in turn.

    With ``settle``, every timed call follows untimed calls of the same function for
    ``SETTLE_SECONDS`` (longer than the other library's idle threads keep spinning),
    so each is timed warm and alone; without, one untimed call of each comes first
    (for the slow loops).
    """
    if not settle:
        for fn in functions:
            fn()
    times = [[] for _ in functions]
    for _ in range(repeats):
        for fn, samples in zip(functions, times, strict=True):
            settled = time.perf_counter() + (SETTLE_SECONDS if settle else 0)
            while time.perf_counter() < settled:
                fn()
            start = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - start)
    return [statistics.median(samples) for samples in times]


def conv_rows(rng, repeats):
    for shape, k, filters in CONV_LAYERS:
        x = rng.standard_normal(shape).astype(np.float32)
        kernel = rng.standard_normal((k, k, shape[3], filters)).astype(np.float32)
        xt, kt = tf.constant(x), tf.constant(kernel)
        ours = convlab.conv2d(x, kernel, padding="same")
        theirs = tf.nn.conv2d(xt, kt, 1, "SAME").numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-4 * np.abs(theirs).max())
        t_tf, t_ours = median_seconds(
            [
                lambda: tf.nn.conv2d(xt, kt, 1, "SAME").numpy(),  # noqa: B023
                lambda: convlab.conv2d(x, kernel, padding="same"),  # noqa: B023
            ],
            repeats,
        )
        one = x[:1]
        t_naive, t_fast_one = median_seconds(
            [
                lambda: naive.conv2d(one, kernel, padding="same"),  # noqa: B023
                lambda: convlab.conv2d(one, kernel, padding="same"),  # noqa: B023
            ],
            3,
            settle=False,
        )
        flops = 2 * np.prod(theirs.shape) * k * k * shape[3]
        yield (
            f"conv2d {shape} -> {filters}, {k}x{k} same",
            t_tf,
            t_ours,
            f"{flops / t_tf / 1e9:.0f} / {flops / t_ours / 1e9:.0f} GFLOP/s",
            t_naive / t_fast_one,
        )


def pool_rows(rng, repeats):
    for shape, k, s, padding in POOL_LAYERS:
        x = rng.standard_normal(shape).astype(np.float32)
        xt = tf.constant(x)
        for name, tf_op in (("max_pool2d", tf.nn.max_pool2d), ("avg_pool2d", tf.nn.avg_pool2d)):
            op, slow = getattr(convlab, name), getattr(naive, name)
            ours = op(x, k, strides=s, padding=padding)
            theirs = tf_op(xt, k, s, padding.upper()).numpy()
            np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)
            t_tf, t_ours = median_seconds(
                [
                    lambda: tf_op(xt, k, s, padding.upper()).numpy(),  # noqa: B023
                    lambda: op(x, k, strides=s, padding=padding),  # noqa: B023
                ],
                repeats,
            )
            one = x[:1]
            t_naive, t_fast_one = median_seconds(
                [
                    lambda: slow(one, k, strides=s, padding=padding),  # noqa: B023
                    lambda: op(one, k, strides=s, padding=padding),  # noqa: B023
                ],
                3,
                settle=False,
            )
            yield (
                f"{name} {shape}, {k}x{k} stride {s} {padding}",
                t_tf,
                t_ours,
                "",
                t_naive / t_fast_one,
            )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed calls per figure")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(machine.describe(np, tf))
    print(f"convlab {convlab.__version__}; median of {args.repeats} runs")
    print()
    print("| layer | TensorFlow | convlab | convlab / TF | TF / convlab speed | naive / convlab |")
    print("|---|---:|---:|---:|---|---:|")
    for rows in (conv_rows(rng, args.repeats), pool_rows(rng, args.repeats)):
        for label, t_tf, t_ours, extra, naive_ratio in rows:
            print(
                f"| {label} | {t_tf * 1e3:.1f} ms | {t_ours * 1e3:.1f} ms | "
                f"**{t_ours / t_tf:.2f}x** | {extra} | {naive_ratio:,.0f}x |",
                flush=True,
            )


if __name__ == "__main__":
    main()
