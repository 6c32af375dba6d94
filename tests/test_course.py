"""The stored notebooks: built from their sources, executed, self-consistent, honest prose."""

import re
from pathlib import Path

import nbformat
import pytest

from convlab import course
from convlab.exercises import EXERCISES

COURSE = Path(__file__).resolve().parent.parent / "course"
SOURCES = course.sources(COURSE)
STORED = {
    which: sorted((COURSE / folder).glob("[0-9][0-9]_*.ipynb"))
    for which, folder in course.EDITIONS.items()
}
NOTEBOOKS = [(source, which) for source in SOURCES for which in course.editions(source)]
WITH_EXERCISES = [
    (source, which) for source, which in NOTEBOOKS if len(course.editions(source)) == 2
]
IDS = [f"{source.stem}-{which}" for source, which in NOTEBOOKS]


def stored(source, which):
    return nbformat.read(course.output_path(source, which), as_version=4)


def test_every_source_has_its_editions_and_nothing_else():
    stems = [s.stem for s in SOURCES]
    assert stems == [
        "00_welcome",
        "01_sliding_windows",
        "02_padding_and_stride",
        "03_channels",
        "04_pooling",
        "05_tensorflow",
        "06_mnist",
        "07_inside",
    ]
    for which, paths in STORED.items():
        assert [p.stem for p in paths] == [
            s.stem for s in SOURCES if which in course.editions(s)
        ], which
    # Notebooks with exercises have both editions; 06 and 07 have none, so only the learner's.
    assert [s.stem for s in SOURCES if len(course.editions(s)) == 2] == stems[:6]


@pytest.mark.parametrize("source, which", NOTEBOOKS, ids=IDS)
def test_stored_notebook_matches_its_source(source, which):
    # A notebook edited by hand, or a source changed without rebuilding, fails here:
    # run `python -m convlab.course` to rebuild and execute both editions.
    expected = course.edition(source, which)
    actual = stored(source, which)
    assert [(c.cell_type, c.source) for c in actual.cells] == [
        (c.cell_type, c.source) for c in expected.cells
    ]
    assert [c.get("metadata", {}).get("convlab") for c in actual.cells] == [
        c.get("metadata", {}).get("convlab") for c in expected.cells
    ]


@pytest.mark.parametrize("source, which", NOTEBOOKS, ids=IDS)
def test_stored_notebook_is_executed_top_to_bottom_without_errors(source, which):
    code = [c for c in stored(source, which).cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1))
    for cell in code:
        assert not [o for o in cell.outputs if o.output_type == "error"], cell.source[:80]
        for output in cell.outputs:
            if output.output_type == "stream":
                assert output.name == "stdout", f"stderr in stored output: {output.text[:200]}"


@pytest.mark.parametrize(
    "source, which", WITH_EXERCISES, ids=[f"{s.stem}-{w}" for s, w in WITH_EXERCISES]
)
def test_each_check_reports_the_editions_status(source, which):
    cells = stored(source, which).cells
    exercises = [i for i, c in enumerate(cells) if c.get("metadata", {}).get("convlab")]
    assert exercises, "every notebook has an exercise"
    status = "not attempted" if which == "learner" else "passed"
    for index in exercises:
        name = cells[index].metadata["convlab"]["exercise"]
        assert EXERCISES[name].notebook == source.stem
        check = cells[index + 1]
        assert check.source == f'exercises.check("{name}", {name})'
        (output,) = check.outputs
        assert output.data["text/plain"].startswith(
            f"[{'ok' if status == 'passed' else ' '}] {name}: {status} - "
        )


NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+\.\d+|\d+)(?![\w])")


def numbers(text):
    return set(NUMBER.findall(re.sub(r"(?<=\d)x(?=\d)", " x ", text)))


@pytest.mark.parametrize("source", SOURCES, ids=[s.stem for s in SOURCES])
def test_every_number_the_prose_quotes_appears_in_an_output(source):
    notebook = stored(source, "learner")
    shown = set()
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            shown |= numbers(output.get("text", "") + output.get("data", {}).get("text/plain", ""))
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        prose = re.sub(r"`[^`]*`|\$[^$]*\$", "", cell.source)  # code and formulas are not quotes
        quoted = {n for n in numbers(prose) if not re.fullmatch(r"0\d", n)}  # "notebook 02"
        assert quoted <= shown, (
            f"quoted but never shown: {sorted(quoted - shown)} in: {cell.source[:120]!r}"
        )


def test_parse_rejects_unknown_cells(tmp_path):
    with pytest.raises(ValueError, match="unknown exercise 'nope'"):
        course.parse("# %% [exercise] nope\n")
    with pytest.raises(ValueError, match=r"unknown cell kind \[raw\]"):
        course.parse("# %% [raw]\nx\n")
    with pytest.raises(ValueError, match="text before the first"):
        course.parse("x = 1\n# %%\n")


def test_parse_reads_markdown_code_tags_and_exercises():
    cells = course.parse(
        "# %% [markdown]\n# # Title\n#\n# Text.\n\n# %% tags=nbval-ignore-output\nx = 1\n\n"
        "# %% [exercise] to_batch\n"
    )
    assert [(c["kind"], c["source"], c["tags"]) for c in cells] == [
        ("markdown", "# Title\n\nText.", []),
        ("code", "x = 1", ["nbval-ignore-output"]),
        ("exercise", "", []),
    ]
