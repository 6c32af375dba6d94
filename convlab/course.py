"""Build the course's editions from one source.

Each notebook is written once, in ``course/src/NN_name.py`` ("percent" format:
``# %%`` starts a code cell, ``# %% [markdown]`` a Markdown cell whose lines begin
with ``# ``; ``tags=a,b`` after a marker tags the cell). An exercise cell is only a
marker, ``# %% [exercise] name``; the builder fills it from :mod:`convlab.exercises`:

* the **learner edition** (``course/NN_name.ipynb``) gets the stub, which raises
  ``NotImplementedError``, so its check reports "not attempted";
* the **instructor edition** (``course/instructor/NN_name.ipynb``) gets the solution.

A notebook without exercises has only the learner edition (the two would be the same).

Both are executed and stored with their outputs (``python -m convlab.course``),
so they read well on GitHub and ``pytest --nbval`` can compare a fresh run with
them. A test rebuilds the sources in memory and compares them with the stored
notebooks, so an edited notebook that drifts from its source fails.

The **Lite edition** of notebooks 00-04 (``LITE_NOTEBOOKS``) runs in the browser
(JupyterLite, Python in Pyodide), where TensorFlow does not exist. It is the learner
edition with two markers applied:

* ``tags=tensorflow`` on a code or Markdown cell: the cell needs TensorFlow (or
  speaks of what such a cell printed); the Lite edition leaves it out. The other
  editions keep it (without the tag). Put TensorFlow lines in cells of their own,
  so that the NumPy part of a comparison stays in the Lite edition.
* ``# %% [lite]``: a Markdown cell only the Lite edition has, in that place. It
  replaces the cells tagged ``tensorflow`` just before it: it says what TensorFlow
  gives there and that ``convlab`` reproduces it (the full editions show it).

The Lite edition also gets a short note after its title (``LITE_NOTE``) and the
Pyodide kernel. It is not stored: ``python -m convlab.course --lite DIR`` writes it,
unexecuted, into ``DIR`` (``make lite`` builds the site from ``build/lite/content``).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import nbformat

from .exercises import EXERCISES

__all__ = [
    "EDITIONS",
    "LITE",
    "LITE_NOTEBOOKS",
    "build",
    "build_lite",
    "edition",
    "parse",
    "sources",
]

EDITIONS = {"learner": ".", "instructor": "instructor"}  # the stored editions and their folders
EXERCISE_TAG = "exercise"
LITE = "lite"  # the browser edition: a cell kind, and an edition that is not stored
LITE_NOTEBOOKS = ("00", "01", "02", "03", "04")
TENSORFLOW_TAG = "tensorflow"
LITE_NOTE = (
    "*Browser edition.* This notebook runs in your browser: Python compiled to "
    "WebAssembly (Pyodide), nothing installed. TensorFlow does not run here, so the "
    "cells that use it are replaced by notes saying what it gives; `convlab`, which "
    "computes the same numbers, does everything else. The full edition (`make lab`, "
    "or Binder) runs those cells too, and has notebooks 05-07."
)
_KERNELSPECS = {
    "full": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"},
    LITE: {"name": "python", "display_name": "Python (Pyodide)", "language": "python"},
}
_MARKER = re.compile(
    r"^# %%(?: \[(?P<kind>\w+)\])?(?: (?P<name>\w+))?(?: tags=(?P<tags>[\w,-]+))?\s*$"
)


def sources(course_dir: Path | str = "course") -> list[Path]:
    """The source files, in course order."""
    return sorted(Path(course_dir, "src").glob("[0-9][0-9]_*.py"))


def parse(text: str) -> list[dict]:
    """Split percent-format text into cells: ``{"kind", "name", "tags", "source"}``."""
    cells: list[dict] = []
    for line in text.splitlines():
        match = _MARKER.match(line)
        if match:
            cells.append(
                {
                    "kind": match["kind"] or "code",
                    "name": match["name"],
                    "tags": match["tags"].split(",") if match["tags"] else [],
                    "lines": [],
                }
            )
        elif cells:
            cells[-1]["lines"].append(line)
        elif line.strip():
            raise ValueError(f"parse: text before the first '# %%' marker: {line!r}")
    for index, cell in enumerate(cells):
        lines = cell.pop("lines")
        if cell["kind"] in ("markdown", LITE):
            lines = [line[2:] if line.startswith("# ") else line.lstrip("#") for line in lines]
        cell["source"] = "\n".join(lines).strip("\n")
        if cell["kind"] not in ("code", "markdown", EXERCISE_TAG, LITE):
            raise ValueError(f"parse: unknown cell kind [{cell['kind']}]")
        if cell["kind"] == EXERCISE_TAG and cell["name"] not in EXERCISES:
            raise ValueError(f"parse: unknown exercise {cell['name']!r}")
        if cell["kind"] in ("code", "markdown", LITE) and not cell["source"].strip():
            raise ValueError(f"parse: cell {index} (a {cell['kind']} cell) is empty")
        if cell["kind"] in (EXERCISE_TAG, LITE) and TENSORFLOW_TAG in cell["tags"]:
            raise ValueError(
                f"parse: a [{cell['kind']}] cell cannot be tagged {TENSORFLOW_TAG}: "
                "exercises run in every edition, and [lite] cells only where TensorFlow is not."
            )
    return cells


def edition(source: Path | str, which: str) -> nbformat.NotebookNode:
    """The unexecuted notebook of one edition (``"learner"``, ``"instructor"`` or ``"lite"``)."""
    if which not in (*EDITIONS, LITE):
        raise ValueError(
            f"edition: `which` must be one of {', '.join([*EDITIONS, LITE])}; received {which!r}."
        )
    source = Path(source)
    lite = which == LITE
    if lite and not source.stem.startswith(LITE_NOTEBOOKS):
        raise ValueError(
            f"edition: {source.stem} has no Lite edition; only notebooks "
            f"{', '.join(LITE_NOTEBOOKS)} have one."
        )
    notebook = nbformat.v4.new_notebook()
    notebook.metadata = {
        "kernelspec": _KERNELSPECS[LITE if lite else "full"],
        "language_info": {"name": "python"},
    }
    for index, cell in enumerate(parse(source.read_text())):
        cell_id = f"{source.stem[:2]}-{index:02d}"
        tags = [tag for tag in cell["tags"] if tag != TENSORFLOW_TAG]
        if (cell["kind"] == LITE and not lite) or (lite and TENSORFLOW_TAG in cell["tags"]):
            continue  # a [lite] cell outside the Lite edition, or a TensorFlow cell inside it
        if cell["kind"] in ("markdown", LITE):
            new = nbformat.v4.new_markdown_cell(cell["source"], id=cell_id)
        elif cell["kind"] == EXERCISE_TAG:
            exercise = EXERCISES[cell["name"]]
            code = exercise.solution if which == "instructor" else exercise.stub
            new = nbformat.v4.new_code_cell(code, id=cell_id)
            new.metadata = {"tags": [EXERCISE_TAG], "convlab": {"exercise": exercise.name}}
        else:
            new = nbformat.v4.new_code_cell(cell["source"], id=cell_id)
        if tags and cell["kind"] != EXERCISE_TAG:
            new.metadata = {"tags": tags}
        notebook.cells.append(new)
    if lite:
        note = nbformat.v4.new_markdown_cell(LITE_NOTE, id=f"{source.stem[:2]}-lite")
        notebook.cells.insert(1, note)
    return notebook


def editions(source: Path | str) -> list[str]:
    """The editions a source has: both when it has exercises, else only the learner's."""
    has_exercises = any(cell["kind"] == EXERCISE_TAG for cell in parse(Path(source).read_text()))
    return list(EDITIONS) if has_exercises else ["learner"]


