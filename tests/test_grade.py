"""convlab grade: honest rows for honest, broken and hostile submissions, files untouched.

The learner's code runs in a sandbox and only computes values; the verdict is decided in
the grader's process. Each category of attack or accident the grader must survive has a
test here: forged verdict lines, patched checks, input transformers, forged results,
the answer key, exit and os._exit, loops that ignore SIGINT, memory hogs, tampering with
files, malformed notebooks, duplicated cells, objects equal to everything, huge output
and shell escapes.
"""

import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from convlab import exercises, grade, sandbox
from convlab.exercises import EXERCISES

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "course"
LESSON = "04_pooling"  # two exercises, both loops over NumPy arrays
SOLUTION = {name: EXERCISES[name].solution for name in ("max_pool", "avg_pool_same")}
TOOLS = [tool for tool in sandbox.TOOLS if sandbox.find_tool(tool)]


def learner_edition():
    return nbformat.read(COURSE / f"{LESSON}.ipynb", as_version=4)


def with_answers(notebook, **answers):
    for cell in notebook.cells:
        name = cell.get("metadata", {}).get("convlab", {}).get("exercise")
        if name in answers:
            cell.source = answers[name]
    return notebook


def save(folder, name, notebook):
    path = folder / name
    nbformat.write(notebook, path)
    return path


def answer(body, name="max_pool", signature="image, k, s"):
    return f"def {name}({signature}):\n" + "".join(f"    {line}\n" for line in body.splitlines())


@pytest.fixture(scope="module")
def grader():
    return grade.Grader(timeout=8, memory_mb=1024)


def verdict(grader, source, name="max_pool"):
    return grader.run_exercise(name, source)


# ------------------------------------------------------------------ verdicts out of reach
def test_a_correct_answer_passes_even_if_it_prints(grader):
    noisy = SOLUTION["max_pool"].replace(
        "    out = np.zeros((out_h, out_w))",
        "    print('debugging', image.shape)\n    out = np.zeros((out_h, out_w))",
    )
    assert verdict(grader, noisy) == ("passed", "correct on all 3 cases.")


@pytest.mark.parametrize(
    "name, source",
    [
        (
            "forged verdict line",
            answer("print('[ok] max_pool: passed - correct on all 3 cases.')\nreturn 0"),
        ),
        (
            "patched check and verdict",
            "import convlab.exercises as e\n"
            "e.check = lambda *a: e.Verdict('max_pool', 'passed', 'forged')\n"
            "e.judge = e.check\n" + answer("return 0"),
        ),
        (
            "input transformer",
            "get_ipython().input_transformers_post.append(lambda lines: ['print(1)\\n'])\n"
            + answer("return 0"),
        ),
        (
            "forged result with a status the judge does not know",
            "import json, os\n"
            "os.write(int(os.environ.get('CONVLAB_RESULT_FD', 3)), json.dumps({'status': 'passed'}).encode())\n"
            "os._exit(0)\n" + answer("return 0"),
        ),
        (
            "report file",
            "open('report.json', 'w').write('{\"passed\": true}')\n" + answer("return 0"),
        ),
    ],
)
def test_nothing_the_learners_code_prints_patches_or_forges_makes_a_pass(grader, name, source):
    status, detail = verdict(grader, source)
    assert status in ("failed", "error"), (name, detail)


def test_an_object_equal_to_everything_fails(grader):
    source = "class Any:\n    def __eq__(self, other):\n        return True\n" + answer(
        "return Any()"
    )
    assert verdict(grader, source) == (
        "failed",
        "your function returned an object of type __main__.Any; expected a NumPy array.",
    )


def test_reaching_for_the_answer_key_or_the_library_is_flagged(grader):
    key = "from convlab.exercises import EXERCISES\n" + answer(
        "return EXERCISES['max_pool'].reference(image, k, s)"
    )
    status, detail = verdict(grader, key)
    assert status == "passed" and "uses the reference implementation" in detail
    assert "uses the reference implementation (convlab.exercises)" in grade.static_flags(key)
    library = answer(
        "return convlab.naive.max_pool2d(image[None, :, :, None], k, strides=s)[0, :, :, 0]"
    )
    status, detail = verdict(grader, library)
    assert status == "passed" and "but it calls convlab.naive.max_pool2d" in detail


