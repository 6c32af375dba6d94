"""Grade learners' notebooks: ``convlab grade SUBMISSION.ipynb ... [--csv F] [--timeout S]``.

A submission is never trusted, so grading is split between two processes:

* the **learner's side** runs one exercise cell at a time in a sandbox
  (:mod:`convlab.sandbox`: no network, the file system read-only, a private
  ``/tmp``, a memory limit, killed as a whole at the time limit) and only computes
  the values the learner's function returns on the exercise's cases
  (:mod:`convlab._runner`, :func:`convlab.exercises.run`);
* the **grader's side** (this process) reads those values back as plain data,
  decodes them strictly and decides the verdict itself
  (:func:`convlab.exercises.judge`), with the exercise registry it loaded before
  any learner code ran.

So nothing a submission prints, patches or forges (verdict lines, the check
function, input transformers, report files) reaches a verdict; one exercise
cannot spoil another's row; and one submission cannot touch another's. Answers
that reach for the answer key or call the convlab function they were asked to
write are flagged in the detail column: the instructor decides.

For each exercise of the lesson, the graded answer is the cell tagged with that
exercise (``convlab.exercise`` metadata) that stands last before its check cell; a
cell that defines the function stands in when no cell is tagged. Each exercise
becomes one row ``submission,notebook,exercise,status,detail``, with ``status`` one
of passed, failed, not attempted, error, timeout.

``--keep DIR`` writes each graded notebook (the instructor edition with the
learner's answers and the verdicts) for the instructor to read or to run with
``pytest --nbval``.
"""

from __future__ import annotations

import argparse
import ast
import csv
import hashlib
import json
import os
import re
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import astuple, dataclass
from pathlib import Path

from . import sandbox
from .exercises import EXERCISES, Attempt, judge

__all__ = [
    "FIELDS",
    "Grader",
    "Row",
    "SubmissionError",
    "grade",
    "main",
    "merge",
    "read_answers",
    "static_flags",
]

FIELDS = ("submission", "notebook", "exercise", "status", "detail")
MAX_BYTES = 20 * 2**20  # a notebook larger than this is not a submission of this course
PACKAGE = Path(__file__).resolve().parent


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
    return PACKAGE.parent / "course"


# ------------------------------------------------------------------ reading a submission
def _cells(data) -> list[dict]:
    """The notebook's cells as plain dicts, checking only what grading relies on."""
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise SubmissionError("not a Jupyter notebook (no list of cells)")
    cells = []
    for index, cell in enumerate(data["cells"]):
        if not isinstance(cell, dict):
            raise SubmissionError(f"not a Jupyter notebook (cell {index} is not an object)")
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(line, str) for line in source):
            source = "".join(source)
        if not isinstance(source, str):
            raise SubmissionError(
                f"not a Jupyter notebook (cell {index} has a source of type "
                f"{type(source).__name__})"
            )
        metadata = cell.get("metadata", {})
        convlab = metadata.get("convlab", {}) if isinstance(metadata, dict) else {}
        tag = convlab.get("exercise") if isinstance(convlab, dict) else None
        cells.append(
            {
                "code": cell.get("cell_type") == "code",
                "source": source,
                "exercise": tag if isinstance(tag, str) else None,
            }
        )
    return cells


def read_answers(data: bytes | str | Path) -> tuple[str, dict[str, str]]:
    """The lesson of a submission and its answers: ``(notebook, {exercise: source})``.

    ``data`` is the file's content (or its path). For each exercise the answer is the
    tagged cell that stands last before the exercise's check cell (a learner's earlier
    attempt or a duplicated cell above it is ignored); without a tagged cell, the last
    cell before the check that defines the function.
    """
    if isinstance(data, Path):
        data = data.read_bytes()
    if isinstance(data, bytes):
        if len(data) > MAX_BYTES:
            raise SubmissionError(f"the file is larger than {MAX_BYTES // 2**20} MB")
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise SubmissionError(f"cannot read the file (not UTF-8: {error.reason})") from None
    if not data.strip():
        raise SubmissionError("the file is empty")
    try:
        parsed = json.loads(data)
    except (json.JSONDecodeError, RecursionError) as error:
        raise SubmissionError(f"not a Jupyter notebook (invalid JSON: {error})") from None
    cells = [cell for cell in _cells(parsed) if cell["code"]]
    answers: dict[str, str] = {}
    for name in EXERCISES:
        check = re.compile(rf"exercises\.check\(\s*['\"]{name}['\"]")
        stop = next((i for i, c in enumerate(cells) if check.search(c["source"])), len(cells))
        before = cells[:stop]
        tagged = [c for c in before if c["exercise"] == name] or [
            c for c in cells if c["exercise"] == name
        ]
        defining = re.compile(rf"^def {name}\(", re.M)
        untagged = [c for c in before if c["exercise"] is None and defining.search(c["source"])]
        chosen = tagged or untagged
        if chosen:
            answers[name] = chosen[-1]["source"]
    if not answers:
        raise SubmissionError(
            "no exercise of this course found: is it a notebook from convlab's course?"
        )
    lessons = [EXERCISES[name].notebook for name in answers]
    lesson = max(set(lessons), key=lessons.count)
    return lesson, {
        name: code for name, code in answers.items() if EXERCISES[name].notebook == lesson
    }


