"""convlab grade: one clear row per exercise for every kind of submission, files untouched."""

import csv
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from convlab import grade
from convlab.exercises import EXERCISES

COURSE = Path(__file__).resolve().parent.parent / "course"
LESSON = "01_sliding_windows"  # two exercises and no TensorFlow: quick to run
FLIPPED = "the kernel is flipped: that is convolution in the textbook sense"


def learner_edition():
    return nbformat.read(COURSE / f"{LESSON}.ipynb", as_version=4)


def with_answers(notebook, **answers):
    for cell in notebook.cells:
        name = cell.get("metadata", {}).get("convlab", {}).get("exercise")
        if name in answers:
            cell.source = answers[name]
    return notebook


def solution(name):
    return EXERCISES[name].solution


def save(tmp_path, name, notebook):
    path = tmp_path / name
    nbformat.write(notebook, path)
    return path


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade a set of sample submissions once (in parallel), as the command line does."""
    folder = tmp_path_factory.mktemp("submissions")
    notebooks = {}
    notebooks["correct.ipynb"] = with_answers(
        learner_edition(),
        strided_correlate=solution("strided_correlate"),
        vertical_edge_kernel=solution("vertical_edge_kernel"),
    )
    notebooks["partly_wrong.ipynb"] = with_answers(
        learner_edition(),
        strided_correlate=solution("strided_correlate").replace("window * kernel)", "window * kernel[::-1, ::-1])"),
    )
    untouched = learner_edition()
    notebooks["untouched.ipynb"] = untouched

    # Tampered: the check cells deleted and a faked "passed" output on a wrong answer.
    tampered = with_answers(
        learner_edition(), strided_correlate="def strided_correlate(image, kernel, s):\n    return 0\n"
    )
    tampered.cells = [c for c in tampered.cells if "exercises.check(" not in c.source]
    for cell in tampered.cells:
        if cell.get("metadata", {}).get("convlab"):
            cell.outputs = [
                nbformat.v4.new_output("stream", text="[ok] strided_correlate: passed - correct\n")
            ]
    notebooks["tampered.ipynb"] = tampered

    looping = with_answers(
        learner_edition(),
        strided_correlate="def strided_correlate(image, kernel, s):\n    while True:\n        pass\n",
    )
    notebooks["endless.ipynb"] = looping

    raising = with_answers(
        learner_edition(), strided_correlate="def strided_correlate(image, kernel, s):\n    return image[99, 99]\n"
    )
    notebooks["raises.ipynb"] = raising

    broken = with_answers(
        learner_edition(), strided_correlate="def strided_correlate(image, kernel, s)\n    return 1\n"
    )
    notebooks["syntax_error.ipynb"] = broken

    reordered = with_answers(
        learner_edition(),
        strided_correlate=solution("strided_correlate"),
        vertical_edge_kernel=solution("vertical_edge_kernel"),
    )
    reordered.cells = reordered.cells[::-1] + [nbformat.v4.new_code_cell("print('an extra cell')")]
    notebooks["reordered.ipynb"] = reordered

    missing = with_answers(learner_edition(), strided_correlate=solution("strided_correlate"))
    missing.cells = [
        c
        for c in missing.cells
        if c.get("metadata", {}).get("convlab", {}).get("exercise") != "vertical_edge_kernel"
    ]
    notebooks["missing.ipynb"] = missing

    no_metadata = with_answers(learner_edition(), strided_correlate=solution("strided_correlate"))
    for cell in no_metadata.cells:
        cell.metadata = {}
    notebooks["no_metadata.ipynb"] = no_metadata

    other_course = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("def train():\n    pass\n")]
    )
    notebooks["other_course.ipynb"] = other_course

    paths = [save(folder, name, nb) for name, nb in notebooks.items()]
    (folder / "empty.ipynb").write_text("")
    (folder / "corrupt.ipynb").write_bytes(b"\x89PNG\r\n\x1a\n\x00garbage")
    (folder / "not_a_notebook.ipynb").write_text(json.dumps({"hello": "world"}))
    paths += [folder / "empty.ipynb", folder / "corrupt.ipynb", folder / "not_a_notebook.ipynb"]

    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}
    csv_path = folder / "grades.csv"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "convlab",
            "grade",
            *map(str, paths),
            "--csv",
            str(csv_path),
            "--timeout",
            "8",
            "--jobs",
            "2",
        ],
        capture_output=True,
        text=True,
        cwd=folder,
        timeout=600,
    )
    after = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}
    with open(csv_path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    by = {}
    for row in rows:
        by.setdefault(Path(row["submission"]).name, {})[row["exercise"]] = (
            row["status"],
            row["detail"],
        )
    return {"result": result, "rows": rows, "by": by, "before": before, "after": after}


def test_exit_code_zero_and_submissions_untouched(graded):
    assert graded["result"].returncode == 0, graded["result"].stderr
    assert graded["before"] == graded["after"]


def test_csv_columns_and_one_row_per_exercise(graded):
    assert list(graded["rows"][0]) == ["submission", "notebook", "exercise", "status", "detail"]
    assert set(graded["by"]["correct.ipynb"]) == {"strided_correlate", "vertical_edge_kernel"}
    assert all(row["notebook"] == LESSON for row in graded["rows"] if row["exercise"])


def test_all_correct(graded):
    assert graded["by"]["correct.ipynb"] == {
        "strided_correlate": ("passed", "correct on all 3 cases."),
        "vertical_edge_kernel": (
            "passed",
            "correct (four test images: flat, two vertical steps, a horizontal step).",
        ),
    }


def test_partly_wrong_says_why(graded):
    status, detail = graded["by"]["partly_wrong.ipynb"]["strided_correlate"]
    assert status == "failed" and detail.startswith(FLIPPED)
    assert graded["by"]["partly_wrong.ipynb"]["vertical_edge_kernel"][0] == "not attempted"


def test_untouched_learner_edition_is_not_attempted(graded):
    assert {s for s, _ in graded["by"]["untouched.ipynb"].values()} == {"not attempted"}


def test_tampering_with_checks_and_outputs_changes_nothing(graded):
    status, detail = graded["by"]["tampered.ipynb"]["strided_correlate"]
    assert status == "failed" and detail.startswith("wrong for a 7x6 image, a 2x3 kernel, stride 2")


def test_endless_loop_times_out_and_the_rest_is_still_graded(graded):
    rows = graded["by"]["endless.ipynb"]
    assert rows["strided_correlate"] == (
        "timeout",
        "a cell ran longer than the 8 s limit (endless loop?)",
    )
    assert rows["vertical_edge_kernel"][0] in ("not attempted", "timeout")


def test_exceptions_are_errors(graded):
    status, detail = graded["by"]["raises.ipynb"]["strided_correlate"]
    assert status == "error" and "IndexError" in detail
    status, detail = graded["by"]["syntax_error.ipynb"]["strided_correlate"]
    assert (
        status == "error"
        and detail.startswith("the exercise cell raised")
        and "SyntaxError" in detail
    )


def test_reordered_and_extra_cells_do_not_matter(graded):
    assert {s for s, _ in graded["by"]["reordered.ipynb"].values()} == {"passed"}


def test_missing_exercise(graded):
    rows = graded["by"]["missing.ipynb"]
    assert rows["strided_correlate"][0] == "passed"
    assert rows["vertical_edge_kernel"] == (
        "not attempted",
        "the exercise cell is missing from the submission",
    )


def test_answers_found_without_metadata(graded):
    assert graded["by"]["no_metadata.ipynb"]["strided_correlate"][0] == "passed"


@pytest.mark.parametrize(
    "name, detail",
    [
        ("other_course.ipynb", "no exercise of this course found"),
        ("empty.ipynb", "the file is empty"),
        ("corrupt.ipynb", "cannot read the file"),
        ("not_a_notebook.ipynb", "not a Jupyter notebook"),
    ],
)
def test_files_that_cannot_be_graded_get_one_error_row(graded, name, detail):
    ((exercise, (status, message)),) = graded["by"][name].items()
    assert (exercise, status) == ("", "error") and message.startswith(detail)


def test_report_table_and_summary(graded):
    out = graded["result"].stdout
    assert out.splitlines()[0].split() == ["submission", "notebook", "exercise", "status", "detail"]
    assert "correct.ipynb: 2/2 passed (01_sliding_windows)" in out
    assert "empty.ipynb: not graded - the file is empty" in out


def test_another_lesson_is_graded_against_its_own_reference(tmp_path):
    notebook = nbformat.read(COURSE / "02_padding_and_stride.ipynb", as_version=4)
    with_answers(notebook, dropped_cells=solution("dropped_cells"))
    lesson, answers = grade.read_answers(save(tmp_path, "x.ipynb", notebook))
    assert lesson == "02_padding_and_stride" and set(answers) == {"dropped_cells", "same_padding"}


def test_usage_errors():
    from convlab.__main__ import main

    assert main([]) == 2
    with pytest.raises(SystemExit):
        grade.main(["x.ipynb", "--jobs", "0"])
