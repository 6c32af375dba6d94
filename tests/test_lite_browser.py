"""The course in the browser with nothing installed: the offline JupyterLite site in Chromium.

Builds the offline site with `make lite-offline` (as CI does), serves it on 127.0.0.1,
and drives Debian's Chromium with Playwright, in a fresh browser profile (JupyterLite
keeps settings and workspaces in the browser, so nothing of the user's is read): opens
notebooks 01 and 02, runs all cells, checks that no cell shows an error and that
figures appear, changes a widget and checks that its picture changes, writes a wrong
and a right answer into an exercise and reads the verdicts, and checks that no request
left 127.0.0.1. Screenshots and the build log go to test-artifacts/. Skipped without
/usr/bin/chromium, unless CONVLAB_REQUIRE_BROWSER is set (as in CI).

The page is read through the few selectors in SELECTORS (JupyterLab's notebook, and
widgets found by their description text), so a change of the widgets' layout touches
one place.
"""

import json
import os
import re
import subprocess
import threading
from pathlib import Path

import pytest
from test_browser import CHROMIUM, CHROMIUM_ARGS

from convlab import lite

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
SITE = ROOT / "build" / "lite" / "site"

SELECTORS = {
    "notebook": ".jp-Notebook",
    "kernel_idle": ".jp-StatusBar-TextItem:has-text('Python (Pyodide) | Idle')",
    "menu": ".lm-MenuBar-itemLabel",
    "menu_item": ".lm-Menu-itemLabel",
    "busy_prompt": ".jp-InputArea-prompt:has-text('[*]')",
    "code_cell": ".jp-CodeCell",
    "editor": ".cm-content",
    "output": ".jp-OutputArea-output",
    "stderr": ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
    "figure": ".jp-OutputArea-output img",
    "widget_picture": ".jupyter-widgets img",
    "widget_text": ".widget-html",
    "dropdown": ".widget-dropdown",  # with its description text
    "slider": ".widget-slider",  # with its description text
    "slider_track": ".noUi-target",
    "slider_readout": ".widget-readout",
}
# What matplotlib prints (to stderr) the first time it loads in a fresh Pyodide: not an error.
BENIGN_STDERR = {"Matplotlib is building the font cache; this may take a moment."}
# The tests' own JupyterLab settings: render every cell, not only those on screen.
TEST_SETTINGS = {"@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"}}

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not os.environ.get("CONVLAB_REQUIRE_BROWSER"),
    reason=f"{CHROMIUM} not installed (apt-get install chromium)",
)


@pytest.fixture(scope="module")
def site():
    """`make lite-offline` itself; its log is kept in test-artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / "lite-build.log"
    with open(log, "w") as out:
        done = subprocess.run(
            ["make", "--no-print-directory", "lite-offline"],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    if done.returncode:
        pytest.fail(f"make lite-offline failed: {log.read_text()[-3000:]}")
    return SITE


@pytest.fixture(scope="module")
def base(site):
    server = lite.serve(site, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def page(base):
    """A page in a fresh Chromium profile; afterwards, no request may have left 127.0.0.1."""
    from playwright.sync_api import sync_playwright

    requests = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.on("request", lambda request: requests.append(request.url))

        def with_test_settings(route):
            response = route.fetch()
            config = response.json()
            overrides = config["jupyter-config-data"].setdefault("settingsOverrides", {})
            overrides.update(TEST_SETTINGS)
            route.fulfill(response=response, json=config)

        context.route(re.compile(r".*/jupyter-lite\.json$"), with_test_settings)
        try:
            yield context.new_page()
        finally:
            browser.close()
    assert requests, "the browser made no requests at all"
    outside = [u for u in requests if not u.startswith((base + "/", "data:", "blob:"))]
    assert not outside, f"requests left 127.0.0.1: {outside[:5]}"


def open_notebook(page, base, name):
    from playwright.sync_api import expect

    page.goto(f"{base}/lab/index.html?path={name}")
    page.locator(SELECTORS["notebook"]).first.wait_for(timeout=120_000)
    expect(page.locator(SELECTORS["kernel_idle"])).to_have_count(1, timeout=180_000)


def run_all(page):
    from playwright.sync_api import expect

    page.locator(SELECTORS["menu"], has_text="Run").first.click()
    page.locator(SELECTORS["menu_item"], has_text=re.compile(r"^Run All Cells$")).click()
    expect(page.locator(SELECTORS["busy_prompt"]).first).to_be_visible(timeout=30_000)
    expect(page.locator(SELECTORS["busy_prompt"])).to_have_count(0, timeout=300_000)


def assert_no_errors(page):
    shown = [e.inner_text().strip() for e in page.locator(SELECTORS["stderr"]).all()]
    assert set(shown) <= BENIGN_STDERR, f"a cell shows an error: {shown}"


def write_and_run(page, cell, code):
    """Replace a code cell's text as a learner would, run it and the cell after it."""
    cell.scroll_into_view_if_needed()
    cell.locator(SELECTORS["editor"]).click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(code)
    page.keyboard.press("Shift+Enter")
    page.keyboard.press("Shift+Enter")


