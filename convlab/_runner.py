"""Run one learner's exercise cell and report the values it computes (for ``convlab grade``).

``convlab grade`` starts this in a sandbox (see :mod:`convlab.sandbox`), one process per
exercise, with a JSON job on standard input::

    {"exercise": "max_pool", "source": "def max_pool(image, k, s): ..."}

It executes the cell in a namespace holding what the notebooks import for their
exercises (``np``, ``convlab``), calls the function on the exercise's cases with
:func:`convlab.exercises.run`, and writes the attempt as JSON to the pipe whose file
descriptor the grader put in ``CONVLAB_RESULT_FD``. Nothing here decides a verdict:
the grader reads only the plain values back and judges them itself. What the
learner's code prints goes to a log the grader caps and ignores.
"""

from __future__ import annotations

import json
import os
import sys


def _emit(fd: int, data: dict) -> None:
    payload = json.dumps(data).encode()
    while payload:
        payload = payload[os.write(fd, payload) :]


def main() -> None:
    fd = int(os.environ.pop("CONVLAB_RESULT_FD"))
    job = json.loads(sys.stdin.read())
    name, source = job["exercise"], job["source"]

    import numpy as np

    import convlab
    from convlab import exercises

    namespace = {"__name__": "__main__", "np": np, "convlab": convlab}
    try:
        code = compile(source, "<exercise cell>", "exec")
    except (SyntaxError, ValueError) as error:
        _emit(fd, {"status": "cell error", "error": f"{type(error).__name__}: {error}"})
        return
    try:
        exec(code, namespace)
    except BaseException as error:  # noqa: BLE001 - the learner's cell: report whatever it raised
        _emit(fd, {"status": "cell error", "error": f"{type(error).__name__}: {error}"})
        return
    function = namespace.get(name)
    if function is None:
        _emit(fd, {"status": "cell error", "error": f"the cell does not define `{name}`"})
        return
    try:
        attempt = exercises.run(name, function)
    except BaseException as error:  # noqa: BLE001 - SystemExit, KeyboardInterrupt from the answer
        _emit(fd, {"status": "error", "error": f"{type(error).__name__}: {error}"})
        return
    _emit(fd, attempt.as_dict())


if __name__ == "__main__":
    main()
