"""A pytest plugin for grading: records each nbval cell's outcome and fresh outputs as JSON.

Loaded by ``convlab grade`` with ``-p convlab._nbval_report`` and the path in the
``CONVLAB_GRADE_REPORT`` environment variable; not meant for other use.
"""

from __future__ import annotations

import json
import os

import pytest

_RESULTS: list[dict] = []


def _text(outputs) -> str:
    parts = []
    for output in outputs or []:
        if output.get("output_type") == "stream":
            parts.append(output.get("text", ""))
        elif "data" in output:
            parts.append(output["data"].get("text/plain", ""))
        elif output.get("output_type") == "error":
            parts.append(f"{output.get('ename')}: {output.get('evalue')}")
    return "\n".join(parts)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if call.when != "call" or not hasattr(item, "cell_num"):
        return
    # nbval's message: "Cell outputs differ", "Cell execution caused an exception", a timeout.
    error = str(call.excinfo.value) if call.excinfo is not None else ""
    _RESULTS.append(
        {
            "cell": item.cell_num,
            "passed": report.passed,
            "timed_out": bool(getattr(item.parent, "timed_out", False)),
            "output": _text(getattr(item, "test_outputs", None)),
            "error": error,
        }
    )


def pytest_sessionfinish(session, exitstatus):
    path = os.environ.get("CONVLAB_GRADE_REPORT")
    if path:
        with open(path, "w") as handle:
            json.dump(_RESULTS, handle)
