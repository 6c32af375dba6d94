"""Binder's configuration: in step with the package's dependencies, and accepted by repo2docker."""

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BINDER = ROOT / "binder"


def name_and_spec(requirement):
    match = re.fullmatch(r"([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*(.*)", requirement.strip())
    return match[1].lower().replace("_", "-"), match[2].replace(" ", "")


def binder_requirements():
    lines = (BINDER / "requirements.txt").read_text().splitlines()
    return dict(name_and_spec(line) for line in lines if line.strip() and not line.startswith("#"))


def test_binder_installs_exactly_the_course_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = dict(
        map(name_and_spec, project["dependencies"] + project["optional-dependencies"]["course"])
    )
    binder = binder_requirements()
    # The one intended difference: the CPU-only TensorFlow build, same version range.
    assert binder.pop("tensorflow-cpu") == wanted.pop("tensorflow")
    assert binder == wanted


def test_python_version_matches_environment_yml():
    runtime = (BINDER / "runtime.txt").read_text().strip()
    environment = (ROOT / "environment.yml").read_text()
    assert runtime == "python-3.11"
    assert "python=3.11" in environment
    assert "-e .[course" in environment  # conda users get the same extras, from pyproject.toml


def test_scripts_are_executable_and_strict():
    post_build, start = BINDER / "postBuild", BINDER / "start"
    assert post_build.stat().st_mode & 0o111 and start.stat().st_mode & 0o111
    assert "set -e" in post_build.read_text() and "pip install" in post_build.read_text()
    assert "TF_CPP_MIN_LOG_LEVEL=3" in start.read_text() and 'exec "$@"' in start.read_text()


def test_readme_badge_opens_the_first_notebook():
    readme = (ROOT / "README.md").read_text()
    badge = re.search(
        r"\[!\[launch binder\]\(https://mybinder.org/badge_logo.svg\)\]\((\S+)\)", readme
    )
    assert badge, "README needs a launch-binder badge"
    assert badge[1].endswith("?urlpath=lab/tree/course/00_welcome.ipynb")


def test_repo2docker_accepts_the_configuration(tmp_path):
    repo2docker = shutil.which("repo2docker", path=str(Path(sys.executable).parent))
    if repo2docker is None:
        pytest.fail("repo2docker is missing: `make test` installs it with the test extras")
    result = subprocess.run(
        [
            repo2docker,
            "--no-build",
            "--no-run",
            "--debug",
            "--user-id",
            "1000",
            "--user-name",
            "jovyan",
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    dockerfile = result.stdout + result.stderr
    assert "Building conda environment for python=3.11" in dockerfile
    assert 'pip install --no-cache-dir -r "binder/requirements.txt"' in dockerfile
    assert "./binder/postBuild" in dockerfile and "binder/start" in dockerfile
