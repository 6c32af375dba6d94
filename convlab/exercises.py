"""The course's exercises: one source of truth for each stub, solution and check.

Every exercise asks the learner to write one function. The notebooks are built
from this registry (see :mod:`convlab.course`): the learner edition gets the
``stub``, the instructor edition the ``solution``, so the two cannot drift.

Checking is split in two, so that a verdict never depends on the learner's code
being honest:

* :func:`run` calls the learner's function on the exercise's cases and keeps only
  the *values* it returned, encoded as plain data (numbers, lists and numeric
  arrays; see :func:`encode`), plus the convlab functions it called;
* :func:`judge` decodes those values strictly (an int must be an int, an array a
  numeric array: an object that claims to equal everything is a failure),
  compares them with the reference computed here, and names the likely mistake.

:func:`check`, which the notebooks call, is ``judge(run(...))`` in one process;
``convlab grade`` runs :func:`run` in the learner's sandboxed kernel and
:func:`judge` in its own process. A verdict shows as one line:

* ``passed`` when every case matches the reference (with a note when the answer
  calls the convlab function the exercise asks you to write);
* ``failed`` with the likely mistake (the kernel is flipped, floor instead of
  ceil, forgot ``return``, right shape but wrong values at a given cell, ...);
* ``not attempted`` while the stub still raises ``NotImplementedError``;
* ``error`` when the function raises anything else.

A learner who is stuck can run ``solution("name")`` to see one way to do it.
"""

from __future__ import annotations

import numbers
import re
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import naive, shapes

__all__ = [
    "EXERCISES",
    "Attempt",
    "Exercise",
    "Verdict",
    "check",
    "decode",
    "encode",
    "judge",
    "names",
    "run",
    "solution",
]

STATUSES = ("passed", "failed", "not attempted", "error")


@dataclass(frozen=True)
class Verdict:
    """The outcome of one check: ``status`` is one of passed, failed, not attempted, error."""

    exercise: str
    status: str
    detail: str

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def __str__(self) -> str:
        return f"{_MARKS[self.status]} {self.exercise}: {self.status} - {self.detail}"

    __repr__ = __str__

    @classmethod
    def find(cls, text: str, exercise: str) -> Verdict | None:
        """The verdict on ``exercise`` in a cell's printed output, if there is one."""
        for match in _LINE.finditer(text):
            if match["name"] == exercise:
                return cls(exercise, match["status"], match["detail"])
        return None


_MARKS = {"passed": "[ok]", "failed": "[x]", "not attempted": "[ ]", "error": "[!]"}
_LINE = re.compile(
    r"^\[(?:ok|x| |!)\] (?P<name>\w+): "
    r"(?P<status>passed|failed|not attempted|error) - (?P<detail>.*)$",
    re.M,
)


@dataclass(frozen=True)
class Case:
    """Arguments for one trial, and what the case is there to catch."""

    args: tuple
    about: str


@dataclass(frozen=True)
class Exercise:
    """One exercise: the function to write, one solution's body, and how to check it.

    ``compare`` is ``"exact"`` (ints and tuples of ints; lists and integer arrays are
    accepted for tuples) or ``"array"`` (numbers or arrays, same shape, equal to
    float32 precision). ``observe``, when given, turns what the function returned
    into what is compared (a kernel into its responses on test images, say).
    ``diagnose`` may name a mistake from the decoded answers before the list of
    known ``mistakes`` is tried. ``library_hint`` is added to a passing verdict
    whose answer called a convlab function the exercise asks the learner to write.
    """

    name: str
    notebook: str
    signature: str
    docstring: str
    body: str
    reference: Callable
    cases: tuple[Case, ...]
    mistakes: tuple[tuple[str, Callable], ...] = field(default=())
    compare: str = "array"
    observe: Callable | None = None
    diagnose: Callable | None = None
    library_hint: str = "the exercise is to write it yourself"

    def _function(self, body: str) -> str:
        return f'def {self.signature}:\n    """{self.docstring}"""\n' + textwrap.indent(
            body, "    "
        )

    @property
    def stub(self) -> str:
        """What the learner edition shows: the signature, the task, NotImplementedError."""
        return self._function("# Your code here.\nraise NotImplementedError")

    @property
    def solution(self) -> str:
        """What the instructor edition shows in the same cell."""
        return self._function(self.body)


# ------------------------------------------------------------------ values as plain data
_MAX_ELEMENTS = 1_000_000


def encode(value, _depth=0):
    """A returned value as plain JSON-able data that cannot run code when read back.

    ``None``, bools, ints, floats and strings stay themselves (tagged with their
    kind); tuples and lists become sequences; NumPy arrays of numbers become
    ``{"kind": "array", "dtype", "shape", "data"}``. Anything else is recorded only
    by its type's name, so a learner's object never reaches the judge.
    """
    if value is None:
        return {"kind": "none"}
    if isinstance(value, (bool, np.bool_)):
        return {"kind": "bool", "value": bool(value)}
    if isinstance(value, numbers.Integral):
        return {"kind": "int", "value": int(value)}
    if isinstance(value, numbers.Real):
        return {"kind": "float", "value": float(value)}
    if isinstance(value, str):
        return {"kind": "str", "value": value[:200]}
    if isinstance(value, (tuple, list)) and _depth < 8 and len(value) <= 10_000:
        return {"kind": "sequence", "items": [encode(v, _depth + 1) for v in value]}
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf" and value.size <= _MAX_ELEMENTS:
        array = np.asarray(value)
        kind = "int" if array.dtype.kind in "iu" else array.dtype.kind
        return {
            "kind": "array",
            "dtype": {"b": "bool", "int": "int", "f": "float"}[kind],
            "shape": list(array.shape),
            "data": array.ravel().tolist(),
        }
    return {"kind": "other", "type": _type_name(value)}


def _type_name(value) -> str:
    kind = type(value)
    module = getattr(kind, "__module__", "")
    name = getattr(kind, "__qualname__", "object")
    if isinstance(value, np.ndarray):
        return f"an array of dtype {value.dtype}" if value.size <= _MAX_ELEMENTS else "a huge array"
    return f"{module}.{name}" if module and module != "builtins" else name


class Other:
    """A returned value the judge will not look inside: only its type's name is known."""

    def __init__(self, type_name: str):
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<{self.type_name}>"