def screenshot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


def test_offline_site_bundles_verified_files(site):
    pyodide = site / "static" / "pyodide"
    packages = json.loads((pyodide / "pyodide-lock.json").read_text())["packages"]
    needed = lite.closure(packages, [*lite.KERNEL_PACKAGES, "convlab"])
    assert {"numpy", "matplotlib", "ipywidgets", "comm", "convlab", "ipython"} <= set(needed)
    for name in needed:
        entry = packages[name]
        assert "/" not in entry["file_name"], f"{name} is not bundled"
        assert lite.sha256(pyodide / entry["file_name"]) == entry["sha256"], name
    assert packages["convlab"]["depends"] == ["numpy", "matplotlib", "threadpoolctl", "ipywidgets"]
    others = [e["file_name"] for n, e in packages.items() if n not in needed]
    assert others and all(f.startswith(lite.PYODIDE_CDN) for f in others)
    config = json.loads((site / "jupyter-lite.json").read_text())["jupyter-config-data"]
    settings = config["litePluginSettings"][lite.KERNEL_PLUGIN]
    assert settings["disablePyPIFallback"] is True
    assert settings["pyodideUrl"] == "./static/pyodide/pyodide.js"
    assert "00_welcome.ipynb" in (site / "index.html").read_text()


def test_notebook_01_runs_and_its_playground_redraws(page, base):
    from playwright.sync_api import expect

    try:
        open_notebook(page, base, "01_sliding_windows.ipynb")
        run_all(page)
        assert_no_errors(page)
        assert page.locator(SELECTORS["figure"]).count() >= 5  # photo, kernels, filtered, ...

        picture = page.locator(SELECTORS["widget_picture"]).first
        expect(picture).to_have_attribute("src", re.compile("^(blob|data):"), timeout=60_000)
        before = picture.get_attribute("src")
        kernel = page.locator(SELECTORS["dropdown"], has_text="kernel").locator("select")
        kernel.scroll_into_view_if_needed()
        kernel.select_option("sobel_x")
        label = page.locator(SELECTORS["widget_text"], has_text="Weights sum to")
        expect(label).to_contain_text("Weights sum to 0", timeout=30_000)
        expect(picture).not_to_have_attribute("src", before, timeout=30_000)
        assert_no_errors(page)
    finally:
        screenshot(page, "lite-01-sliding-windows.png")


def test_notebook_02_explorer_and_exercise(page, base):
    from playwright.sync_api import expect

    try:
        open_notebook(page, base, "02_padding_and_stride.ipynb")
        run_all(page)
        assert_no_errors(page)
        label = page.locator(SELECTORS["widget_text"], has_text="formula")
        # It opens on 8 cells padded by 1, a 3x3 kernel at stride 2: 4 outputs.
        expect(label).to_contain_text("/ 2) + 1 = 4", timeout=30_000)
        picture = page.locator(SELECTORS["widget_picture"]).first
        before = picture.get_attribute("src")

        # Stride 2 -> 3: click the slider's track two thirds along (its range is 1 to 4).
        slider = page.locator(SELECTORS["slider"], has_text="stride s")
        slider.scroll_into_view_if_needed()
        track = slider.locator(SELECTORS["slider_track"]).bounding_box()
        page.mouse.click(track["x"] + track["width"] * 2 / 3, track["y"] + track["height"] / 2)
        expect(slider.locator(SELECTORS["slider_readout"])).to_have_text("3", timeout=30_000)
        expect(label).to_contain_text("/ 3) + 1 = 3", timeout=30_000)
        expect(picture).not_to_have_attribute("src", before or "", timeout=30_000)
        screenshot(page, "lite-02-explorer.png")

        exercise = page.locator(SELECTORS["code_cell"], has_text="def same_padding(n, k, s, d)")
        check = page.locator(
            SELECTORS["code_cell"], has_text='exercises.check("same_padding", same_padding)'
        )
        verdict = check.locator(SELECTORS["output"])
        expect(verdict).to_contain_text("same_padding: not attempted")
        body = (
            "    out = -(-n // s)\n"
            "    total = max((out - 1) * s + {k} - n, 0)\n"
            "    return total // 2, total - total // 2"
        )
        wrong = "def same_padding(n, k, s, d):\n" + body.format(k="k")  # forgets the dilation
        write_and_run(page, exercise, wrong)
        expect(verdict).to_contain_text(
            "[x] same_padding: failed - the dilation is ignored", timeout=30_000
        )
        right = "def same_padding(n, k, s, d):\n" + body.format(k="(k + (k - 1) * (d - 1))")
        write_and_run(page, exercise, right)
        expect(verdict).to_contain_text("[ok] same_padding: passed", timeout=30_000)
        assert_no_errors(page)
    finally:
        screenshot(page, "lite-02-padding-and-stride.png")
