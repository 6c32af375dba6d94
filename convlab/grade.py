"""Grade learners' notebooks: ``convlab grade SUBMISSION.ipynb ... [--csv F] [--timeout S]``.

For each submission, only the learner's answers are trusted: the code of each
exercise cell (found by its ``convlab.exercise`` metadata, or failing that by the
function it defines). Those answers are put into the instructor's reference
notebook for the lesson, and the copy runs under ``pytest --nbval`` in a fresh
kernel: every check cell, stored output and other cell comes from the reference,
so deleted or edited checks and faked outputs in the submission change nothing.
Each exercise becomes one row ``submission,notebook,exercise,status,detail``
with ``status`` one of passed, failed, not attempted, error, timeout.

Grading runs the learners' code. Do it in a throwaway environment (a container
or a separate account), with the timeout on.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import astuple, dataclass
from pathlib import Path

import nbformat

from .exercises import EXERCISES, Verdict

__all__ = ["Row", "grade", "grade_one", "main", "read_answers"]

FIELDS = ("submission", "notebook", "exercise", "status", "detail")


@dataclass(frozen=True)
class Row:
    submission: str
    notebook: str
    exercise: str
    status: str
    detail: str


class SubmissionError(Exception):
    """The file cannot be graded at all (not a notebook, or not from this course)."""


def default_course_dir() -> Path:
    """The repository's ``course/`` folder next to the package (an editable install)."""
    return Path(__file__).resolve().parent.parent / "course"


def read_answers(path) -> tuple[str, dict[str, str]]:
    """The lesson of a submission and its answers: ``(notebook, {exercise: source})``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SubmissionError(f"cannot read the file ({error})") from None
    if not text.strip():
        raise SubmissionError("the file is empty")
    try:
        notebook = nbformat.reads(text, as_version=4)
    except Exception as error:  # nbformat raises several kinds for bad JSON or schema
        raise SubmissionError(f"not a Jupyter notebook ({type(error).__name__}: {error})") from None
    answers: dict[str, str] = {}
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        name = cell.get("metadata", {}).get("convlab", {}).get("exercise")
        if name is None:  # metadata lost (copied cells, other editors): recognise the function
            defined = re.findall(r"^def (\w+)\(", cell.get("source", ""), re.M)
            name = next((n for n in defined if n in EXERCISES and n not in answers), None)
        if name in EXERCISES and name not in answers:
            answers[name] = cell.get("source", "")
    if not answers:
        raise SubmissionError(
            "no exercise of this course found: is it a notebook from convlab's course?"
        )
    lessons = [EXERCISES[name].notebook for name in answers]
    lesson = max(set(lessons), key=lessons.count)
    return lesson, {
        name: code for name, code in answers.items() if EXERCISES[name].notebook == lesson
    }


def _graded_copy(reference, answers):
    """The reference notebook with the learner's answers in its exercise cells."""
    notebook = nbformat.from_dict(json.loads(json.dumps(reference)))  # a deep copy
    for cell in notebook.cells:
        name = cell.get("metadata", {}).get("convlab", {}).get("exercise")
        if name is not None:
            cell.source = answers.get(name, EXERCISES[name].stub)
    return notebook


def _rows_from_report(submission, lesson, notebook, answers, results, timeout):
    by_cell = {result["cell"]: result for result in results}  # nbval counts code cells only
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    rows = []
    for index, cell in enumerate(code):
        name = cell.get("metadata", {}).get("convlab", {}).get("exercise")
        if name is None:
            continue
        answer, check = by_cell.get(index), by_cell.get(index + 1)
        rows.append(Row(submission, lesson, name, *_row_for(name, answer, check, answers, timeout)))
    return rows


def _row_for(name, answer, check, answers, timeout):
    if name not in answers:
        return "not attempted", "the exercise cell is missing from the submission"
    for result in (answer, check):
        if result is not None and result["timed_out"] and "Timeout" in result["error"]:
            return "timeout", f"a cell ran longer than the {timeout:g} s limit (endless loop?)"
    if answer is not None and "exception" in answer["error"]:
        return "error", f"the exercise cell raised {answer['output'].strip().splitlines()[-1]}"
    if check is None:
        return "error", "the check did not run"
    verdict = Verdict.find(check["output"], name)
    if verdict is None:
        last = (check["output"] or check["error"]).strip().splitlines()
        return "error", f"the check printed no verdict ({last[-1] if last else 'no output'})"
    if verdict.passed != check["passed"]:  # nbval compared it with the reference's "passed"
        return "error", "the check's output differs from the reference (was the check altered?)"
    return verdict.status, verdict.detail


