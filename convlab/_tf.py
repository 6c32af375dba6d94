"""Import TensorFlow without its C++ start-up messages."""

from __future__ import annotations

import contextlib
import os


@contextlib.contextmanager
def _quiet_stderr_fd():
    """Point file descriptor 2 at /dev/null for the duration (Python's sys.stderr is untouched)."""
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def import_tensorflow():
    """Import and return TensorFlow, silencing the C++ log lines it prints while loading.

    TensorFlow's native libraries write timestamped start-up messages ("oneDNN custom
    operations are on", "Could not find cuda drivers") straight to the process's
    stderr, before ``TF_CPP_MIN_LOG_LEVEL`` takes effect. In a notebook they would
    appear in a cell's output and differ on every run. Python-level warnings and
    errors still show. Later native log lines follow ``TF_CPP_MIN_LOG_LEVEL``, which
    this sets to 3 (fatal only; failures still raise Python exceptions) unless it is
    already set.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with _quiet_stderr_fd():
        import tensorflow

    return tensorflow