# ------------------------------------------------------------------------------ flags
_INTROSPECTION = {"sys._getframe", "sys.setprofile", "sys.settrace", "sys.modules", "__import__"}
_INTROSPECTION_MODULES = {"inspect", "gc", "builtins", "importlib", "ctypes"}
_ESCAPES = {"os.system", "os.popen", "os.execv", "os.execvp", "os.fork", "os.kill"}
_ESCAPE_MODULES = {"subprocess", "socket", "shutil", "urllib", "http"}
_CONVLAB_MODULES = {"convlab.naive", "convlab.shapes", "convlab.kernels", "convlab.ops"}


def static_flags(source: str) -> list[str]:
    """What an answer's source reaches for, read without running it.

    Flags the answer key (``convlab.exercises``: the registry's references and
    solutions), convlab's functions (where the exercise is to write them),
    introspection that could reach the check's frames, and shell or network escapes.
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return []
    aliases: dict[str, str] = {}  # local name -> what it names ("cl" -> "convlab")
    used: set[str] = set()  # dotted names the code refers to, aliases resolved
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                aliases[alias.asname or alias.name.split(".")[0]] = (
                    alias.name if alias.asname else alias.name.split(".")[0]
                )
                used.add(alias.name)
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
                used.add(f"{node.module}.{alias.name}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and (chain := _chain(node)):
            used.add(".".join([aliases.get(chain[0], chain[0]), *chain[1:]]))
        elif isinstance(node, ast.Name):
            used.add(aliases.get(node.id, node.id))
    flags: dict[str, None] = {}
    for name in sorted(used):
        root = name.split(".")[0]
        if name.startswith("convlab.exercises") or name == "EXERCISES":
            flags["uses the reference implementation (convlab.exercises)"] = None
        elif root == "convlab" and name != "convlab" and name not in _CONVLAB_MODULES:
            flags[f"calls {name}"] = None
        elif name in _INTROSPECTION or root in _INTROSPECTION_MODULES:
            shown = root if root in _INTROSPECTION_MODULES else name  # a module once
            flags[f"reaches into the interpreter ({shown})"] = None
        elif name in _ESCAPES or root in _ESCAPE_MODULES:
            shown = root if root in _ESCAPE_MODULES else name
            flags[f"runs other programs or opens connections ({shown})"] = None
    return list(flags)


def _chain(node) -> list[str]:
    """``a.b.c`` as ``["a", "b", "c"]`` (empty when it does not start at a name)."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return [node.id, *reversed(parts)]
    return []


