"""Run a command in a throwaway box, for code nobody vouches for (learners' answers).

Inside the box (Linux, made with bubblewrap or util-linux ``unshare``, whichever
works here; both come from the distribution's packages):

* no network (a network namespace of its own, with nothing in it);
* the whole file system read-only, the project and the course included;
* a private, empty, writable ``/tmp`` (also ``HOME`` and the working directory),
  and an empty ``/dev/shm``;
* folders given as ``hidden`` replaced by empty ones, so that the submissions'
  folder and the grader's own files cannot even be read;
* the running Python, its environment and convlab visible (read-only) even when
  they live under ``/tmp``, as a project cloned into ``/tmp`` does;
* its own process ids: killing the box's first process ends everything it started.

:func:`run` adds what the box itself cannot: a memory limit (``RLIMIT_AS``, set before
the box starts and inherited by everything inside), a limit on the size of files
written, and a time limit that ends the whole box.

Without either tool :func:`find_tool` returns None, and :func:`run` runs the command
unboxed (the caller says so, once).
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

__all__ = ["Box", "Outcome", "find_tool", "run"]

TOOLS = ("bwrap", "unshare")

# unshare: make / read-only inside a user + mount namespace, then mount the private parts.
# The new /tmp is filled in /dev/shm first, where the old /tmp is still in sight: kept
# folders under /tmp are bound into it read-only; then it moves onto /tmp.
_UNSHARE_SETUP = r"""
set -e
mount --rbind / /
mount -o remount,bind,ro /
mount -t tmpfs -o size=256m,mode=1777 tmpfs /dev/shm
for kept in $CONVLAB_BOX_KEEP; do
  mkdir -p "/dev/shm${kept#/tmp}"
  mount --rbind "$kept" "/dev/shm${kept#/tmp}"
  mount -o remount,bind,ro "/dev/shm${kept#/tmp}"
done
mount -n --move /dev/shm /tmp
mount -t tmpfs -o size=64m tmpfs /dev/shm
for hidden in $CONVLAB_BOX_HIDDEN; do
  if [ -d "$hidden" ]; then mount -t tmpfs -o size=1k,ro tmpfs "$hidden"; fi
done
unset CONVLAB_BOX_HIDDEN CONVLAB_BOX_KEEP
mount -t proc proc /proc
cd /tmp
exec "$@"
"""


def python_folders() -> tuple[str, ...]:
    """The folders a boxed Python needs that the box's private /tmp would cover:
    the interpreter's prefixes and the folder holding convlab, when inside /tmp."""
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    folders = {sys.prefix, sys.base_prefix, sys.exec_prefix, package_parent}
    folders |= {os.path.realpath(folder) for folder in folders}
    return tuple(sorted(f for f in folders if f.startswith("/tmp/")))