def decode(data):
    """Read :func:`encode`'s data back into Python values, strictly.

    Anything malformed becomes :class:`Other`, which no check accepts.
    """
    if not isinstance(data, dict) or not isinstance(data.get("kind"), str):
        return Other("malformed data")
    kind = data["kind"]
    value = data.get("value")
    if kind == "none":
        return None
    if kind == "bool" and type(value) is bool:
        return value
    if kind == "int" and type(value) is int:
        return value
    if kind == "float" and type(value) in (float, int):
        return float(value)
    if kind == "str" and type(value) is str:
        return value
    if kind == "sequence" and type(data.get("items")) is list:
        return tuple(decode(item) for item in data["items"])
    if kind == "array":
        return _decode_array(data)
    if kind == "other" and type(data.get("type")) is str:
        return Other(data["type"][:100])
    return Other("malformed data")


def _decode_array(data):
    dtypes = {"bool": np.bool_, "int": np.int64, "float": np.float64}
    shape, items = data.get("shape"), data.get("data")
    if (
        data.get("dtype") not in dtypes
        or type(shape) is not list
        or not all(type(n) is int and n >= 0 for n in shape)
        or type(items) is not list
        or len(items) != int(np.prod(shape, dtype=np.int64))
        or not all(type(v) in (int, float, bool) for v in items)
    ):
        return Other("malformed array")
    return np.array(items, dtype=dtypes[data["dtype"]]).reshape(shape)


# --------------------------------------------------------------- the learner's side: run
@dataclass
class Attempt:
    """What :func:`run` saw: encoded values per case, or how it stopped, and calls made."""

    status: str  # "returned", "not attempted", "error", "not a function", "broken"
    values: list = field(default_factory=list)
    error: str = ""
    calls: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "status": self.status,
            "values": self.values,
            "error": self.error,
            "calls": self.calls,
        }

    @classmethod
    def from_dict(cls, data) -> Attempt:
        """Rebuild an attempt from data read from elsewhere, trusting only its shape."""
        status = data.get("status") if isinstance(data, dict) else None
        if status not in ("returned", "not attempted", "error", "not a function"):
            return cls("broken")
        values = data.get("values") if isinstance(data.get("values"), list) else []
        error = data.get("error") if isinstance(data.get("error"), str) else ""
        calls = [c for c in data.get("calls", []) if isinstance(c, str)][:20]
        return cls(status, values, error[:500], calls)


def _watched_functions() -> dict:
    """Code objects of the functions an answer should not simply call, with their names."""
    from . import ops

    watched = {}
    # The fast ops by their public names (convlab.conv2d), the others by their modules'.
    for module, prefix in ((ops, "convlab"), (naive, "convlab.naive"), (shapes, "convlab.shapes")):
        for name in module.__all__:
            function = getattr(module, name)
            if hasattr(function, "__code__"):
                watched[function.__code__] = f"{prefix}.{name}"
    for exercise in EXERCISES.values():
        for function in (exercise.reference, *(wrong for _, wrong in exercise.mistakes)):
            if hasattr(function, "__code__"):
                watched.setdefault(function.__code__, "the exercise's reference answer")
    return watched


def run(name: str, answer: Callable) -> Attempt:
    """Call ``answer`` on every case of exercise ``name``; keep encoded values and calls.

    This is the only part of checking that runs the learner's code. Each case gets
    fresh copies of its arrays, so an answer that writes to its inputs cannot spoil
    later cases.
    """
    exercise = _get(name)
    if not callable(answer):
        return Attempt("not a function", error=type(answer).__name__)
    watched = _watched_functions()
    calls: dict[str, None] = {}

    def record(frame, event, _arg):
        # Only calls made from outside convlab: what convlab calls inside is its business.
        if event == "call" and frame.f_code in watched:
            caller = frame.f_back.f_globals.get("__name__", "") if frame.f_back else ""
            if caller != "convlab" and not caller.startswith("convlab."):
                calls.setdefault(watched[frame.f_code], None)

    if getattr(answer, "__code__", None) in watched:  # handed in as the answer itself
        calls.setdefault(watched[answer.__code__], None)
    values = []
    previous = sys.getprofile()
    sys.setprofile(record)
    try:
        for case in exercise.cases:
            args = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in case.args)
            try:
                result = answer(*args)
            except NotImplementedError:
                return Attempt("not attempted", calls=list(calls))
            except Exception as error:  # the learner's code: report it, never crash
                return Attempt(
                    "error", values, f"{type(error).__name__}: {error} ({case.about})", list(calls)
                )
            values.append(encode(result))
    finally:
        sys.setprofile(previous)
    return Attempt("returned", values, calls=list(calls))


# ------------------------------------------------------------------- the judge's side
def judge(name: str, attempt: Attempt) -> Verdict:
    """The verdict on an :class:`Attempt`, decided from its plain data alone."""
    exercise = _get(name)
    if attempt.status == "not a function":
        return Verdict(name, "error", f"expected a function, received {attempt.error}.")
    if attempt.status == "not attempted":
        return Verdict(
            name,
            "not attempted",
            "replace `raise NotImplementedError` with your code, then run this cell again.",
        )
    if attempt.status == "error":
        return Verdict(name, "error", f"your function raised {attempt.error}.")
    if attempt.status != "returned":
        return Verdict(name, "error", "no usable result came back from running the function.")
    if len(attempt.values) != len(exercise.cases):
        return Verdict(name, "error", "the function did not return a value for every case.")
    got = [decode(value) for value in attempt.values]
    observed = [
        _observe(exercise, case, value) for case, value in zip(exercise.cases, got, strict=True)
    ]
    expected = [_observe(exercise, case, exercise.reference(*case.args)) for case in exercise.cases]
    compare = _COMPARE[exercise.compare]
    problems = [compare(g, e) for g, e in zip(observed, expected, strict=True)]
    if not any(problems):
        cases = f"on all {len(got)} cases" if len(got) > 1 else f"({exercise.cases[0].about})"
        detail = f"correct {cases}."
        library = [call for call in attempt.calls if call.startswith("convlab.")]
        if "the exercise's reference answer" in attempt.calls:
            detail = f"correct {cases} - but it uses the reference implementation."
        elif library:
            detail = (
                f"correct {cases} - but it calls {', '.join(library)}: {exercise.library_hint}."
            )
        return Verdict(name, "passed", detail)
    for message in _typing_problems(exercise, got):
        return Verdict(name, "failed", message)
    if exercise.diagnose is not None:
        message = exercise.diagnose(observed, expected)
        if message:
            return Verdict(name, "failed", message)
    for message, wrong in exercise.mistakes:
        variants = [_observe(exercise, case, wrong(*case.args)) for case in exercise.cases]
        if all(not compare(g, v) for g, v in zip(observed, variants, strict=True)):
            return Verdict(name, "failed", message)
    for case, problem in zip(exercise.cases, problems, strict=True):
        if problem:
            return Verdict(name, "failed", f"wrong for {case.about}: {problem}.")
    raise AssertionError("unreachable: some case differs")  # pragma: no cover


