"""Time one update of each explorer at its default size (the budget is 100 ms of Python time).

Run with ``python benchmarks/widgets.py``. Each figure is the median of 21 updates,
each update a change of one control that redraws the figure and the picture.
"""

from __future__ import annotations

import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from convlab import widgets  # noqa: E402

BUDGET_MS = 100.0


def cycle(control, values):
    state = {"i": 0}

    def step():
        state["i"] += 1
        control.value = values[state["i"] % len(values)]

    return step


def main():
    conv = widgets.ConvExplorer()
    playground = widgets.KernelPlayground()
    pool = widgets.PoolExplorer()
    cases = [
        ("ConvExplorer: stride 1 -> 2 -> 3", cycle(conv.strides, [1, 2, 3])),
        (
            "ConvExplorer: padding valid / same / explicit",
            cycle(conv.padding, ["valid", "same", "explicit"]),
        ),
        (
            "KernelPlayground: kernel choice",
            cycle(playground.kernel_name, ["edge", "sharpen", "box_blur"]),
        ),
        ("KernelPlayground: edit one number", cycle(playground.cells[4], [1.0, 2.0, 5.0])),
        ("PoolExplorer: stride 1 -> 2 -> 3", cycle(pool.strides, [1, 2, 3])),
        ("PoolExplorer: max / avg", cycle(pool.mode, ["max", "avg"])),
    ]
    print(f"| update | median | budget {BUDGET_MS:.0f} ms |")
    print("|---|---:|---|")
    for label, step in cases:
        step()  # warm-up (TensorFlow's first call, font cache)
        times = []
        for _ in range(21):
            start = time.process_time()
            step()
            times.append(time.process_time() - start)
        median_ms = statistics.median(times) * 1e3
        verdict = "ok" if median_ms <= BUDGET_MS else "OVER"
        print(f"| {label} | {median_ms:.0f} ms | {verdict} |", flush=True)


if __name__ == "__main__":
    main()
