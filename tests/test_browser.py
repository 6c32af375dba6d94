"""The course in a real browser: `make lab`, then notebook 02 in Chromium driven by Playwright.

Starts JupyterLab with `make lab` on 127.0.0.1 with token authentication (as root too:
the Makefile adds --allow-root only for user id 0), checks the learner's own copy of the
course it opens, then opens the padding-and-stride notebook, runs all cells, moves the
convolution explorer's stride slider, and checks that the output size and the picture
change, that no cell shows an error, and that the controls stay usable in a 1024-pixel
window with the file browser open. Every JupyterLab started here uses its own settings
and workspace folders, never the user's (a saved workspace would open other notebooks).
Screenshots are kept in test-artifacts/. Needs Debian's /usr/bin/chromium (`.ci/run`
installs it); without it the test is skipped, unless CONVLAB_REQUIRE_BROWSER is set (as
in CI), where it fails.
"""

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
# Flags for a sandboxed machine with no network beyond localhost.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not os.environ.get("CONVLAB_REQUIRE_BROWSER"),
    reason=f"{CHROMIUM} not installed (apt-get install chromium)",
)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(command, cwd, log_path, base, token, env=None):
    """Start a JupyterLab server and wait until it answers; returns the process."""
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    for _ in range(240):
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
            return server
        except (urllib.error.URLError, ConnectionError, OSError):
            if server.poll() is not None:
                pytest.fail(f"the server exited: {log_path.read_text()[-2000:]}")
            time.sleep(0.5)
    stop(server)
    pytest.fail(f"JupyterLab did not start: {log_path.read_text()[-2000:]}")


def stop(server):
    os.killpg(server.pid, 15)
    server.wait(timeout=30)


def root_args():
    return " --allow-root" if os.geteuid() == 0 else ""  # CI runs as root; Jupyter refuses without


