"""How long the browser edition takes: page load -> kernel ready -> notebook 01 fully run.

Serves the built offline site (`make lite-offline` first) on 127.0.0.1 and opens
notebook 01 in Debian's Chromium (Playwright), each run in a fresh browser profile,
as a learner's first visit: it measures, from the start of the navigation, the time
until the Pyodide kernel is ready (JupyterLab's status bar says "Idle") and until
*Run All Cells* has run every cell. Then it opens the notebook again in the same
profile (a returning visit, files in the browser's cache). It prints medians, the
bytes a first visit downloads (as stored, and gzip-compressed as a web server would
send them), and as a reference the same Lite notebook run by a local CPython kernel
(nbclient) in this process.

    python benchmarks/lite.py [--runs 3]
"""

import argparse
import gzip
import re
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import machine  # noqa: E402  (benchmarks/machine.py)

from convlab import course, lite  # noqa: E402

SITE = ROOT / "build" / "lite" / "site"
NOTEBOOK = "01_sliding_windows.ipynb"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def visit(page, base):
    """Open notebook 01, wait for the kernel, run all cells: (kernel ready s, all run s)."""
    from playwright.sync_api import expect

    start = time.perf_counter()
    page.goto(f"{base}/lab/index.html?path={NOTEBOOK}")
    status = page.locator(".jp-StatusBar-TextItem:has-text('Python (Pyodide) | Idle')")
    expect(status).to_have_count(1, timeout=300_000)
    ready = time.perf_counter() - start
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
    prompts = page.locator(".jp-InputArea-prompt")
    expect(prompts.filter(has_text="[*]").first).to_be_visible(timeout=60_000)
    expect(prompts.filter(has_text="[*]")).to_have_count(0, timeout=600_000)
    expect(prompts.filter(has_text="[ ]")).to_have_count(0, timeout=60_000)  # none left unrun
    return ready, time.perf_counter() - start


def browser_runs(base, runs):
    from playwright.sync_api import sync_playwright

    first, again, fetched = [], [], set()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for run in range(runs):
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            if run == 0:
                context.on("request", lambda r: fetched.add(urlparse(r.url).path))
            first.append(visit(context.new_page(), base))
            again.append(visit(context.new_page(), base))
            context.close()
            print(
                f"run {run + 1}: first visit {first[-1][0]:.1f} s to kernel ready, "
                f"{first[-1][1]:.1f} s to all run; returning {again[-1][0]:.1f} s, "
                f"{again[-1][1]:.1f} s",
                flush=True,
            )
        browser.close()
    return first, again, fetched


def download_size(fetched):
    files = [SITE / path.lstrip("/") for path in fetched]
    files = [f if f.is_file() else f / "index.html" for f in files]
    files = [f for f in files if f.is_file()]
    raw = sum(f.stat().st_size for f in files)
    packed = sum(len(gzip.compress(f.read_bytes(), 6)) for f in files)
    return raw, packed, len(files)


def cpython_reference(tmp):
    """The same Lite notebook, run by a local CPython kernel: (start + run) seconds."""
    from nbclient import NotebookClient

    (source,) = [s for s in course.sources(ROOT / "course") if s.stem.startswith("01")]
    notebook = course.edition(source, "lite")
    start = time.perf_counter()
    NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp)}}
    ).execute()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not (
        SITE / "static" / "pyodide" / "numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl"
    ).exists():
        sys.exit("build the offline site first: make lite-offline")
    server = lite.serve(SITE, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    print(f"CPU: {machine.cpu_model_and_flags()[0]}; Chromium {CHROMIUM}; site {SITE}")
    first, again, fetched = browser_runs(base, args.runs)
    server.shutdown()
    reference = statistics.median(cpython_reference(ROOT / "build") for _ in range(args.runs))
    raw, packed, count = download_size(fetched)
    size, files = lite.site_size(SITE)
    ready, run = (statistics.median(t[i] for t in first) for i in (0, 1))
    ready_again, run_again = (statistics.median(t[i] for t in again) for i in (0, 1))
    print(f"\nmedians of {args.runs} runs, notebook 01 ({NOTEBOOK}):")
    print(f"  first visit:     kernel ready {ready:.1f} s, all cells run {run:.1f} s")
    print(f"  returning visit: kernel ready {ready_again:.1f} s, all cells run {run_again:.1f} s")
    print(
        f"  CPython kernel (nbclient, same notebook): start and run {reference:.1f} s; "
        f"browser / CPython, run part: {(run - ready) / reference:.1f}x"
    )
    print(
        f"  first visit downloads {count} files, {raw / 2**20:.1f} MiB "
        f"({packed / 2**20:.1f} MiB gzip-compressed)"
    )
    print(f"  site: {size / 2**20:.1f} MiB in {files:,} files")


if __name__ == "__main__":
    main()