# --------------------------------------------------------------------------- grading
class Grader:
    """Grades submissions against the exercise registry it loads once, before any learner code.

    It fingerprints convlab's own files and the reference notebooks when created;
    before every exercise it runs, and at the end, it checks the fingerprint again,
    so that an unboxed run that let a submission rewrite them stops instead of
    grading the rest against a changed reference.
    """

    def __init__(self, *, course_dir=None, timeout=60.0, memory_mb=2048, tool="auto"):
        self.course_dir = Path(course_dir) if course_dir else default_course_dir()
        self.timeout = float(timeout)
        self.tool = sandbox.find_tool() if tool == "auto" else (None if tool == "none" else tool)
        if tool not in ("auto", "none") and sandbox.find_tool(tool) is None:
            raise ValueError(f"grade: the sandbox tool {tool!r} does not work on this machine.")
        self.memory_mb = int(memory_mb)
        self.fingerprint = self._fingerprint()
        self._scratch = tempfile.TemporaryDirectory(prefix="convlab-grade-")

    def _fingerprint(self) -> str:
        digest = hashlib.sha256()
        files = sorted(PACKAGE.glob("*.py")) + sorted(self.course_dir.glob("instructor/*.ipynb"))
        for path in files:
            digest.update(str(path.name).encode())
            digest.update(path.read_bytes())
        return digest.hexdigest()

    def verify(self) -> None:
        if self._fingerprint() != self.fingerprint:
            raise RuntimeError(
                "grade: convlab's files or the reference notebooks changed during grading "
                "(a submission ran unboxed and wrote to them?); stopping. Reinstall and "
                "grade again in a sandbox."
            )

    def box(self, hidden=()) -> sandbox.Box:
        # Learners' code never sees where submissions or the grader's files are.
        return sandbox.Box(
            tool=self.tool, hidden=(self._scratch.name, *hidden), memory_mb=self.memory_mb
        )

    def run_exercise(self, name: str, source: str, hidden=()) -> tuple[str, str]:
        """The (status, detail) of one answer: run in a box, judged here."""
        self.verify()
        job = json.dumps({"exercise": name, "source": source}).encode()
        command = [
            sys.executable,
            "-I",
            "-c",
            f"import sys; sys.path.insert(0, {str(PACKAGE.parent)!r}); "
            "from convlab._runner import main; main()",
        ]
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "MPLBACKEND": "Agg",
        }
        outcome = sandbox.run(self.box(hidden), command, stdin=job, timeout=self.timeout, env=env)
        if outcome.timed_out:
            return "timeout", (
                f"stopped after the {self.timeout:g} s limit (an endless loop, or far too slow)"
            )
        try:
            data = json.loads(outcome.result.decode("utf-8")) if outcome.result else None
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            data = "garbled"
        if data is None:
            if _out_of_memory(outcome):
                return "error", f"it ran out of memory (the limit is {self.memory_mb} MB)"
            return "error", (
                f"the process running it died (exit code {outcome.returncode}) before "
                "returning a result; did the code call exit() or os._exit()?"
            )
        if isinstance(data, dict) and data.get("status") == "cell error":
            error = str(data.get("error", ""))[:300]
            return "error", f"the exercise cell raised {error}"
        verdict = judge(name, Attempt.from_dict(data))
        return verdict.status, verdict.detail

    def grade_one(self, path) -> list[Row]:
        """Grade one submission; never raises for a bad submission (it becomes an error row)."""
        path = Path(path)
        label = str(path)
        try:
            content = path.read_bytes()  # the private copy; the file is not opened again
        except OSError as error:
            return [Row(label, "", "", "error", f"cannot read the file ({error})")]
        try:
            lesson, answers = read_answers(content)
        except SubmissionError as error:
            return [Row(label, "", "", "error", str(error))]
        rows = []
        folder = path.resolve().parent
        # The submissions' folder is hidden from the box, unless convlab itself is in it.
        hidden = () if PACKAGE.is_relative_to(folder) else (str(folder),)
        for name in (n for n, e in EXERCISES.items() if e.notebook == lesson):
            if name not in answers:
                rows.append(
                    Row(label, lesson, name, "not attempted", "the exercise cell is missing")
                )
                continue
            status, detail = self.run_exercise(name, answers[name], hidden)
            flags = [f for f in static_flags(answers[name]) if f not in detail]
            if flags and status in ("passed", "failed"):
                detail = f"{detail} [flagged: {'; '.join(flags)}]"
            rows.append(Row(label, lesson, name, status, detail))
        return rows

    def keep(self, path, rows, folder) -> Path | None:
        """Write the graded notebook: the instructor edition with the answers and verdicts."""
        import nbformat

        try:
            lesson, answers = read_answers(Path(path).read_bytes())
        except (SubmissionError, OSError):
            return None
        reference = self.course_dir / "instructor" / f"{lesson}.ipynb"
        notebook = nbformat.read(reference, as_version=4)
        verdicts = {row.exercise: row for row in rows}
        graded = []
        for cell in notebook.cells:
            name = cell.get("metadata", {}).get("convlab", {}).get("exercise")
            if name is not None:
                cell.source = answers.get(name, EXERCISES[name].stub)
            graded.append(cell)
            if name in verdicts:
                row = verdicts[name]
                graded.append(
                    nbformat.v4.new_markdown_cell(f"**Grade:** `{row.status}` — {row.detail}")
                )
        notebook.cells = graded
        target = Path(folder) / f"{Path(path).stem}-graded.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, target)
        return target