def output_path(source: Path | str, which: str) -> Path:
    source = Path(source)
    return source.parent.parent / EDITIONS[which] / f"{source.stem}.ipynb"


def build(course_dir="course", *, names=None, execute=True, timeout=600) -> list[Path]:
    """Write (and by default execute) both editions of every source, or of those in ``names``."""
    written = []
    for source in sources(course_dir):
        if names and not any(source.stem.startswith(name) for name in names):
            continue
        for which in editions(source):
            notebook = edition(source, which)
            target = output_path(source, which)
            target.parent.mkdir(parents=True, exist_ok=True)
            if execute:
                from nbclient import NotebookClient

                print(f"executing {target} ...", flush=True)
                NotebookClient(
                    notebook,
                    timeout=timeout,
                    kernel_name="python3",
                    resources={"metadata": {"path": str(target.parent)}},
                ).execute()
            nbformat.write(notebook, target)
            written.append(target)
    return written


def build_lite(target: Path | str, course_dir="course") -> list[Path]:
    """Write the Lite edition of notebooks 00-04, unexecuted, into ``target``.

    The folder is emptied first, so that a renamed or removed notebook does not linger.
    """
    target = Path(target)
    if target.exists():
        for old in target.glob("*.ipynb"):
            old.unlink()
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for source in sources(course_dir):
        if source.stem.startswith(LITE_NOTEBOOKS):
            path = target / f"{source.stem}.ipynb"
            nbformat.write(edition(source, LITE), path)
            written.append(path)
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m convlab.course", description="Build and execute the course's editions."
    )
    parser.add_argument("names", nargs="*", help="notebook prefixes, e.g. 01 (default: all)")
    parser.add_argument("--course-dir", default="course")
    parser.add_argument(
        "--no-execute", action="store_true", help="write the cells without running them"
    )
    parser.add_argument(
        "--lite",
        metavar="DIR",
        help="instead, write the (unexecuted) Lite edition of notebooks 00-04 into DIR",
    )
    args = parser.parse_args(argv)
    if args.lite:
        written = build_lite(args.lite, args.course_dir)
    else:
        written = build(args.course_dir, names=args.names, execute=not args.no_execute)
    for path in written:
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