def check(name: str, answer: Callable) -> Verdict:
    """Check the learner's function for exercise ``name``; the verdict displays as one line.

    Examples
    --------
    >>> def dropped_cells(n, k, s, p):
    ...     raise NotImplementedError
    >>> check("dropped_cells", dropped_cells)
    [ ] dropped_cells: not attempted - replace `raise NotImplementedError` with your code, then run this cell again.
    """
    return judge(name, run(name, answer))


def _observe(exercise, case, value):
    if exercise.observe is None or isinstance(value, Other) or value is None:
        return value
    try:
        return exercise.observe(value, *case.args)
    except (TypeError, ValueError) as error:
        return Other(str(error))


def _typing_problems(exercise, got):
    """Messages for answers of the wrong kind (None, float for int, an object), first case first."""
    for value in got:
        if value is None:
            yield "your function returned None: did you forget `return`?"
        elif isinstance(value, Other):
            wanted = "a number" if exercise.compare == "exact" else "a NumPy array"
            yield f"your function returned {_article(value.type_name)}; expected {wanted}."
        elif exercise.compare == "exact" and _has_float(value) and _whole(value):
            yield (
                f"expected whole numbers (int), got {_describe(value)}: use // for division "
                "that rounds down, or int(...)."
            )


def _article(type_name: str) -> str:
    if type_name.startswith(("an ", "a ")):
        return type_name
    return f"an object of type {type_name}"


def _has_float(value) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, tuple):
        return any(_has_float(v) for v in value)
    return isinstance(value, np.ndarray) and value.dtype.kind == "f"


def _whole(value) -> bool:
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return False
    return bool(np.all(np.isfinite(array)) and np.all(array == np.round(array)))


def _exact_form(value):
    """Ints, and tuples of them from tuples, lists or integer arrays; None if not that."""
    if type(value) is int:
        return value
    if isinstance(value, np.ndarray) and value.dtype.kind in "iu" and value.ndim <= 1:
        return int(value) if value.ndim == 0 else tuple(int(v) for v in value)
    if isinstance(value, tuple):
        items = [_exact_form(v) for v in value]
        return None if any(item is None for item in items) else tuple(items)
    return None


def _compare_exact(got, expected) -> str:
    """ "" when equal, else what differs."""
    form = _exact_form(got)
    if form == _exact_form(expected):
        return ""
    return f"expected {_describe(expected)}, got {_describe(got)}"


def _compare_array(got, expected) -> str:
    """ "" when equal to float32 precision, else what differs (shape, or the first cell)."""
    want = np.asarray(expected, dtype=float)
    if isinstance(got, Other) or got is None or isinstance(got, str):
        return f"expected {_describe(want)}, got {_describe(got)}"
    try:
        have = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return f"expected {_describe(want)}, got {_describe(got)}"
    if have.shape != want.shape:
        return f"expected {_describe(want)}, got {_describe(have)}"
    close = np.isclose(have, want, rtol=1e-5, atol=1e-6)
    if close.all():
        return ""
    if want.ndim == 0:
        return f"expected {_number(want)}, got {_number(have)}"
    first = tuple(int(i) for i in np.argwhere(~close)[0])
    return (
        f"right shape {want.shape}, wrong values: first difference at {list(first)}: "
        f"expected {_number(want[first])}, got {_number(have[first])}"
    )


_COMPARE = {"exact": _compare_exact, "array": _compare_array}


def _number(value) -> str:
    return f"{float(value):.6g}"


