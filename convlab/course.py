"""Build the course's two editions from one source.

Each notebook is written once, in ``course/src/NN_name.py`` ("percent" format:
``# %%`` starts a code cell, ``# %% [markdown]`` a Markdown cell whose lines begin
with ``# ``). An exercise cell is only a marker, ``# %% [exercise] name``; the
builder fills it from :mod:`convlab.exercises`:

* the **learner edition** (``course/NN_name.ipynb``) gets the stub, which raises
  ``NotImplementedError``, so its check reports "not attempted";
* the **instructor edition** (``course/instructor/NN_name.ipynb``) gets the solution.

A notebook without exercises has only the learner edition (the two would be the same).

Both are executed and stored with their outputs (``python -m convlab.course``),
so they read well on GitHub and ``pytest --nbval`` can compare a fresh run with
them. A test rebuilds the sources in memory and compares them with the stored
notebooks, so an edited notebook that drifts from its source fails.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import nbformat

from .exercises import EXERCISES

__all__ = ["EDITIONS", "build", "edition", "parse", "sources"]

EDITIONS = {"learner": ".", "instructor": "instructor"}
EXERCISE_TAG = "exercise"
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
        if cell["kind"] == "markdown":
            lines = [line[2:] if line.startswith("# ") else line.lstrip("#") for line in lines]
        cell["source"] = "\n".join(lines).strip("\n")
        if cell["kind"] not in ("code", "markdown", EXERCISE_TAG):
            raise ValueError(f"parse: unknown cell kind [{cell['kind']}]")
        if cell["kind"] == EXERCISE_TAG and cell["name"] not in EXERCISES:
            raise ValueError(f"parse: unknown exercise {cell['name']!r}")
        if cell["kind"] in ("code", "markdown") and not cell["source"].strip():
            raise ValueError(f"parse: cell {index} (a {cell['kind']} cell) is empty")
    return cells


def edition(source: Path | str, which: str) -> nbformat.NotebookNode:
    """The unexecuted notebook of one edition (``"learner"`` or ``"instructor"``)."""
    if which not in EDITIONS:
        raise ValueError(
            f"edition: `which` must be one of {', '.join(EDITIONS)}; received {which!r}."
        )
    source = Path(source)
    notebook = nbformat.v4.new_notebook()
    notebook.metadata = {
        "kernelspec": {
            "name": "python3",
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
        },
        "language_info": {"name": "python"},
    }
    for index, cell in enumerate(parse(source.read_text())):
        cell_id = f"{source.stem[:2]}-{index:02d}"
        if cell["kind"] == "markdown":
            new = nbformat.v4.new_markdown_cell(cell["source"], id=cell_id)
        elif cell["kind"] == EXERCISE_TAG:
            exercise = EXERCISES[cell["name"]]
            code = exercise.stub if which == "learner" else exercise.solution
            new = nbformat.v4.new_code_cell(code, id=cell_id)
            new.metadata = {"tags": [EXERCISE_TAG], "convlab": {"exercise": exercise.name}}
        else:
            new = nbformat.v4.new_code_cell(cell["source"], id=cell_id)
            if cell["tags"]:
                new.metadata = {"tags": cell["tags"]}
        notebook.cells.append(new)
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


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m convlab.course", description="Build and execute the course's two editions."
    )
    parser.add_argument("names", nargs="*", help="notebook prefixes, e.g. 01 (default: all)")
    parser.add_argument("--course-dir", default="course")
    parser.add_argument(
        "--no-execute", action="store_true", help="write the cells without running them"
    )
    args = parser.parse_args(argv)
    for path in build(args.course_dir, names=args.names, execute=not args.no_execute):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