def _out_of_memory(outcome) -> bool:
    return b"MemoryError" in outcome.log or outcome.returncode in (-9, 137)


def grade(
    paths, *, course_dir=None, timeout=60.0, jobs=1, memory_mb=2048, tool="auto", keep=None
) -> list[Row]:
    """Grade several submissions, ``jobs`` at a time; rows keep the order of ``paths``."""
    grader = Grader(course_dir=course_dir, timeout=timeout, memory_mb=memory_mb, tool=tool)

    def one(path):
        rows = grader.grade_one(path)
        if keep:
            grader.keep(path, rows, keep)
        return rows

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        rows = [row for batch in pool.map(one, paths) for row in batch]
    grader.verify()
    return rows


# --------------------------------------------------------------------------- reports
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


def write_csv(rows, path) -> None:
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(FIELDS)
        writer.writerows(astuple(row) for row in rows)


def merge(paths, target) -> int:
    """Concatenate the CSVs of several shards into one, sorted by submission; returns rows."""
    rows = []
    for path in paths:
        with open(path, newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if tuple(header or ()) != FIELDS:
                raise ValueError(
                    f"merge: {path} is not a convlab grade CSV; expected the columns "
                    f"{','.join(FIELDS)}, received {header!r}."
                )
            rows.extend(Row(*row) for row in reader)
    rows.sort(key=lambda row: row.submission)  # stable: exercise order kept per submission
    write_csv(rows, target)
    return len(rows)


def _shard(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d+)/(\d+)", text)
    if not match or not 1 <= int(match[1]) <= int(match[2]):
        raise argparse.ArgumentTypeError(f"--shard must be i/n with 1 <= i <= n; received {text!r}")
    return int(match[1]), int(match[2])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="convlab grade",
        description="Grade learners' notebooks: each answer runs in a sandbox, the verdict "
        "is decided outside it. `convlab grade --merge OUT.csv A.csv B.csv ...` joins shards.",
    )
    parser.add_argument("submissions", nargs="*", type=Path, help="the learners' .ipynb files")
    parser.add_argument("--csv", type=Path, help="also write the rows to this CSV file")
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="seconds per exercise (default 60)"
    )
    parser.add_argument("--jobs", type=int, default=1, help="submissions graded in parallel")
    parser.add_argument(
        "--memory", type=int, default=2048, help="memory limit per exercise, in MB (default 2048)"
    )
    parser.add_argument(
        "--shard",
        type=_shard,
        metavar="I/N",
        help="grade only the I-th of N equal parts of the (sorted) submissions",
    )
    parser.add_argument("--keep", type=Path, help="write each graded notebook into this folder")
    parser.add_argument(
        "--sandbox",
        choices=("auto", "bwrap", "unshare", "none"),
        default="auto",
        help="the tool that boxes learners' code (default: whichever works here)",
    )
    parser.add_argument(
        "--course-dir", type=Path, help="the course folder (default: the repository's)"
    )
    parser.add_argument("--merge", type=Path, metavar="OUT", help="merge shard CSVs into OUT")
    args = parser.parse_args(argv)
    if args.merge:
        count = merge(args.submissions, args.merge)
        print(f"merged {count} rows into {args.merge}")
        return 0
    if not args.submissions:
        parser.error("give the submissions to grade")
    if args.timeout <= 0 or args.jobs < 1 or args.memory < 64:
        parser.error("--timeout must be positive, --jobs at least 1 and --memory at least 64")
    paths = sorted(args.submissions, key=str) if args.shard else args.submissions
    if args.shard:
        index, count = args.shard
        paths = paths[index - 1 :: count]
    tool = sandbox.find_tool() if args.sandbox == "auto" else args.sandbox
    if tool in (None, "none"):
        print(
            "WARNING: not sandboxed - neither bubblewrap nor util-linux unshare can make a "
            "sandbox here, so learners' code runs with your rights (files, network). Install "
            "bubblewrap, or grade in a throwaway container.",
            file=sys.stderr,
        )
    else:
        print(f"sandbox: {tool} (no network, read-only files, {args.memory} MB)", file=sys.stderr)
    rows = grade(
        paths,
        course_dir=args.course_dir,
        timeout=args.timeout,
        jobs=args.jobs,
        memory_mb=args.memory,
        tool=args.sandbox,
        keep=args.keep,
    )
    print(_table(rows))
    print()
    print(_summary(rows))
    if args.csv:
        write_csv(rows, args.csv)
        print(f"\nwrote {len(rows)} rows to {args.csv}")
    return 0