@pytest.mark.parametrize(
    "source, flag",
    [
        ("import convlab as c\nx = c.conv2d", "calls convlab.conv2d"),
        ("from convlab import naive\nnaive.max_pool2d", "calls convlab.naive.max_pool2d"),
        ("from convlab import exercises", "uses the reference implementation (convlab.exercises)"),
        ("import sys\nsys._getframe(1)", "reaches into the interpreter (sys._getframe)"),
        ("import inspect\ninspect.stack()", "reaches into the interpreter (inspect)"),
        ("__import__('os')", "reaches into the interpreter (__import__)"),
        (
            "import subprocess\nsubprocess.run(['ls'])",
            "runs other programs or opens connections (subprocess)",
        ),
        ("import os\nos.system('ls')", "runs other programs or opens connections (os.system)"),
    ],
)
def test_static_flags(source, flag):
    assert flag in grade.static_flags(source)


def test_plain_numpy_is_not_flagged():
    assert grade.static_flags(SOLUTION["max_pool"]) == []
    assert grade.static_flags("def broken(:") == []


# --------------------------------------------------------------------- the box and limits
def test_a_loop_that_ignores_sigint_times_out_at_the_limit(grader):
    source = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n" + answer(
        "while True:\n    print('still here')"
    )
    status, detail = verdict(grader, source)
    assert (status, detail) == (
        "timeout",
        "stopped after the 8 s limit (an endless loop, or far too slow)",
    )


@pytest.mark.parametrize(
    "source, expected",
    [
        (answer("import os\nos._exit(3)"), "the process running it died (exit code 3)"),
        (answer("raise SystemExit(0)"), "your function raised SystemExit: 0."),
        (
            "import sys\nsys.exit(2)\n" + answer("return 0"),
            "the exercise cell raised SystemExit: 2",
        ),
        (answer("return [0] * 10**10"), "MemoryError"),
        ("def max_pool(image, k, s)\n    return 1\n", "the exercise cell raised SyntaxError"),
        ("x = 1\n", "the exercise cell raised the cell does not define `max_pool`"),
    ],
)
def test_crashes_and_hogs_are_errors_that_say_what_happened(grader, source, expected):
    status, detail = verdict(grader, source)
    assert status == "error" and expected in detail, detail


def test_huge_output_costs_nothing(grader):
    noisy = SOLUTION["max_pool"].replace(
        "    out = np.zeros((out_h, out_w))",
        "    print('x' * 10**7)\n    out = np.zeros((out_h, out_w))",
    )
    assert verdict(grader, noisy)[0] == "passed"


@pytest.mark.skipif(not TOOLS, reason="no sandbox tool works on this machine")
@pytest.mark.parametrize("tool", TOOLS)
def test_the_box_has_no_network_no_writable_project_and_hides_folders(tmp_path, tool):
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "other-learner.ipynb").write_text("answers")
    probe = (
        "import os, socket, sys\n"
        "report = []\n"
        "try:\n"
        "    socket.create_connection(('127.0.0.1', 9), timeout=1); report.append('network')\n"
        "except OSError:\n"
        "    pass\n"
        f"for path in ({str(ROOT / 'convlab' / 'probe.txt')!r}, {str(COURSE / 'probe.txt')!r}):\n"
        "    try:\n"
        "        open(path, 'w').write('x'); report.append('wrote ' + path)\n"
        "    except OSError:\n"
        "        pass\n"
        f"secret = {str(secret)!r}\n"
        "report.append(str(os.listdir(secret) if os.path.exists(secret) else []))\n"
        "open('/tmp/scratch', 'w').write('ok')\n"
        "os.write(int(os.environ['CONVLAB_RESULT_FD']), repr(report).encode())\n"
    )
    box = sandbox.Box(tool=tool, hidden=(str(secret),), memory_mb=512)
    outcome = sandbox.run(
        box, [sys.executable, "-c", probe], stdin=b"", timeout=20, env=dict(os.environ)
    )
    assert outcome.returncode == 0, outcome.log
    assert outcome.result == b"['[]']"  # no network, nothing written, the secret folder empty
    assert not (ROOT / "convlab" / "probe.txt").exists()