def _works(command: list[str]) -> bool:
    try:
        done = subprocess.run(command, capture_output=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


@functools.cache
def find_tool(preferred: str | None = None) -> str | None:
    """``"bwrap"`` or ``"unshare"`` if it can make a box on this machine, else None.

    Each is tried for real (user namespaces may be switched off, or the tool missing).
    """
    for tool in [preferred] if preferred else TOOLS:
        if tool not in TOOLS or shutil.which(tool) is None:
            continue
        probe = Box(tool=tool).command(["true"])
        if _works(probe):
            return tool
    return None


@dataclass(frozen=True)
class Box:
    """How to box a command: the tool, the folders to hide, and the limits."""

    tool: str | None
    hidden: tuple[str, ...] = ()
    memory_mb: int = 2048
    keep: tuple[str, ...] = field(default_factory=python_folders)
    file_mb: int = 16

    def command(self, argv: list[str]) -> list[str]:
        """``argv`` wrapped so that it runs inside the box (unchanged without a tool)."""
        if self.tool == "bwrap":
            keep = [arg for folder in self.keep for arg in ("--ro-bind", folder, folder)]
            hide = [arg for folder in self.hidden for arg in ("--tmpfs", folder)]
            return [
                "bwrap",
                "--ro-bind", "/", "/",
                "--dev", "/dev",
                "--proc", "/proc",
                "--tmpfs", "/tmp",
                "--tmpfs", "/dev/shm",
                *keep,
                *hide,
                "--unshare-all",  # network, process ids, IPC, hostname, user
                "--die-with-parent",
                "--new-session",
                "--chdir", "/tmp",
                "--setenv", "HOME", "/tmp",
                "--setenv", "TMPDIR", "/tmp",
                "--",
                *argv,
            ]  # fmt: skip
        if self.tool == "unshare":
            return [
                "unshare", "--user", "--map-root-user", "--mount", "--net", "--pid", "--ipc",
                "--uts", "--fork", "--kill-child",
                "sh", "-c", _UNSHARE_SETUP, "box", *argv,
            ]  # fmt: skip
        return list(argv)

    def environment(self, base: dict) -> dict:
        env = {**base, "HOME": "/tmp", "TMPDIR": "/tmp"}
        if self.tool == "unshare":
            env["CONVLAB_BOX_HIDDEN"] = " ".join(self.hidden)
            env["CONVLAB_BOX_KEEP"] = " ".join(self.keep)
        return env

    def limited(self, argv: list[str]) -> list[str]:
        """``argv`` with the memory and file-size limits set first (inherited by the box)."""
        memory, size = self.memory_mb * 2**20, self.file_mb * 2**20
        if shutil.which("prlimit"):
            return ["prlimit", f"--as={memory}", f"--fsize={size}", "--core=0", "--", *argv]
        return [sys.executable, "-I", "-S", "-c", _LIMITS, str(memory), str(size), *argv]


# Without util-linux's prlimit: set the limits in a tiny Python, then become the command.
_LIMITS = (
    "import os, resource, sys\n"
    "memory, size = int(sys.argv[1]), int(sys.argv[2])\n"
    "resource.setrlimit(resource.RLIMIT_AS, (memory, memory))\n"
    "resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))\n"
    "resource.setrlimit(resource.RLIMIT_CORE, (0, 0))\n"
    "os.execvp(sys.argv[3], sys.argv[3:])\n"
)


@dataclass
class Outcome:
    """How a boxed command ended, and what it sent back."""

    returncode: int | None  # None when it was killed for running out of time
    timed_out: bool
    result: bytes  # what it wrote to the result pipe (at most ``max_result`` bytes)
    log: bytes  # the start of what it printed (stdout and stderr)
    seconds: float
    extra: dict = field(default_factory=dict)


def run(box: Box, argv, *, stdin: bytes, timeout: float, env: dict, max_result=32 * 2**20):
    """Run ``argv`` in ``box`` with ``stdin``; kill the whole box after ``timeout`` seconds.

    The command writes its result to the pipe whose file descriptor is in the
    environment variable ``CONVLAB_RESULT_FD`` (a pipe only this call reads); what it
    prints goes to a capped log, so endless printing costs nothing. Returns an
    :class:`Outcome`.
    """
    import threading

    read_end, write_end = os.pipe()
    argv = box.limited(box.command(list(argv)))
    start = time.monotonic()
    process = subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**box.environment(env), "CONVLAB_RESULT_FD": str(write_end)},
        pass_fds=(write_end,),
        start_new_session=True,  # its own process group: killed as a whole
    )
    os.close(write_end)
    chunks = {"result": [], "log": []}

    def drain(read, key, cap):
        kept = 0
        while data := read(65536):
            if kept < cap:
                chunks[key].append(data[: cap - kept])
                kept += len(data)

    def result(n):
        return os.read(read_end, n)

    readers = [
        threading.Thread(target=drain, args=(result, "result", max_result), daemon=True),
        threading.Thread(target=drain, args=(process.stdout.read1, "log", 64 * 1024), daemon=True),
    ]
    for reader in readers:
        reader.start()
    try:
        process.stdin.write(stdin)
        process.stdin.close()
    except OSError:  # it stopped reading (or died) before taking all its input
        pass
    timed_out = False
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
    _kill(process)  # on time-out, and whatever else it left in its process group
    for reader in readers:
        reader.join(timeout=10)
    os.close(read_end)
    return Outcome(
        None if timed_out else process.returncode,
        timed_out,
        b"".join(chunks["result"]),
        b"".join(chunks["log"]),
        time.monotonic() - start,
    )


def _kill(process):
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:  # pragma: no cover - a process that ignores SIGKILL
        pass
