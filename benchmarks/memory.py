"""Peak memory of the notebook kernel while it runs a notebook (default: the MNIST one).

Run with ``python benchmarks/memory.py [course/06_mnist.ipynb]``. Executes a copy of the
notebook with nbclient in a scratch folder and samples the resident memory (RSS) of the
kernel process and its children every 0.1 s; prints the peak. Binder gives a session
2 GB. Offline, set ``CONVLAB_MNIST_PATH``; ``--full-size`` first writes a file with
the full MNIST shape (60,000 / 10,000 images, the stand-in's digits repeated) so the
figure holds for the real dataset's size.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import numpy as np
import psutil
from nbclient import NotebookClient


def full_size_copy(source: Path, target: Path) -> Path:
    with np.load(source) as data:
        arrays = {
            "x_train": np.resize(data["x_train"], (60_000, 28, 28)),
            "y_train": np.resize(data["y_train"], 60_000),
            "x_test": np.resize(data["x_test"], (10_000, 28, 28)),
            "y_test": np.resize(data["y_test"], 10_000),
        }
    np.savez(target, **arrays)
    return target


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", nargs="?", default="course/06_mnist.ipynb", type=Path)
    parser.add_argument("--full-size", action="store_true", help="use 60,000 / 10,000 images")
    args = parser.parse_args()
    notebook = nbformat.read(args.notebook, as_version=4)
    with tempfile.TemporaryDirectory() as scratch:
        if args.full_size:
            source = os.environ.get("CONVLAB_MNIST_PATH")
            if not source:
                raise SystemExit("--full-size needs CONVLAB_MNIST_PATH (a file to repeat)")
            os.environ["CONVLAB_MNIST_PATH"] = str(
                full_size_copy(Path(source), Path(scratch) / "full.npz")
            )
        shutil.copy(args.notebook, scratch)
        client = NotebookClient(notebook, timeout=3600, resources={"metadata": {"path": scratch}})
        peak = {"rss": 0}
        done = threading.Event()

        def sample():
            me = psutil.Process()
            while not done.is_set():
                total = 0
                for child in me.children(recursive=True):
                    try:
                        total += child.memory_info().rss
                    except psutil.Error:
                        pass
                peak["rss"] = max(peak["rss"], total)
                time.sleep(0.1)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        started = time.perf_counter()
        client.execute()
        done.set()
        sampler.join()
    print(
        f"{args.notebook} ({'full-size' if args.full_size else 'as given'} data): "
        f"peak kernel memory {peak['rss'] / 2**20:,.0f} MiB, {time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