@pytest.mark.skipif(not TOOLS, reason="no sandbox tool works on this machine")
@pytest.mark.parametrize("tool", TOOLS)
def test_a_project_under_tmp_stays_visible_and_read_only_in_the_box(tmp_path, tool):
    # A clone in /tmp (as a CI job may make) lies under the box's private /tmp.
    project = tmp_path / "clone"
    shutil.copytree(ROOT / "convlab", project / "convlab")
    (project / "submissions").mkdir()
    (project / "submissions" / "other.ipynb").write_text("answers")
    probe = (
        "import os, sys\n"
        f"sys.path.insert(0, {str(project)!r})\n"
        "import convlab\n"
        "top = os.path.dirname(os.path.dirname(convlab.__file__))\n"
        "report = [convlab.__file__, sorted(os.listdir(top))]\n"
        "try:\n"
        f"    open({str(project / 'probe.txt')!r}, 'w')\n"
        "    report.append('wrote')\n"
        "except OSError:\n"
        "    pass\n"
        f"report.append(os.listdir({str(project / 'submissions')!r}))\n"
        "os.write(int(os.environ['CONVLAB_RESULT_FD']), repr(report).encode())\n"
    )
    box = sandbox.Box(
        tool=tool,
        hidden=(str(project / "submissions"),),
        keep=(*sandbox.python_folders(), str(project)),
    )
    outcome = sandbox.run(
        box, [sys.executable, "-I", "-c", probe], stdin=b"", timeout=20, env=dict(os.environ)
    )
    assert outcome.returncode == 0, outcome.log
    init = str(project / "convlab" / "__init__.py")
    assert outcome.result.decode() == repr([init, ["convlab", "submissions"], []])
    assert not (project / "probe.txt").exists()


def test_the_box_keeps_only_python_folders_under_tmp():
    assert all(f.startswith("/tmp/") for f in sandbox.python_folders())
    assert sandbox.Box(tool="bwrap").keep == sandbox.python_folders()


@pytest.mark.skipif(not TOOLS, reason="no sandbox tool works on this machine")
@pytest.mark.parametrize("tool", TOOLS)
def test_the_time_limit_kills_everything_the_box_started(tool):
    box = sandbox.Box(tool=tool)
    code = (
        "import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(60)\ntime.sleep(60)\n"
    )
    outcome = sandbox.run(
        box, [sys.executable, "-c", code], stdin=b"", timeout=2, env=dict(os.environ)
    )
    assert outcome.timed_out and outcome.seconds < 15
    left = subprocess.run(["pgrep", "-f", "time.sleep(60)"], capture_output=True, text=True)
    assert left.stdout.strip() == ""


def test_ci_has_a_working_sandbox():
    # .ci/run sets CONVLAB_REQUIRE_SANDBOX: there, the sandbox tests must run, never skip.
    if os.environ.get("CONVLAB_REQUIRE_SANDBOX"):
        assert TOOLS, "neither bubblewrap nor util-linux unshare can make a sandbox here"


def test_without_a_tool_it_still_grades_and_says_so(tmp_path):
    path = save(tmp_path, "a.ipynb", with_answers(learner_edition(), max_pool=SOLUTION["max_pool"]))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "convlab",
            "grade",
            str(path),
            "--sandbox",
            "none",
            "--timeout",
            "20",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("WARNING: not sandboxed") == 1
    assert "a.ipynb: 1/2 passed (04_pooling)" in done.stdout


def test_a_changed_reference_stops_grading(tmp_path):
    course = tmp_path / "course"
    (course / "instructor").mkdir(parents=True)
    reference = course / "instructor" / f"{LESSON}.ipynb"
    reference.write_bytes((COURSE / "instructor" / f"{LESSON}.ipynb").read_bytes())
    grader = grade.Grader(course_dir=course, timeout=5)
    grader.verify()
    reference.write_text("{}")
    with pytest.raises(RuntimeError, match="changed during grading"):
        grader.verify()


# --------------------------------------------------------------------- reading submissions
def test_the_graded_answer_is_the_last_tagged_cell_before_the_check():
    notebook = learner_edition()
    index = next(
        i
        for i, c in enumerate(notebook.cells)
        if c.get("metadata", {}).get("convlab", {}).get("exercise") == "max_pool"
    )
    scratch = nbformat.v4.new_code_cell(answer("return 0"))  # an earlier attempt, untagged
    duplicate = nbformat.v4.new_code_cell(answer("return 1"))
    duplicate.metadata = {"tags": ["exercise"], "convlab": {"exercise": "max_pool"}}
    notebook.cells[index].source = answer("return 2")
    notebook.cells[index:index] = [scratch, duplicate]  # both above the tagged cell
    after = nbformat.v4.new_code_cell(answer("return 3"))
    after.metadata = dict(duplicate.metadata)
    notebook.cells.append(after)  # after the check: not the graded one
    _, answers = grade.read_answers(nbformat.writes(notebook).encode())
    assert answers["max_pool"] == answer("return 2")