def grade_one(path, *, course_dir=None, timeout=60.0) -> list[Row]:
    """Grade one submission; never raises for a bad submission (it becomes an error row)."""
    path = Path(path)
    name = str(path)
    try:
        lesson, answers = read_answers(path)
    except SubmissionError as error:
        return [Row(name, "", "", "error", str(error))]
    course_dir = Path(course_dir) if course_dir else default_course_dir()
    reference_path = course_dir / "instructor" / f"{lesson}.ipynb"
    if not reference_path.is_file():
        return [Row(name, lesson, "", "error", f"no reference notebook at {reference_path}")]
    reference = nbformat.read(reference_path, as_version=4)
    notebook = _graded_copy(reference, answers)
    with tempfile.TemporaryDirectory(prefix="convlab-grade-") as scratch:
        copy = Path(scratch) / f"{lesson}.ipynb"
        nbformat.write(notebook, copy)
        report = Path(scratch) / "report.json"
        command = [
            sys.executable,
            "-m",
            "pytest",
            str(copy),
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "convlab._nbval_report",
            "--nbval",
            "--nbval-current-env",
            f"--nbval-cell-timeout={timeout:g}",
            "-o",
            "addopts=",
            "--rootdir",
            scratch,
        ]
        sanitize = course_dir / "nbval-sanitize.cfg"
        if sanitize.is_file():
            command.append(f"--nbval-sanitize-with={sanitize}")
        environment = {**os.environ, "CONVLAB_GRADE_REPORT": str(report)}
        try:
            subprocess.run(
                command,
                cwd=scratch,
                env=environment,
                capture_output=True,
                timeout=timeout * (len(notebook.cells) + 2) + 120,  # only if nbval itself hangs
            )
        except subprocess.TimeoutExpired:
            return [Row(name, lesson, "", "timeout", "grading did not finish in time")]
        if not report.is_file():
            return [Row(name, lesson, "", "error", "the notebook could not be run")]
        results = json.loads(report.read_text())
    return _rows_from_report(name, lesson, notebook, answers, results, timeout)


def grade(paths, *, course_dir=None, timeout=60.0, jobs=1) -> list[Row]:
    """Grade several submissions, ``jobs`` at a time; rows keep the order of ``paths``."""
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        batches = pool.map(lambda p: grade_one(p, course_dir=course_dir, timeout=timeout), paths)
        return [row for batch in batches for row in batch]


def _table(rows) -> str:
    widths = [
        max(len(str(v)) for v in column) for column in zip(FIELDS, *map(astuple, rows), strict=True)
    ]
    widths[-1] = 0  # the detail column runs free
    lines = [FIELDS, *map(astuple, rows)]
    return "\n".join(
        "  ".join(str(v).ljust(w) for v, w in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )


def _summary(rows) -> str:
    lines = []
    for submission in dict.fromkeys(row.submission for row in rows):
        mine = [row for row in rows if row.submission == submission]
        graded = [row for row in mine if row.exercise]
        passed = sum(row.status == "passed" for row in graded)
        if graded:
            lines.append(f"{submission}: {passed}/{len(graded)} passed ({mine[0].notebook})")
        else:
            lines.append(f"{submission}: not graded - {mine[0].detail}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="convlab grade",
        description="Grade learners' notebooks against the instructor edition with nbval. "
        "This runs the learners' code: use a throwaway environment.",
    )
    parser.add_argument("submissions", nargs="+", type=Path, help="the learners' .ipynb files")
    parser.add_argument("--csv", type=Path, help="also write the rows to this CSV file")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per cell (default 60)")
    parser.add_argument("--jobs", type=int, default=1, help="submissions graded in parallel")
    parser.add_argument(
        "--course-dir", type=Path, help="the course folder (default: the repository's)"
    )
    args = parser.parse_args(argv)
    if args.timeout <= 0 or args.jobs < 1:
        parser.error("--timeout must be positive and --jobs at least 1")
    rows = grade(args.submissions, course_dir=args.course_dir, timeout=args.timeout, jobs=args.jobs)
    print(_table(rows))
    print()
    print(_summary(rows))
    if args.csv:
        with open(args.csv, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(FIELDS)
            writer.writerows(astuple(row) for row in rows)
        print(f"\nwrote {len(rows)} rows to {args.csv}")
    return 0