def private_jupyter(folder):
    """Environment for a JupyterLab that ignores the user's saved settings and workspaces.

    A fake home holds a saved workspace that would open 03_channels.ipynb next to the
    notebook under test: if the server ever read the user's folders again, the test would
    see a second notebook and fail, as it once did on a machine where JupyterLab was used.
    """
    home = folder / "home"
    saved = home / ".jupyter" / "lab" / "workspaces" / "default-37a8.jupyterlab-workspace"
    saved.parent.mkdir(parents=True, exist_ok=True)
    saved.write_text(
        json.dumps(
            {
                "data": {
                    "notebook:03_channels.ipynb": {
                        "data": {"path": "03_channels.ipynb", "factory": "Notebook"}
                    }
                },
                "metadata": {"id": "default"},
            }
        )
    )
    (folder / "workspaces").mkdir(exist_ok=True)
    (folder / "settings").mkdir(exist_ok=True)
    return {
        **os.environ,
        "HOME": str(home),
        "JUPYTERLAB_SETTINGS_DIR": str(folder / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(folder / "workspaces"),
    }


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """`make lab` itself, on a free port with a known token; yields (base, token, opened-url file, work)."""
    folder = tmp_path_factory.mktemp("make-lab")
    work = folder / "my-course"
    work.mkdir()
    # A learner's earlier work: make lab must keep it and add the other notebooks.
    (work / "00_welcome.ipynb").write_text(LEARNERS_WORK)
    port, token = free_port(), secrets.token_hex(16)
    ARTIFACTS.mkdir(exist_ok=True)
    # Instead of a real browser, `make lab` "opens" its start page with a script that
    # records the URL, so the test sees exactly where a learner's browser would land.
    opened = ARTIFACTS / "opened-url.txt"
    opened.unlink(missing_ok=True)
    recorder = ARTIFACTS / "record-url.sh"
    recorder.write_text(f'#!/bin/sh\necho "$1" > {opened}\n')
    recorder.chmod(0o755)
    args = (
        f"--ip=127.0.0.1 --port={port} --IdentityProvider.token={token} --ServerApp.port_retries=0 "
        f"--ServerApp.use_redirect_file=False --ServerApp.browser='{recorder} %s'"
    )  # no --allow-root: the Makefile adds it when it runs as root
    base = f"http://127.0.0.1:{port}"
    server = start(
        ["make", "--no-print-directory", "lab", f"LAB_ARGS={args}", f"WORK={work}"],
        ROOT,
        ARTIFACTS / "make-lab.log",
        base,
        token,
        env=private_jupyter(folder),
    )
    try:
        yield base, token, opened, work
    finally:
        stop(server)


@pytest.fixture(scope="module")
def lab_on_a_copy(tmp_path_factory):
    """JupyterLab on a copy of course/ (the browser may save notebooks), settings for testing."""
    folder = tmp_path_factory.mktemp("lab")
    course = folder / "course"
    shutil.copytree(ROOT / "course", course, ignore=shutil.ignore_patterns("models"))
    env = private_jupyter(folder)
    settings = folder / "settings"
    for plugin, values in {
        # Render every cell, not only those on screen, so widgets further down exist in the page.
        "notebook-extension/tracker": {"windowingMode": "none", "autoStartDefaultKernel": True},
        "docmanager-extension/plugin": {"autosave": False},
        "apputils-extension/notification": {"fetchNews": "false"},
    }.items():
        path = settings / "@jupyterlab" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    port, token = free_port(), secrets.token_hex(16)
    base = f"http://127.0.0.1:{port}"
    command = [
        str(Path(sys.executable).parent / "jupyter"),
        "lab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        f"--IdentityProvider.token={token}",
        "--ServerApp.port_retries=0",
        *root_args().split(),
    ]
    ARTIFACTS.mkdir(exist_ok=True)
    server = start(command, course, ARTIFACTS / "jupyterlab.log", base, token, env)
    try:
        yield base, token
    finally:
        stop(server)


LEARNERS_WORK = json.dumps(
    {"cells": [], "metadata": {"learner": "my answers"}, "nbformat": 4, "nbformat_minor": 5}
)


def test_make_lab_opens_the_learners_own_copy_and_keeps_their_work(lab):
    _, _, _, work = lab
    assert (work / "00_welcome.ipynb").read_text() == LEARNERS_WORK  # never overwritten
    copied = sorted(p.name for p in work.glob("[0-9]*.ipynb"))
    assert copied == sorted(p.name for p in (ROOT / "course").glob("[0-9]*.ipynb"))
    log = (ARTIFACTS / "make-lab.log").read_text()
    assert f"Your notebooks are in {work}/" in log
    if os.geteuid() == 0:
        assert "--allow-root" in log


def test_make_lab_keeps_token_auth_and_opens_the_first_notebook(lab):
    base, token, opened, _ = lab
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{base}/api/contents", timeout=5)
    assert refused.value.code == 403
    contents = (
        urllib.request.urlopen(f"{base}/api/contents?token={token}", timeout=5).read().decode()
    )
    assert "00_welcome.ipynb" in contents  # the server's root is the learner's copy
    for _ in range(60):
        if opened.exists():
            break
        time.sleep(0.5)
    assert opened.read_text().strip() == f"{base}/lab/tree/00_welcome.ipynb?token={token}"


def test_explorer_follows_its_stride_slider_in_chromium(lab_on_a_copy):
    from playwright.sync_api import expect, sync_playwright

    base, token = lab_on_a_copy
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.goto(f"{base}/lab/tree/02_padding_and_stride.ipynb?token={token}")
            page.locator(".jp-Notebook").first.wait_for(timeout=60_000)
            dialog = page.locator(".jp-Dialog", has_text="Select Kernel")
            try:  # JupyterLab may still ask which kernel to start: the notebook's own
                dialog.locator(".jp-mod-accept").click(timeout=5_000)
            except Exception:  # noqa: BLE001 - no dialog: the kernel started by itself
                pass
            expect(
                page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")
            ).to_have_count(1, timeout=60_000)

            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()

            label = page.locator(".widget-html", has_text="TensorFlow's actual output")
            expect(label).to_have_count(1, timeout=120_000)
            label.scroll_into_view_if_needed()
            # It opens on 8 cells padded by 1, a 3x3 kernel at stride 2: 4 outputs.
            expect(label).to_contain_text("/ 2) + 1 = 4", timeout=30_000)
            before_text = label.inner_text()
            picture = page.locator(".jupyter-widgets img").first
            before_picture = picture.get_attribute("src")

            slider = page.locator(".widget-slider", has_text="stride s")
            slider.locator(".noUi-handle").focus()
            page.keyboard.press("ArrowRight")  # stride 2 -> 3

            expect(slider.locator(".widget-readout")).to_have_text("3", timeout=30_000)
            expect(label).to_contain_text("/ 3) + 1 = 3", timeout=30_000)
            assert "TensorFlow's actual output: 3" in label.inner_text()
            assert label.inner_text() != before_text
            expect(picture).not_to_have_attribute("src", before_picture or "", timeout=30_000)

            # Every cell ran (no prompt left empty) and none shows an error.
            expect(page.locator(".jp-InputArea-prompt", has_text="[*]")).to_have_count(
                0, timeout=120_000
            )
            assert (
                page.locator(
                    ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
                ).count()
                == 0
            )
            assert (
                page.locator(
                    ".jp-RenderedText[data-mime-type='application/vnd.jupyter.stderr']"
                ).count()
                == 0
            )
            page.screenshot(path=str(ARTIFACTS / "browser-02-padding-and-stride.png"))

            # A 1024-pixel window with the file browser open: the controls wrap onto more
            # lines instead of squeezing the slider tracks to a few pixels.
            page.set_viewport_size({"width": 1024, "height": 800})
            files = page.locator("#filebrowser")
            if not files.is_visible():
                page.locator(".jp-SideBar [data-id='filebrowser']").first.click()
            expect(files).to_be_visible(timeout=10_000)
            slider.scroll_into_view_if_needed()
            page.wait_for_timeout(500)  # let the layout settle
            tracks = page.locator(".widget-slider .noUi-target")
            widths = [tracks.nth(i).bounding_box()["width"] for i in range(tracks.count())]
            assert len(widths) == 7 and min(widths) >= 100, widths  # seven sliders
            box = picture.bounding_box()
            area = page.locator(".jp-NotebookPanel").first.bounding_box()
            assert box["width"] <= area["width"], (box, area)  # the picture fits the page
        finally:
            page.screenshot(path=str(ARTIFACTS / "browser-02-final.png"), full_page=False)
            browser.close()