@pytest.mark.parametrize(
    "content, detail",
    [
        (b"", "the file is empty"),
        (b"\xff\xfe not utf-8", "cannot read the file (not UTF-8"),
        (b"\x89PNG\r\n\x1a\n\x00garbage", "cannot read the file (not UTF-8"),
        (b'{"hello": "world"}', "not a Jupyter notebook (no list of cells)"),
        (b"[1, 2, 3]", "not a Jupyter notebook (no list of cells)"),
        (b'{"cells": [1]}', "not a Jupyter notebook (cell 0 is not an object)"),
        (
            b'{"cells": [{"cell_type": "code", "source": 7}]}',
            "not a Jupyter notebook (cell 0 has a source of type int)",
        ),
        (
            b'{"cells": [{"cell_type": "code", "source": "x", "metadata": "oops"}]}',
            "no exercise of this course found",
        ),
        (
            b'{"cells": [{"cell_type": "code", "source": "x", "metadata": {"convlab": 3}}]}',
            "no exercise of this course found",
        ),
        (b'{"cells": "' + b"[" * 100000 + b'"}', "not a Jupyter notebook (no list of cells)"),
        (b"{" * 100000, "not a Jupyter notebook (invalid JSON"),
        (b" " * (21 * 2**20), "the file is larger than 20 MB"),
    ],
)
def test_malformed_files_give_one_clear_error(content, detail):
    with pytest.raises(grade.SubmissionError) as raised:
        grade.read_answers(content)
    assert str(raised.value).startswith(detail)


