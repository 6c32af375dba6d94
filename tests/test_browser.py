"""The course in a real browser: `make lab`, then notebook 02 in Chromium driven by Playwright.

Starts JupyterLab with `make lab` on 127.0.0.1 with token authentication, opens the
padding-and-stride notebook, runs all cells, moves the convolution explorer's stride
slider, and checks that the output size and the picture change and that no cell shows
an error. A screenshot is kept in test-artifacts/. Needs Debian's /usr/bin/chromium
(`.ci/run` installs it); without it the test is skipped, unless CONVLAB_REQUIRE_BROWSER
is set (as in CI), where it fails.
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


@pytest.fixture(scope="module")
def lab():
    """`make lab` itself, on a free port with a known token; yields (base url, token, opened-url file)."""
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
        f"--ServerApp.use_redirect_file=False --ServerApp.browser='{recorder} %s'" + root_args()
    )
    base = f"http://127.0.0.1:{port}"
    server = start(
        ["make", "--no-print-directory", "lab", f"LAB_ARGS={args}"],
        ROOT,
        ARTIFACTS / "make-lab.log",
        base,
        token,
    )
    try:
        yield base, token, opened
    finally:
        stop(server)


@pytest.fixture(scope="module")
def lab_on_a_copy(tmp_path_factory):
    """JupyterLab on a copy of course/ (the browser may save notebooks), settings for testing."""
    folder = tmp_path_factory.mktemp("lab")
    course = folder / "course"
    shutil.copytree(ROOT / "course", course, ignore=shutil.ignore_patterns("models"))
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
    env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(settings)}
    ARTIFACTS.mkdir(exist_ok=True)
    server = start(command, course, ARTIFACTS / "jupyterlab.log", base, token, env)
    try:
        yield base, token
    finally:
        stop(server)


def test_make_lab_keeps_token_auth_and_opens_the_first_notebook(lab):
    base, token, opened = lab
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{base}/api/contents", timeout=5)
    assert refused.value.code == 403
    contents = (
        urllib.request.urlopen(f"{base}/api/contents?token={token}", timeout=5).read().decode()
    )
    assert "00_welcome.ipynb" in contents  # the server's root is course/
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
            expect(label).to_contain_text("= 3", timeout=30_000)  # 7 cells, 3x3 kernel, stride 2
            before_text = label.inner_text()
            picture = page.locator(".jupyter-widgets img").first
            before_picture = picture.get_attribute("src")

            slider = page.locator(".widget-slider", has_text="stride s")
            slider.locator(".noUi-handle").focus()
            page.keyboard.press("ArrowRight")  # stride 2 -> 3

            expect(slider.locator(".widget-readout")).to_have_text("3", timeout=30_000)
            expect(label).to_contain_text("/ 3) + 1 = 2", timeout=30_000)
            assert "TensorFlow's actual output: 2" in label.inner_text()
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
        finally:
            page.screenshot(
                path=str(ARTIFACTS / "browser-02-padding-and-stride.png"), full_page=False
            )
            browser.close()
