"""How fast `convlab grade` grades a class: submissions per minute at --jobs 1 and 2.

Generates a class of 200 submissions of one lesson (04, pooling: two exercises) — half
correct, a quarter with a wrong answer, the rest untouched or raising — grades them with
the sandbox this machine has, and prints submissions per minute, the peak memory of one
boxed exercise process and of the grader itself, and the CPU model.

Run with ``python benchmarks/grade.py [--count 200]``.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import machine  # benchmarks/machine.py
import nbformat

from convlab import grade, sandbox
from convlab.exercises import EXERCISES

LESSON = "04_pooling"




def make_class(folder: Path, count: int) -> list[Path]:
    learner = nbformat.read(grade.default_course_dir() / f"{LESSON}.ipynb", as_version=4)
    wrong = EXERCISES["max_pool"].solution.replace("// s + 1", "// k + 1").replace("* s", "* k")
    raising = "def max_pool(image, k, s):\n    return image[99, 99]\n"
    kinds = [
        ("correct", {n: EXERCISES[n].solution for n in ("max_pool", "avg_pool_same")}),
        ("correct", {n: EXERCISES[n].solution for n in ("max_pool", "avg_pool_same")}),
        ("wrong", {"max_pool": wrong, "avg_pool_same": EXERCISES["avg_pool_same"].solution}),
        ("untouched", {}),
        ("raising", {"max_pool": raising}),
    ]
    paths = []
    for index in range(count):
        label, answers = kinds[index % len(kinds)]
        notebook = nbformat.from_dict(learner)
        for cell in notebook.cells:
            name = cell.get("metadata", {}).get("convlab", {}).get("exercise")
            if name in answers:
                cell.source = answers[name]
        path = folder / f"learner{index:03d}-{label}.ipynb"
        nbformat.write(notebook, path)
        paths.append(path)
    return paths


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    args = parser.parse_args(argv)
    tool = sandbox.find_tool()
    model, _ = machine.cpu_model_and_flags()
    print(f"CPU: {model}; sandbox: {tool or 'none'}; {args.count} submissions of {LESSON}")
    with tempfile.TemporaryDirectory() as scratch:
        paths = make_class(Path(scratch), args.count)
        print("| jobs | seconds | submissions per minute | rows |")
        print("|---:|---:|---:|---:|")
        for jobs in (1, 2):
            start = time.monotonic()
            rows = grade.grade(paths, jobs=jobs, timeout=60)
            seconds = time.monotonic() - start
            print(f"| {jobs} | {seconds:.1f} | {len(paths) / seconds * 60:.0f} | {len(rows)} |")
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {child:.0f} MiB for one boxed exercise process, {own:.0f} MiB the grader")


if __name__ == "__main__":
    main()