def _describe(value) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}" if value.ndim else _number(value)
    if isinstance(value, Other):
        return _article(value.type_name)
    if isinstance(value, tuple):
        return "(" + ", ".join(_describe(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, float):
        return f"{value:g}" if value != int(value) else f"{value:.1f}"
    return repr(value)


class _Code:
    """Source code that shows as a highlighted block in a notebook and as text elsewhere."""

    def __init__(self, source: str):
        self.source = source

    def __repr__(self) -> str:
        return self.source

    def _repr_markdown_(self) -> str:
        return f"```python\n{self.source}\n```"


def solution(name: str) -> _Code:
    """One solution of exercise ``name``, to read when stuck (try first!)."""
    return _Code(_get(name).solution)


def names(notebook: str | None = None) -> list[str]:
    """Exercise names in course order, optionally only those of one notebook."""
    return [e.name for e in EXERCISES.values() if notebook is None or e.notebook == notebook]


def _get(name: str) -> Exercise:
    if name not in EXERCISES:
        raise ValueError(
            f"check: unknown exercise {name!r}; expected one of {', '.join(EXERCISES)}."
        )
    return EXERCISES[name]


def _code(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


def _rng(seed):
    return np.random.default_rng(seed)


def _quarters(seed, shape, low=-8, high=9):
    """Signed multiples of 0.25: fractional, exact in binary, easy to read."""
    return _rng(seed).integers(low, high, shape) / 4


def _correlate(image, kernel, strides=1, padding="valid"):
    return naive.conv2d(
        image[None, :, :, None], kernel[:, :, None, None], strides=strides, padding=padding
    )[0, :, :, 0]


# ---------------------------------------------------------------- 00: arrays as images
def _to_batch(image):
    return np.asarray(image)[None, :, :, None]


# ---------------------------------------------------------------- 01: sliding windows
def _strided(image, kernel, s):
    return _correlate(image, kernel, s)


def _strided_windows_not_moved(image, kernel, s):
    """Output of the right size, but window (y, x) starts at (y, x), not (y*s, x*s)."""
    out = _strided(image, kernel, s)
    full = _correlate(image, kernel)
    return full[: out.shape[0], : out.shape[1]]


_STEP_PROBES = np.stack(
    [
        np.full((5, 6), 0.75),  # flat
        np.repeat([[-0.5, -0.5, -0.5, 0.5, 0.5, 0.5]], 5, axis=0),  # dark to bright, left to right
        np.repeat([[0.5, 0.5, 0.5, -0.5, -0.5, -0.5]], 5, axis=0),  # bright to dark
        np.repeat(
            [[-0.5], [-0.5], [0.5], [0.5], [0.5]], 6, axis=1
        ),  # dark to bright, top to bottom
    ]
)


def _responses(kernel):
    kernel = np.asarray(kernel, dtype=float)
    if kernel.shape != (3, 3):
        raise ValueError(f"a kernel must be a 3x3 array; got shape {kernel.shape}")
    return np.stack([_correlate(probe, kernel) for probe in _STEP_PROBES])


def _diagnose_edge_kernel(observed, expected):
    (got,) = observed
    if isinstance(got, Other):
        return f"return a 3x3 array of weights ({got.type_name})."
    flat, rising, falling, horizontal = got
    if not np.allclose(flat, 0):
        return "a flat image must give 0 everywhere: make the nine weights add up to 0."
    if not np.allclose(horizontal, 0):
        return (
            "it also responds to a step from top to bottom: make each row of the kernel add "
            "up to 0, so that only changes from left to right count."
        )
    if np.allclose(rising, -expected[0][1]):
        return (
            "the sign is flipped: dark on the left and bright on the right must give +1 "
            "(the kernel is laid on as it is, not flipped)."
        )
    peak = float(np.max(np.abs(rising)))
    if np.allclose(rising / peak, expected[0][1]) if peak else False:
        return f"right shape of response, but {peak:g} at the step instead of 1: scale the weights."
    return (
        "at a step of height 1 the two outputs next to it must both be 1: look at which "
        "cells of the kernel sit on the dark and the bright side in those two windows."
    )


# ---------------------------------------------------------------- 02: padding and stride
def _dropped_cells(n, k, s, p):
    w = shapes.windows(n, k, strides=s, padding=p)
    return sum(w.before <= c < w.before + n for c in w.unread)


def _dropped_counting_padding(n, k, s, p):
    return len(shapes.windows(n, k, strides=s, padding=p).unread)


def _dropped_only_at_the_end(n, k, s, p):
    w = shapes.windows(n, k, strides=s, padding=p)
    last = w.taps[-1][-1]
    return sum(c > last for c in range(w.before, w.before + n))


def _same_padding(n, k, s, d):
    return shapes.same_padding(n, k, strides=s, dilation_rate=d)


# ---------------------------------------------------------------- 03: channels
def _without_sharing(n, k, c_in, filters, s, p):
    out = shapes.conv_output_size(n, k, strides=s, padding=p)
    return shapes.locally_connected_params(k, c_in, filters, out)


def _conv_multichannel(x, kernel):
    return naive.conv2d(x, kernel)


def _first_channel_only(x, kernel):
    return naive.conv2d(x[..., :1], kernel[:, :, :1])


def _conv_flipped(x, kernel):
    return naive.conv2d(x, kernel[::-1, ::-1])


# ---------------------------------------------------------------- 04: pooling
def _max_pool(image, k, s):
    return naive.max_pool2d(image[None, :, :, None], k, strides=s)[0, :, :, 0]


def _avg_pool_same(image, k, s):
    return naive.avg_pool2d(image[None, :, :, None], k, strides=s, padding="same")[0, :, :, 0]


def _avg_pool_same_counting_padding(image, k, s):
    pads = [shapes.same_padding(n, k, strides=s) for n in image.shape]
    padded = np.pad(image, pads)
    return naive.avg_pool2d(padded[None, :, :, None], k, strides=s)[0, :, :, 0]


def _avg_pool_extra_first(image, k, s):
    """SAME average with the odd padding cell before instead of after."""
    pads = [tuple(reversed(shapes.same_padding(n, k, strides=s))) for n in image.shape]
    sums = naive.avg_pool2d(np.pad(image, pads)[None, :, :, None], k, strides=s)
    real = naive.avg_pool2d(np.pad(np.ones_like(image), pads)[None, :, :, None], k, strides=s)
    return (sums / real)[0, :, :, 0]


# ---------------------------------------------------------------- 05: TensorFlow
def _transpose_size(n, k, s, padding, output_padding):
    return shapes.conv_transpose_output_size(
        n, k, strides=s, padding=padding, output_padding=output_padding
    )


def _stamps(x, kernel, s):
    return naive.conv2d_transpose(x[None, :, :, None], kernel[:, :, None, None], strides=s)[
        0, :, :, 0
    ]


def _stamps_overwritten(x, kernel, s):
    out = np.zeros_like(_stamps(x, kernel, s))
    kh, kw = kernel.shape
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            out[i * s : i * s + kh, j * s : j * s + kw] = x[i, j] * kernel
    return out


def _stamps_without_trailing_gap(x, kernel, s):
    (h, w), (kh, kw) = x.shape, kernel.shape
    return _stamps(x, kernel, s)[: (h - 1) * s + kh, : (w - 1) * s + kw]


# ---------------------------------------------------------------- 06: MNIST
def _bn_conv_params(k, c_in, filters):
    weights = shapes.conv_params(k, c_in, filters, use_bias=False)
    return weights + 4 * filters, weights + 2 * filters


def _cross_entropy(logits, label):
    shifted = np.asarray(logits, dtype=float) - np.max(logits)
    return float(np.log(np.sum(np.exp(shifted))) - shifted[label])


def _diagnose_cross_entropy(observed, expected):
    for got in observed:
        if isinstance(got, (float, int, np.ndarray)) and not np.all(np.isfinite(got)):
            return (
                "the result is inf or nan for large logits: exp(1000) overflows. Softmax does "
                "not change when the same number is subtracted from every logit, so subtract "
                "the largest one first."
            )
    return None


# ---------------------------------------------------------------- 07: inside the network
def _input_gradient(upstream, kernel):
    kh, kw = kernel.shape
    return _correlate(upstream, kernel[::-1, ::-1], padding=((kh - 1, kh - 1), (kw - 1, kw - 1)))


def _weight_gradient(x, upstream):
    return _correlate(x, upstream)


_IMAGE = _quarters(0, (7, 6))
_NEGATIVE = -np.abs(_quarters(8, (6, 7))) - 0.25  # every value negative
_ASYMMETRIC = np.array([[1.0, 2.0, 0.0], [0.0, -1.0, 3.0]])
_LIBRARY_LOOP = "the exercise is to write the loop yourself"

EXERCISES: dict[str, Exercise] = {
    e.name: e
    for e in [
        Exercise(
            name="to_batch",
            notebook="00_welcome",
            signature="to_batch(image)",
            docstring="Turn a 2-D grayscale image (h, w) into an NHWC batch of one: (1, h, w, 1).",
            body=_code(
                """
                return image[None, :, :, None]
                """
            ),
            reference=_to_batch,
            cases=(
                Case((_IMAGE,), "a 7x6 image"),
                Case((np.arange(6.0).reshape(2, 3),), "a 2x3 image"),
            ),
            mistakes=(
                ("no channel axis: NHWC needs (1, h, w, 1), not (1, h, w).", lambda im: im[None]),
                (
                    "no batch axis: NHWC needs (1, h, w, 1), not (h, w, 1).",
                    lambda im: im[:, :, None],
                ),
                (
                    "channels first: that is NCHW (1, 1, h, w); TensorFlow's default is NHWC.",
                    lambda im: im[None, None],
                ),
                (
                    "height and width swapped: keep (h, w) in that order.",
                    lambda im: im.T[None, :, :, None],
                ),
            ),
        ),
        Exercise(
            name="strided_correlate",
            notebook="01_sliding_windows",
            signature="strided_correlate(image, kernel, s)",
            docstring=(
                "Slide `kernel` (kh, kw) over `image` (h, w) in steps of `s` cells, down and\n"
                "    across: valid positions only (the window never hangs over the edge), no flip.\n"
                "    Output cell (y, x) is the sum of the products of the window starting at\n"
                "    (y * s, x * s). Return a 2-D array."
            ),
            body=_code(
                """
                kh, kw = kernel.shape
                rows = (image.shape[0] - kh) // s + 1  # starts 0, s, 2s, ... up to h - kh
                cols = (image.shape[1] - kw) // s + 1
                out = np.zeros((rows, cols))
                for y in range(rows):
                    for x in range(cols):
                        window = image[y * s : y * s + kh, x * s : x * s + kw]
                        out[y, x] = np.sum(window * kernel)
                return out
                """
            ),
            reference=_strided,
            cases=(
                Case((_IMAGE, _ASYMMETRIC, 2), "a 7x6 image, a 2x3 kernel, stride 2"),
                Case((_quarters(1, (6, 8)), _quarters(2, (3, 3)), 3), "a 6x8 image, stride 3"),
                Case((_quarters(3, (5, 4)), _quarters(4, (2, 2)), 1), "a 5x4 image, stride 1"),
            ),
            mistakes=(
                (
                    "the windows move one cell at a time: with stride s, window (y, x) starts at "
                    "(y * s, x * s), and there are fewer of them.",
                    lambda im, k, s: _strided(im, k, 1),
                ),
                (
                    "the output has the right size, but window (y, x) must start at (y * s, x * s), "
                    "not at (y, x).",
                    _strided_windows_not_moved,
                ),
                (
                    "the kernel is flipped: that is convolution in the textbook sense; deep "
                    "learning's 'convolution' lays the kernel on as it is.",
                    lambda im, k, s: _strided(im, k[::-1, ::-1], s),
                ),
            ),
            library_hint=_LIBRARY_LOOP,
        ),
        Exercise(
            name="vertical_edge_kernel",
            notebook="01_sliding_windows",
            signature="vertical_edge_kernel()",
            docstring=(
                "Return a 3x3 kernel (a NumPy array) whose valid cross-correlation gives:\n"
                "    0 everywhere on a flat image; exactly +1 at the two outputs next to a step\n"
                "    from dark (left) to bright (right) where the brightness jumps by 1, and 0\n"
                "    elsewhere; -1 for a step from bright to dark; 0 everywhere for a step from\n"
                "    top to bottom."
            ),
            body=_code(
                """
                # Each row: -1 on the left, +1 on the right, so each row adds up to 0.
                return np.array([[0.0, 0.0, 0.0], [-1.0, 0.0, 1.0], [0.0, 0.0, 0.0]])
                """
            ),
            reference=lambda: np.array([[0.0, 0.0, 0.0], [-1.0, 0.0, 1.0], [0.0, 0.0, 0.0]]),
            cases=(Case((), "four test images: flat, two vertical steps, a horizontal step"),),
            observe=lambda kernel: _responses(kernel),
            diagnose=_diagnose_edge_kernel,
            mistakes=(),
        ),
        Exercise(
            name="dropped_cells",
            notebook="02_padding_and_stride",
            signature="dropped_cells(n, k, s, p)",
            docstring=(
                "How many of the n input cells (not padding) no window reads, along one axis,\n"
                "    for a kernel of size k, stride s and p cells of zero padding on each side."
            ),
            body=_code(
                """
                out = (n + 2 * p - k) // s + 1
                read = set()
                for i in range(out):  # window i reads padded cells i*s .. i*s + k - 1
                    read.update(range(i * s, i * s + k))
                return sum(1 for cell in range(p, p + n) if cell not in read)
                """
            ),
            reference=_dropped_cells,
            compare="exact",
            cases=(
                Case((7, 2, 2, 0), "n=7, k=2, s=2, p=0"),
                Case((8, 3, 2, 1), "n=8, k=3, s=2, p=1"),
                Case((9, 3, 3, 1), "n=9, k=3, s=3, p=1"),
                Case((10, 3, 4, 0), "n=10, k=3, s=4, p=0 (stride larger than the window)"),
                Case((28, 5, 2, 2), "n=28, k=5, s=2, p=2"),
                Case((6, 1, 4, 1), "n=6, k=1, s=4, p=1"),
            ),
            mistakes=(
                (
                    "padding cells are counted too: only the n real cells carry information, so "
                    "count only those that no window reads.",
                    _dropped_counting_padding,
                ),
                (
                    "only the cells after the last window are counted: when the stride is larger "
                    "than the window, cells between windows are never read either.",
                    _dropped_only_at_the_end,
                ),
            ),
        ),
        Exercise(
            name="same_padding",
            notebook="02_padding_and_stride",
            signature="same_padding(n, k, s, d)",
            docstring=(
                "TensorFlow's SAME padding (before, after) for input n, kernel k, stride s and\n"
                "    dilation d."
            ),
            body=_code(
                """
                span = k + (k - 1) * (d - 1)  # a dilated kernel covers this many cells
                out = -(-n // s)  # ceil(n / s)
                total = max((out - 1) * s + span - n, 0)
                return total // 2, total - total // 2
                """
            ),
            reference=_same_padding,
            compare="exact",
            cases=(
                Case((28, 5, 2, 1), "n=28, k=5, s=2, d=1"),
                Case((32, 8, 2, 1), "n=32, k=8, s=2, d=1"),
                Case((5, 2, 1, 1), "n=5, k=2, s=1, d=1"),
                Case((7, 3, 1, 2), "n=7, k=3, s=1, d=2"),
                Case((8, 3, 3, 2), "n=8, k=3, s=3, d=2"),
                Case((9, 3, 2, 3), "n=9, k=3, s=2, d=3"),
                Case((6, 1, 2, 1), "n=6, k=1, s=2, d=1"),
            ),
            mistakes=(
                (
                    "the dilation is ignored: a dilated kernel spans more cells than k, and SAME "
                    "pads for the cells it spans.",
                    lambda n, k, s, d: shapes.same_padding(n, k, strides=s),
                ),
                (
                    "the extra cell is at the start: TensorFlow puts the smaller half before, so an "
                    "odd total pads more at the bottom and right.",
                    lambda n, k, s, d: tuple(reversed(_same_padding(n, k, s, d))),
                ),
                (
                    "the stride is ignored: SAME pads for ceil(n / s) windows, s cells apart.",
                    lambda n, k, s, d: _same_padding(n, k, 1, d),
                ),
            ),
            library_hint="the exercise is to work the rule out yourself",
        ),
        Exercise(
            name="params_without_sharing",
            notebook="03_channels",
            signature="params_without_sharing(n, k, c_in, filters, s, p)",
            docstring=(
                "Parameters of a layer like Conv2D(filters, k, strides=s) with p cells of zero\n"
                "    padding, on an n x n x c_in input, if it did NOT share its weights: every\n"
                "    output position has its own filters and biases (a locally connected layer)."
            ),
            body=_code(
                """
                out = (n + 2 * p - k) // s + 1  # output positions along one side
                per_position = (k * k * c_in + 1) * filters  # weights and biases
                return per_position * out * out
                """
            ),
            reference=_without_sharing,
            compare="exact",
            cases=(
                Case((32, 8, 3, 20, 2, 1), "32x32x3 input, 20 filters of 8x8, stride 2, padding 1"),
                Case((28, 5, 1, 32, 1, 0), "28x28x1 input, 32 filters of 5x5"),
                Case((10, 3, 16, 4, 3, 1), "10x10x16 input, 4 filters of 3x3, stride 3, padding 1"),
            ),
            mistakes=(
                (
                    "that is the count *with* sharing: without it every output position has its "
                    "own copy of all filters.",
                    lambda n, k, c, f, s, p: shapes.conv_params(k, c, f),
                ),
                (
                    "one set of filters per *output* position, not per input pixel: work out the "
                    "output size first.",
                    lambda n, k, c, f, s, p: shapes.conv_params(k, c, f) * n * n,
                ),
                (
                    "the biases are missing: each filter at each position has its own bias too.",
                    lambda n, k, c, f, s, p: (
                        k * k * c * f * shapes.conv_output_size(n, k, strides=s, padding=p) ** 2
                    ),
                ),
            ),
            library_hint="the exercise is to work it out yourself",
        ),
        Exercise(
            name="conv_multichannel",
            notebook="03_channels",
            signature="conv_multichannel(x, kernel)",
            docstring="Valid, stride-1 conv of x (n, h, w, c_in) with kernel (kh, kw, c_in, c_out).",
            body=_code(
                """
                n, h, w, c_in = x.shape
                kh, kw, _, c_out = kernel.shape
                out = np.zeros((n, h - kh + 1, w - kw + 1, c_out))
                for y in range(h - kh + 1):
                    for x_ in range(w - kw + 1):
                        patch = x[:, y : y + kh, x_ : x_ + kw, :]  # (n, kh, kw, c_in)
                        for f in range(c_out):
                            out[:, y, x_, f] = np.sum(patch * kernel[..., f], axis=(1, 2, 3))
                return out
                """
            ),
            reference=_conv_multichannel,
            cases=(
                Case(
                    (_rng(1).standard_normal((2, 6, 5, 3)), _rng(2).standard_normal((3, 2, 3, 3))),
                    "3 input and 3 output channels",
                ),
                Case(
                    (_rng(3).standard_normal((1, 5, 4, 2)), _rng(4).standard_normal((2, 2, 2, 4))),
                    "2 input and 4 output channels",
                ),
            ),
            mistakes=(
                (
                    "only the first input channel is used: a filter spans all channels, so sum "
                    "over them too.",
                    _first_channel_only,
                ),
                (
                    "the kernel is flipped: lay kernel[i, j] on patch[i, j] as it is "
                    "(cross-correlation).",
                    _conv_flipped,
                ),
            ),
            library_hint=_LIBRARY_LOOP,
        ),
        Exercise(
            name="max_pool",
            notebook="04_pooling",
            signature="max_pool(image, k, s)",
            docstring="Max pooling of a 2-D image with k x k windows at stride s (valid).",
            body=_code(
                """
                out_h = (image.shape[0] - k) // s + 1
                out_w = (image.shape[1] - k) // s + 1
                out = np.zeros((out_h, out_w))
                for y in range(out_h):
                    for x in range(out_w):
                        out[y, x] = image[y * s : y * s + k, x * s : x * s + k].max()
                return out
                """
            ),
            reference=_max_pool,
            cases=(
                Case((_IMAGE, 2, 2), "2x2 windows at stride 2"),
                Case((_IMAGE, 3, 2), "overlapping 3x3 windows at stride 2"),
                Case((_NEGATIVE, 2, 1), "overlapping 2x2 windows at stride 1, all values negative"),
            ),
            mistakes=(
                (
                    "only non-overlapping windows: the windows must step by s, not by k.",
                    lambda im, k, s: _max_pool(im, k, k),
                ),
                (
                    "it averages: max pooling keeps the largest value of each window.",
                    lambda im, k, s: naive.avg_pool2d(im[None, :, :, None], k, strides=s)[
                        0, :, :, 0
                    ],
                ),
                (
                    "a window of negative numbers has a negative maximum: don't start the "
                    "maximum at 0.",
                    lambda im, k, s: np.maximum(_max_pool(im, k, s), 0),
                ),
            ),
            library_hint=_LIBRARY_LOOP,
        ),
        Exercise(
            name="avg_pool_same",
            notebook="04_pooling",
            signature="avg_pool_same(image, k, s)",
            docstring="TensorFlow's SAME average pooling of a 2-D image (padding left out of the mean).",
            body=_code(
                """
                out = []
                for n in image.shape:
                    size = -(-n // s)  # ceil(n / s) windows
                    before = max((size - 1) * s + k - n, 0) // 2
                    out.append((size, before))
                (out_h, top), (out_w, left) = out
                result = np.zeros((out_h, out_w))
                for y in range(out_h):
                    for x in range(out_w):
                        r0, c0 = y * s - top, x * s - left
                        window = image[max(r0, 0) : r0 + k, max(c0, 0) : c0 + k]
                        result[y, x] = window.mean()  # only real cells
                return result
                """
            ),
            reference=_avg_pool_same,
            cases=(
                Case(
                    (np.arange(1.0, 10.0).reshape(3, 3), 2, 2), "1..9 in a 3x3 grid, 2x2 stride 2"
                ),
                Case((_IMAGE, 3, 2), "3x3 windows at stride 2"),
                Case((_IMAGE.T.copy(), 2, 3), "2x2 windows at stride 3"),
            ),
            mistakes=(
                (
                    "the padding zeros are counted in the average: TensorFlow divides by the "
                    "number of real cells in each window.",
                    _avg_pool_same_counting_padding,
                ),
                (
                    "the extra padding is at the top/left: TensorFlow puts it at the bottom/right.",
                    _avg_pool_extra_first,
                ),
            ),
            library_hint=_LIBRARY_LOOP,
        ),
        Exercise(
            name="transpose_size",
            notebook="05_tensorflow",
            signature="transpose_size(n, k, s, padding, output_padding)",
            docstring=(
                "Output length of keras.layers.Conv2DTranspose along one axis: input n, kernel\n"
                "    k, stride s, padding 'valid' or 'same', output_padding None or an int < s."
            ),
            body=_code(
                """
                if output_padding is None:
                    return n * s if padding == "same" else n * s + max(k - s, 0)
                crop = 2 * (k // 2) if padding == "same" else 0
                return (n - 1) * s + k - crop + output_padding
                """
            ),
            reference=_transpose_size,
            compare="exact",
            cases=(
                Case((7, 3, 2, "valid", None), "n=7, k=3, s=2, valid"),
                Case((7, 3, 2, "same", None), "n=7, k=3, s=2, same"),
                Case((7, 3, 2, "same", 0), "n=7, k=3, s=2, same, output_padding=0"),
                Case((7, 3, 2, "same", 1), "n=7, k=3, s=2, same, output_padding=1"),
                Case((4, 2, 3, "valid", None), "n=4, k=2, s=3, valid (kernel smaller than stride)"),
                Case((3, 4, 2, "valid", 1), "n=3, k=4, s=2, valid, output_padding=1"),
                Case((5, 5, 1, "valid", None), "n=5, k=5, s=1, valid"),
            ),
            mistakes=(
                (
                    "that is the forward convolution's size: a transposed convolution grows its "
                    "input, one stamp per input cell, s cells apart.",
                    lambda n, k, s, p, a: -(-n // s) if p == "same" else (n - k) // s + 1,
                ),
                (
                    "'same' gets the 'valid' size: the check passes padding in lower case, "
                    "'same', as Keras writes it; compare with padding.lower() == 'same' if you "
                    "tested for 'SAME'.",
                    lambda n, k, s, p, a: _transpose_size(n, k, s, "valid", a),
                ),
                (
                    "output_padding is ignored: with output_padding the size follows the stamps "
                    "(and SAME's crop), plus output_padding extra cells.",
                    lambda n, k, s, p, a: _transpose_size(n, k, s, p, None),
                ),
                (
                    "with k < s the size is too small: each stamp is followed by s - k empty "
                    "cells, and Keras keeps them after the last stamp too.",
                    lambda n, k, s, p, a: (
                        (n - 1) * s + k
                        if p == "valid" and a is None
                        else _transpose_size(n, k, s, p, a)
                    ),
                ),
            ),
            library_hint="the exercise is to work the rule out yourself",
        ),
        Exercise(
            name="transpose_by_stamps",
            notebook="05_tensorflow",
            signature="transpose_by_stamps(x, kernel, s)",
            docstring=(
                "A 'valid' transposed convolution of a 2-D x (h, w) with a 2-D kernel (kh, kw)\n"
                "    at stride s, as Keras's Conv2DTranspose computes it: each x[i, j] adds\n"
                "    x[i, j] * kernel to the output at (i * s, j * s). The output has\n"
                "    h * s + max(kh - s, 0) rows (likewise columns)."
            ),
            body=_code(
                """
                (h, w), (kh, kw) = x.shape, kernel.shape
                out = np.zeros((h * s + max(kh - s, 0), w * s + max(kw - s, 0)))
                for i in range(h):
                    for j in range(w):
                        out[i * s : i * s + kh, j * s : j * s + kw] += x[i, j] * kernel
                return out
                """
            ),
            reference=_stamps,
            cases=(
                Case(
                    (_quarters(5, (2, 3)), _ASYMMETRIC.T.copy(), 2),
                    "a 2x3 input, a 3x2 kernel, stride 2",
                ),
                Case((_quarters(6, (3, 2)), _quarters(7, (2, 3)), 1), "a 3x2 input, stride 1"),
                Case((_quarters(9, (2, 2)), _quarters(10, (2, 2)), 3), "a 2x2 kernel at stride 3"),
            ),
            mistakes=(
                (
                    "where stamps overlap they add up: use +=, not =.",
                    _stamps_overwritten,
                ),
                (
                    "the kernel is flipped: each stamp is the kernel as it is, times x[i, j].",
                    lambda x, k, s: _stamps(x, k[::-1, ::-1], s),
                ),
                (
                    "the output is too small when the kernel is smaller than the stride: Keras "
                    "keeps the s - k empty cells after the last stamp too.",
                    _stamps_without_trailing_gap,
                ),
            ),
            library_hint=_LIBRARY_LOOP,
        ),
        Exercise(
            name="bn_conv_params",
            notebook="06_mnist",
            signature="bn_conv_params(k, c_in, filters)",
            docstring=(
                "(total, trainable) parameters of Conv2D(filters, k, use_bias=False) on c_in\n"
                "    channels followed by BatchNormalization(), as Keras counts them."
            ),
            body=_code(
                """
                weights = k * k * c_in * filters  # no bias: batch norm's shift replaces it
                # Batch norm: a scale and a shift (trained), a moving mean and a moving
                # variance (updated, not trained) per channel.
                return weights + 4 * filters, weights + 2 * filters
                """
            ),
            reference=_bn_conv_params,
            compare="exact",
            cases=(
                Case((3, 1, 32), "3x3, 1 -> 32 channels (the lean network's first layer)"),
                Case((3, 32, 64), "3x3, 32 -> 64 channels"),
                Case((5, 3, 16), "5x5, 3 -> 16 channels"),
            ),
            mistakes=(
                (
                    "the convolution has use_bias=False: batch norm's shift does the bias's job.",
                    lambda k, c, f: tuple(v + f for v in _bn_conv_params(k, c, f)),
                ),
                (
                    "batch norm keeps 4 numbers per channel (scale, shift, moving mean, moving "
                    "variance), not 2.",
                    lambda k, c, f: (k * k * c * f + 2 * f,) * 2,
                ),
                (
                    "the moving mean and variance are updated while training, not trained: "
                    "count them in the total only.",
                    lambda k, c, f: (_bn_conv_params(k, c, f)[0],) * 2,
                ),
            ),
        ),
        Exercise(
            name="cross_entropy",
            notebook="06_mnist",
            signature="cross_entropy(logits, label)",
            docstring=(
                "The cross-entropy loss of one image: -log(softmax(logits)[label]), for a 1-D\n"
                "    array of logits and an int label. It must stay finite for logits like 1000."
            ),
            body=_code(
                """
                shifted = logits - np.max(logits)  # softmax is unchanged; exp cannot overflow
                log_softmax = shifted - np.log(np.sum(np.exp(shifted)))
                return float(-log_softmax[label])
                """
            ),
            reference=_cross_entropy,
            cases=(
                Case((_quarters(11, (10,)), 3), "10 logits between -2 and 2, label 3"),
                Case((np.array([2.5, -1.0, 0.25]), 0), "3 logits, the right class largest"),
                Case((np.array([1000.0, 990.0, 1001.5, 0.0]), 1), "logits near 1000, label 1"),
                Case((np.array([-1000.0, -1003.0, -999.0]), 2), "logits near -1000, label 2"),
            ),
            diagnose=_diagnose_cross_entropy,
            mistakes=(
                (
                    "that is the probability of the label; the loss is minus its logarithm.",
                    lambda z, y: float(np.exp(-_cross_entropy(z, y))),
                ),
                (
                    "the sign is wrong: -log(p) is positive, and small when p is close to 1.",
                    lambda z, y: -_cross_entropy(z, y),
                ),
            ),
        ),
        Exercise(
            name="input_gradient",
            notebook="07_inside",
            signature="input_gradient(upstream, kernel)",
            docstring=(
                "dL/dx for y = valid cross-correlation of a 2-D x with a 2-D kernel, given\n"
                "    upstream = dL/dy of shape (oh, ow). The result has x's shape,\n"
                "    (oh + kh - 1, ow + kw - 1)."
            ),
            body=_code(
                """
                kh, kw = kernel.shape
                padded = np.pad(upstream, ((kh - 1, kh - 1), (kw - 1, kw - 1)))  # full
                flipped = kernel[::-1, ::-1]
                out = np.zeros((padded.shape[0] - kh + 1, padded.shape[1] - kw + 1))
                for i in range(out.shape[0]):
                    for j in range(out.shape[1]):
                        out[i, j] = np.sum(padded[i : i + kh, j : j + kw] * flipped)
                return out
                """
            ),
            reference=_input_gradient,
            cases=(
                Case((_quarters(12, (3, 4)), _ASYMMETRIC), "a 3x4 upstream gradient, a 2x3 kernel"),
                Case((_quarters(13, (4, 4)), _quarters(14, (3, 3))), "4x4 and 3x3"),
                Case((np.array([[1.5]]), _quarters(15, (2, 2))), "a single output cell"),
            ),
            mistakes=(
                (
                    "the kernel must be flipped: input cell (i, j) met kernel cell (a, b) at "
                    "output (i - a, j - b).",
                    lambda g, k: _correlate(
                        g, k, padding=((k.shape[0] - 1,) * 2, (k.shape[1] - 1,) * 2)
                    ),
                ),
                (
                    "every input cell needs a gradient: pad the upstream gradient by k - 1 on "
                    "every side (a full correlation).",
                    lambda g, k: (
                        _correlate(g, k[::-1, ::-1])
                        if g.shape[0] >= k.shape[0] and g.shape[1] >= k.shape[1]
                        else np.zeros((0, 0))
                    ),
                ),
            ),
            library_hint="the exercise is to see the flipped kernel at work; try it with np.pad and a loop",
        ),
        Exercise(
            name="weight_gradient",
            notebook="07_inside",
            signature="weight_gradient(x, upstream)",
            docstring=(
                "dL/dkernel for y = valid cross-correlation of a 2-D x (h, w) with a kernel,\n"
                "    given upstream = dL/dy (oh, ow); the kernel was (h - oh + 1, w - ow + 1)."
            ),
            body=_code(
                """
                oh, ow = upstream.shape
                kh, kw = x.shape[0] - oh + 1, x.shape[1] - ow + 1
                out = np.zeros((kh, kw))
                for a in range(kh):
                    for b in range(kw):  # kernel cell (a, b) met x[i + a, j + b] at output (i, j)
                        out[a, b] = np.sum(x[a : a + oh, b : b + ow] * upstream)
                return out
                """
            ),
            reference=_weight_gradient,
            cases=(
                Case((_quarters(16, (5, 6)), _quarters(17, (3, 4))), "a 5x6 input, a 3x4 gradient"),
                Case((_quarters(18, (4, 4)), _quarters(19, (2, 2))), "a 4x4 input, a 2x2 gradient"),
            ),
            mistakes=(
                (
                    "no flip here: kernel cell (a, b) multiplied x[i + a, j + b], so correlate x "
                    "with the upstream gradient as it is.",
                    lambda x, g: _correlate(x, g[::-1, ::-1]),
                ),
            ),
            library_hint="the exercise is to write the sum yourself",
        ),
    ]
}
