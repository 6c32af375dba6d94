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
    # Every notebook has exercises, so every one has both editions.
    assert [s.stem for s in SOURCES if len(course.editions(s)) == 2] == stems


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


def output_text(cell):
    return "".join(
        output.get("text", "") + output.get("data", {}).get("text/plain", "")
        for output in cell.get("outputs", [])
    )


def sections(notebook):
    """[prose, shown] per section; a section starts at a Markdown line "## ...".

    What a section *shows* is its cells' outputs, and the fenced code blocks of its
    prose (a quoted listing shows its own numbers).
    """
    found = [["", ""]]
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("## "):
                    found.append(["", ""])
                found[-1][0] += line + "\n"
        else:
            found[-1][1] += output_text(cell)
    for section in found:
        section[1] += "".join(re.findall(r"```.*?```", section[0], flags=re.S))
    return found


# Not quotes of a result: code and formulas, dimensions ("2-D"), bit widths, TensorFlow's
# major versions and exercise numbers ("**2.**"); and 0 and 1 (sums to 1, becomes 0).
NOT_QUOTES = re.compile(
    r"```.*?```|`[^`]*`|\$[^$]*\$|\b\d+-(?:D|bit)\b|\bTensorFlow [12]\b|\*\*\d+\.\*\*",
    flags=re.S,
)


def prose_numbers(prose):
    quoted = numbers(NOT_QUOTES.sub(" ", prose))
    return {n for n in quoted if not re.fullmatch(r"0\d|0|1", n)}  # "notebook 02"


def heading(prose):
    return prose.strip().splitlines()[0] if prose.strip() else "(start)"


def is_recap(prose):
    """A notebook's opening and its summary preview or repeat what its sections show."""
    return heading(prose).startswith("# ") or heading(prose) == "## Summary"


def unbacked(notebook):
    """{section heading: numbers its prose quotes that none of its outputs shows}."""
    found = sections(notebook)
    everywhere = numbers("".join(shown for _, shown in found))
    tasks = numbers(
        "".join(c.source for c in notebook.cells if c.get("metadata", {}).get("convlab"))
    )
    missing = {}
    for prose, shown in found:
        allowed = everywhere if is_recap(prose) else numbers(shown)
        if heading(prose) == "## Exercises":  # a task may quote its own function's text
            allowed = allowed | tasks
        if prose_numbers(prose) - allowed:
            missing[heading(prose)] = sorted(prose_numbers(prose) - allowed)
    return missing


@pytest.mark.parametrize("source", SOURCES, ids=[s.stem for s in SOURCES])
def test_every_number_the_prose_quotes_appears_in_an_output_of_its_section(source):
    assert unbacked(stored(source, "learner")) == {}


def test_the_section_rule_can_fail():
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# Title\nIntro."),
        nbformat.v4.new_markdown_cell("## One\nIt prints 42."),
        nbformat.v4.new_code_cell("print(7)", outputs=[nbformat.v4.new_output("stream", text="7\n")]),
        nbformat.v4.new_markdown_cell("## Two\nAnd 7 here."),
        nbformat.v4.new_code_cell("print(42)", outputs=[nbformat.v4.new_output("stream", text="42\n")]),
        nbformat.v4.new_markdown_cell("## Summary\nBoth 7 and 42 were shown."),
    ]
    assert unbacked(notebook) == {"## One": ["42"], "## Two": ["7"]}
    assert prose_numbers("A 2-D array, TensorFlow 2, **3.** sums to 1, `k = 5`, $n = 9$") == set()



VAGUE = re.compile(
    r"\b(a few (minutes|seconds|points)|about (twice|half|a point)|roughly|several times"
    r"|orders? of magnitude|much (faster|slower))\b",
    re.I,
)


@pytest.mark.parametrize("source", SOURCES, ids=[s.stem for s in SOURCES])
def test_no_approximate_claim_that_no_output_backs(source):
    for cell in stored(source, "learner").cells:
        if cell.cell_type == "markdown":
            assert not VAGUE.search(cell.source), VAGUE.search(cell.source).group(0)


MACHINE = [str(Path.home()), str(COURSE.parent), "/tmp/", "/work/", "/home/", "/Users/", "/root"]


@pytest.mark.parametrize("source, which", NOTEBOOKS, ids=IDS)
def test_stored_outputs_show_no_machine_paths(source, which):
    for cell in stored(source, which).cells:
        text = output_text(cell)
        for path in MACHINE:
            assert path not in text, f"{path!r} in the output of: {cell.source[:80]!r}"


@pytest.mark.parametrize("source", SOURCES[1:], ids=[s.stem for s in SOURCES[1:]])
def test_every_lesson_asks_to_predict_then_run_and_has_two_exercises(source):
    cells = stored(source, "learner").cells
    questions = [i for i, c in enumerate(cells) if "**Predict, then run.**" in c.source]
    assert questions, "no predict-then-run question"
    for index in questions:  # the answer follows: a code cell with an output
        assert cells[index + 1].cell_type == "code" and cells[index + 1].outputs
    exercised = [c for c in cells if c.get("metadata", {}).get("convlab")]
    assert len(exercised) >= 2


def test_parse_rejects_unknown_cells(tmp_path):
    with pytest.raises(ValueError, match="unknown exercise 'nope'"):
        course.parse("# %% [exercise] nope\n")
    with pytest.raises(ValueError, match=r"unknown cell kind \[raw\]"):
        course.parse("# %% [raw]\nx\n")
    with pytest.raises(ValueError, match="text before the first"):
        course.parse("x = 1\n# %%\n")
    with pytest.raises(ValueError, match=r"parse: cell 1 \(a code cell\) is empty"):
        course.parse("# %%\nx = 1\n\n# %%\n\n# %%\ny = 2\n")


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