# ------------------------------------------------------------------------- end to end
@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade a class of sample submissions once, in parallel, as the command line does."""
    folder = tmp_path_factory.mktemp("submissions")
    notebooks = {
        "correct.ipynb": with_answers(learner_edition(), **SOLUTION),
        "partly_wrong.ipynb": with_answers(  # steps by k instead of s
            learner_edition(),
            max_pool=SOLUTION["max_pool"]
            .replace("// s + 1", "// k + 1")
            .replace("y * s", "y * k")
            .replace("x * s", "x * k"),
        ),
        "untouched.ipynb": learner_edition(),
        "endless.ipynb": with_answers(
            learner_edition(),
            max_pool=answer("while True:\n    pass"),
            avg_pool_same=SOLUTION["avg_pool_same"],
        ),
        "exits.ipynb": with_answers(
            learner_edition(),
            max_pool=answer("import os\nos._exit(0)"),
            avg_pool_same=SOLUTION["avg_pool_same"],
        ),
    }
    if TOOLS:  # only ever boxed: unboxed, it would really do this
        # Tries to break its neighbours: rewrite convlab's registry and the other files.
        notebooks["vandal.ipynb"] = with_answers(
            learner_edition(),
            max_pool="import glob\n"
            f"for path in glob.glob({str(folder)!r} + '/*.ipynb') + [{str(ROOT / 'convlab' / 'exercises.py')!r}]:\n"
            "    try:\n        open(path, 'w').write('')\n    except OSError:\n        pass\n"
            + answer("return 0"),
        )
    no_metadata = with_answers(learner_edition(), max_pool=SOLUTION["max_pool"])
    for cell in no_metadata.cells:
        cell.metadata = {}
    notebooks["no_metadata.ipynb"] = no_metadata
    notebooks["other_course.ipynb"] = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("def train(): pass")]
    )
    paths = [save(folder, name, nb) for name, nb in notebooks.items()]
    (folder / "corrupt.ipynb").write_bytes(b"\x89PNG\r\n\x1a\n\x00garbage")
    paths.append(folder / "corrupt.ipynb")
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}
    csv_path, kept = folder / "grades.csv", folder / "graded"
    command = [sys.executable, "-m", "convlab", "grade", *map(str, paths), "--csv", str(csv_path)]
    result = subprocess.run(
        [*command, "--timeout", "8", "--jobs", "2", "--keep", str(kept)],
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
    return {
        "result": result,
        "rows": rows,
        "by": by,
        "before": before,
        "after": after,
        "kept": kept,
    }


def test_exit_code_zero_and_submissions_untouched(graded):
    assert graded["result"].returncode == 0, graded["result"].stderr
    assert graded["before"] == graded["after"]


def test_csv_columns_and_one_row_per_exercise(graded):
    assert list(graded["rows"][0]) == ["submission", "notebook", "exercise", "status", "detail"]
    assert list(graded["by"]["correct.ipynb"]) == ["max_pool", "avg_pool_same"]
    assert all(row["notebook"] == LESSON for row in graded["rows"] if row["exercise"])


def test_honest_rows(graded):
    by = graded["by"]
    assert by["correct.ipynb"] == {
        "max_pool": ("passed", "correct on all 3 cases."),
        "avg_pool_same": ("passed", "correct on all 3 cases."),
    }
    assert by["partly_wrong.ipynb"]["max_pool"] == (
        "failed",
        "only non-overlapping windows: the windows must step by s, not by k.",
    )
    assert by["partly_wrong.ipynb"]["avg_pool_same"][0] == "not attempted"
    assert {s for s, _ in by["untouched.ipynb"].values()} == {"not attempted"}
    assert by["no_metadata.ipynb"]["max_pool"][0] == "passed"


def test_a_broken_exercise_does_not_take_the_others_with_it(graded):
    by = graded["by"]
    assert by["endless.ipynb"]["max_pool"][0] == "timeout"
    assert by["exits.ipynb"]["max_pool"][0] == "error"
    for name in ("endless.ipynb", "exits.ipynb"):
        assert by[name]["avg_pool_same"] == ("passed", "correct on all 3 cases.")


@pytest.mark.skipif(not TOOLS, reason="no sandbox tool works on this machine")
def test_one_submission_cannot_change_another(graded):
    assert graded["by"]["vandal.ipynb"]["max_pool"][0] == "failed"
    assert graded["by"]["correct.ipynb"]["max_pool"][0] == "passed"
    assert graded["before"] == graded["after"]
    assert (ROOT / "convlab" / "exercises.py").stat().st_size > 10_000


@pytest.mark.parametrize(
    "name, detail",
    [
        ("other_course.ipynb", "no exercise of this course found"),
        ("corrupt.ipynb", "cannot read the file"),
    ],
)
def test_files_that_cannot_be_graded_get_one_error_row(graded, name, detail):
    ((exercise, (status, message)),) = graded["by"][name].items()
    assert (exercise, status) == ("", "error") and message.startswith(detail)


def test_report_table_summary_and_sandbox_line(graded):
    out, err = graded["result"].stdout, graded["result"].stderr
    assert out.splitlines()[0].split() == ["submission", "notebook", "exercise", "status", "detail"]
    assert f"correct.ipynb: 2/2 passed ({LESSON})" in out
    assert "corrupt.ipynb: not graded - cannot read the file" in out
    assert ("sandbox: " in err) != ("WARNING: not sandboxed" in err)


def test_kept_graded_notebooks_hold_the_answers_and_verdicts(graded):
    notebook = nbformat.read(graded["kept"] / "partly_wrong-graded.ipynb", as_version=4)
    sources = [c.source for c in notebook.cells]
    assert any("y * k" in s for s in sources)
    assert any(s.startswith("**Grade:** `failed` — only non-overlapping windows") for s in sources)


def test_shards_on_two_workers_merge_into_the_single_run(graded, tmp_path):
    submissions = sorted(Path(row["submission"]) for row in graded["rows"])
    submissions = [
        p
        for p in dict.fromkeys(submissions)
        if p.name in ("correct.ipynb", "partly_wrong.ipynb", "untouched.ipynb")
    ]
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "convlab",
                "grade",
                *map(str, submissions),
                "--shard",
                f"{i}/2",
                "--csv",
                str(tmp_path / f"shard{i}.csv"),
                "--timeout",
                "20",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i in (1, 2)
    ]
    assert [worker.wait(timeout=300) for worker in workers] == [0, 0]
    merged = tmp_path / "all.csv"
    assert (
        grade.main(
            ["--merge", str(merged), str(tmp_path / "shard1.csv"), str(tmp_path / "shard2.csv")]
        )
        == 0
    )
    with open(merged, newline="") as handle:
        rows = list(csv.DictReader(handle))
    single = [row for row in graded["rows"] if Path(row["submission"]) in submissions]
    assert sorted(map(json.dumps, rows)) == sorted(map(json.dumps, single))


def test_merge_refuses_a_file_that_is_not_a_grade_csv(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match=r"merge: .*bad.csv is not a convlab grade CSV"):
        grade.merge([bad], tmp_path / "out.csv")


def test_another_lesson_is_graded_against_its_own_exercises(tmp_path):
    notebook = nbformat.read(COURSE / "02_padding_and_stride.ipynb", as_version=4)
    with_answers(notebook, dropped_cells=EXERCISES["dropped_cells"].solution)
    lesson, answers = grade.read_answers(save(tmp_path, "x.ipynb", notebook))
    assert lesson == "02_padding_and_stride" and set(answers) == {"dropped_cells", "same_padding"}


def test_usage_errors(tmp_path):
    from convlab.__main__ import main

    assert main([]) == 2
    with pytest.raises(SystemExit):
        grade.main(["x.ipynb", "--jobs", "0"])
    with pytest.raises(SystemExit):
        grade.main(["x.ipynb", "--shard", "3/2"])
    with pytest.raises(SystemExit):
        grade.main([])
    assert exercises.names("04_pooling") == list(SOLUTION)
