"""The course's exercises: one source of truth for each stub, solution and check.

Every exercise asks the learner to write one function. The notebooks are built
from this registry (see :mod:`convlab.course`): the learner edition gets the
``stub``, the instructor edition the ``solution``, so the two cannot drift. The
cell after an exercise calls :func:`check`, which tries the learner's function
on hard cases and returns a :class:`Verdict` shown as one deterministic line:

* ``passed`` when every case matches the reference;
* ``failed`` with the likely mistake (ignores the stride, floor instead of ceil,
  flipped kernel, ...) when the answer matches a known wrong version, else the
  first case that differs;
* ``not attempted`` while the stub still raises ``NotImplementedError``;
* ``error`` when the function raises anything else.

A learner who is stuck can run ``solution("name")`` to see one way to do it.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import kernels, naive, shapes

__all__ = ["EXERCISES", "Exercise", "Verdict", "check", "names", "solution"]

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
    """One exercise: the function to write, one solution's body, and how to check it."""

    name: str
    notebook: str
    signature: str
    docstring: str
    body: str
    reference: Callable
    cases: tuple[Case, ...]
    mistakes: tuple[tuple[str, Callable], ...] = field(default=())
    compare: str = "array"  # "array" (allclose, shapes equal) or "exact" (==)

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


def _same(kind, got, expected) -> bool:
    if kind == "exact":
        return _normalise(got) == _normalise(expected)
    try:
        got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    except (TypeError, ValueError):
        return False
    return got.shape == expected.shape and np.allclose(got, expected, rtol=1e-5, atol=1e-6)


def _normalise(value):
    if isinstance(value, (list, tuple)):
        return tuple(_normalise(v) for v in value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def _describe(value) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    return repr(_normalise(value))


def check(name: str, answer: Callable) -> Verdict:
    """Check the learner's function for exercise ``name``; the verdict displays as one line.

    Examples
    --------
    >>> def output_size(n, k, s, p):
    ...     raise NotImplementedError
    >>> check("output_size", output_size)
    [ ] output_size: not attempted - replace `raise NotImplementedError` with your code, then run this cell again.
    """
    exercise = _get(name)
    if not callable(answer):
        return Verdict(name, "error", f"expected a function, received {type(answer).__name__}.")
    results = []
    for case in exercise.cases:
        args = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in case.args)
        try:
            results.append(answer(*args))
        except NotImplementedError:
            return Verdict(
                name,
                "not attempted",
                "replace `raise NotImplementedError` with your code, then run this cell again.",
            )
        except Exception as error:  # the learner's code: report it, never crash the notebook
            return Verdict(
                name,
                "error",
                f"your function raised {type(error).__name__}: {error} ({case.about}).",
            )
    expected = [exercise.reference(*case.args) for case in exercise.cases]
    if all(_same(exercise.compare, g, e) for g, e in zip(results, expected, strict=True)):
        cases = f"on all {len(results)} cases" if len(results) > 1 else "on the test case"
        return Verdict(name, "passed", f"correct {cases}.")
    for message, wrong in exercise.mistakes:
        variants = [wrong(*case.args) for case in exercise.cases]
        if all(_same(exercise.compare, g, v) for g, v in zip(results, variants, strict=True)):
            return Verdict(name, "failed", message)
    for case, got, want in zip(exercise.cases, results, expected, strict=True):
        if not _same(exercise.compare, got, want):
            return Verdict(
                name,
                "failed",
                f"wrong for {case.about}: expected {_describe(want)}, got {_describe(got)}.",
            )
    raise AssertionError("unreachable: some case differs")  # pragma: no cover


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


# ---------------------------------------------------------------- 00: arrays as images
def _to_batch(image):
    return np.asarray(image)[None, :, :, None]


# ---------------------------------------------------------------- 01: sliding windows
def _correlate(image, kernel):
    return naive.conv2d(image[None, :, :, None], kernel[:, :, None, None])[0, :, :, 0]


def _convolve_flipped(image, kernel):
    return _correlate(image, kernel[::-1, ::-1])


def _correlate_short(image, kernel):
    (h, w), (kh, kw) = image.shape, kernel.shape
    return _correlate(image, kernel)[: h - kh, : w - kw]


def _correlate_transposed_kernel(image, kernel):
    return _correlate(image, kernel.T)


def _blur_filter():
    return kernels.per_channel(kernels.get("box_blur"), 3)


# ---------------------------------------------------------------- 02: padding and stride
def _output_size(n, k, s, p):
    return shapes.conv_output_size(n, k, strides=s, padding=p)


def _same_padding(n, k, s):
    return shapes.same_padding(n, k, strides=s)


# ---------------------------------------------------------------- 03: channels
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
def _conv_block(x, kernel, bias):
    y = naive.conv2d(x, kernel, padding="same") + bias
    return naive.max_pool2d(np.maximum(y, 0), 2)


def _transpose_size(n, k, s, padding):
    return shapes.conv_transpose_output_size(n, k, strides=s, padding=padding)


_IMAGE = _rng(0).integers(0, 10, (7, 6)).astype(float)
_ASYMMETRIC = np.array([[1.0, 2.0, 0.0], [0.0, -1.0, 3.0]])

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
            name="correlate2d",
            notebook="01_sliding_windows",
            signature="correlate2d(image, kernel)",
            docstring="Slide `kernel` (kh, kw) over `image` (h, w): valid positions only, no flip.",
            body=_code(
                """
                kh, kw = kernel.shape
                out_h, out_w = image.shape[0] - kh + 1, image.shape[1] - kw + 1
                out = np.zeros((out_h, out_w))
                for y in range(out_h):
                    for x in range(out_w):
                        out[y, x] = np.sum(image[y : y + kh, x : x + kw] * kernel)
                return out
                """
            ),
            reference=_correlate,
            cases=(
                Case((_IMAGE, _ASYMMETRIC), "an asymmetric 2x3 kernel"),
                Case((_IMAGE.T.copy(), kernels.get("sobel_x")), "a Sobel kernel"),
                Case(
                    (np.arange(9.0).reshape(3, 3), np.ones((3, 3))),
                    "a kernel as large as the image",
                ),
            ),
            mistakes=(
                (
                    "the kernel is flipped: that is convolution in the textbook sense; deep learning's "
                    "'convolution' is cross-correlation, which lays the kernel on as it is.",
                    _convolve_flipped,
                ),
                (
                    "one window short at the border: the last window starts at n - k, so loop over "
                    "range(n - k + 1).",
                    _correlate_short,
                ),
                (
                    "rows and columns of the kernel swapped: index kernel[i, j] with i along the height.",
                    _correlate_transposed_kernel,
                ),
            ),
        ),
        Exercise(
            name="blur_rgb_filter",
            notebook="01_sliding_windows",
            signature="blur_rgb_filter()",
            docstring="A (3, 3, 3, 3) filter for conv2d that box-blurs R, G and B separately.",
            body=_code(
                """
                blur = np.full((3, 3), 1 / 9)
                weights = np.zeros((3, 3, 3, 3))
                for c in range(3):
                    weights[:, :, c, c] = blur  # input channel c feeds output channel c only
                return weights
                """
            ),
            reference=_blur_filter,
            cases=(Case((), "the filter itself"),),
            mistakes=(
                (
                    "it mixes the colour channels: with the blur in every (in, out) slot each output "
                    "channel adds up R, G and B, so a red pixel turns grey. Put it only where in == out.",
                    lambda: np.tile(np.full((3, 3, 1, 1), 1 / 9), (1, 1, 3, 3)),
                ),
                (
                    "the weights sum to 9 per channel, which brightens the image 9 times: divide by 9.",
                    lambda: kernels.per_channel(np.ones((3, 3)), 3),
                ),
            ),
        ),
        Exercise(
            name="output_size",
            notebook="02_padding_and_stride",
            signature="output_size(n, k, s, p)",
            docstring="Output length for input n, kernel k, stride s and padding p on each side.",
            body=_code(
                """
                return (n + 2 * p - k) // s + 1
                """
            ),
            reference=_output_size,
            compare="exact",
            cases=(
                Case((32, 5, 1, 0), "n=32, k=5, s=1, p=0"),
                Case((32, 8, 2, 1), "n=32, k=8, s=2, p=1 (the notes' example)"),
                Case((7, 3, 2, 0), "n=7, k=3, s=2, p=0"),
                Case((28, 5, 2, 2), "n=28, k=5, s=2, p=2"),
                Case((10, 3, 3, 1), "n=10, k=3, s=3, p=1"),
            ),
            mistakes=(
                (
                    "it ignores the stride: divide (n + 2p - k) by s before adding 1.",
                    lambda n, k, s, p: n + 2 * p - k + 1,
                ),
                (
                    "it rounds up: a window that would hang over the edge does not count, so floor.",
                    lambda n, k, s, p: -(-(n + 2 * p - k) // s) + 1,
                ),
                (
                    "padding is added on both sides: use n + 2p, not n + p.",
                    lambda n, k, s, p: (n + p - k) // s + 1,
                ),
                (
                    "off by one: the first window also counts, so add 1.",
                    lambda n, k, s, p: (n + 2 * p - k) // s,
                ),
            ),
        ),
        Exercise(
            name="same_padding",
            notebook="02_padding_and_stride",
            signature="same_padding(n, k, s)",
            docstring="TensorFlow's SAME padding (before, after) for input n, kernel k, stride s.",
            body=_code(
                """
                out = -(-n // s)  # ceil(n / s)
                total = max((out - 1) * s + k - n, 0)
                return total // 2, total - total // 2
                """
            ),
            reference=_same_padding,
            compare="exact",
            cases=(
                Case((28, 5, 2), "n=28, k=5, s=2"),
                Case((32, 8, 2), "n=32, k=8, s=2"),
                Case((5, 2, 1), "n=5, k=2, s=1"),
                Case((7, 3, 1), "n=7, k=3, s=1"),
                Case((8, 3, 3), "n=8, k=3, s=3"),
                Case((6, 1, 2), "n=6, k=1, s=2"),
            ),
            mistakes=(
                (
                    "the extra cell is at the start: TensorFlow puts floor(total / 2) before and the "
                    "rest after, so an odd total pads more at the bottom and right.",
                    lambda n, k, s: tuple(reversed(shapes.same_padding(n, k, strides=s))),
                ),
                (
                    "it ignores the stride: the total is max((ceil(n / s) - 1) * s + k - n, 0), "
                    "not k - 1.",
                    lambda n, k, s: ((k - 1) // 2, k - 1 - (k - 1) // 2),
                ),
                (
                    "symmetric (k - 1) // 2 on both sides only keeps the size for odd k at stride 1; "
                    "compute the total from the output size ceil(n / s).",
                    lambda n, k, s: ((k - 1) // 2, (k - 1) // 2),
                ),
            ),
        ),
        Exercise(
            name="conv_params",
            notebook="03_channels",
            signature="conv_params(k, c_in, filters)",
            docstring="Trainable parameters of a conv layer: filters of k x k x c_in, plus biases.",
            body=_code(
                """
                return (k * k * c_in + 1) * filters
                """
            ),
            reference=lambda k, c, f: shapes.conv_params(k, c, f),
            compare="exact",
            cases=(
                Case((5, 3, 10), "10 filters of 5x5x3"),
                Case((8, 3, 20), "20 filters of 8x8x3"),
                Case((3, 16, 32), "32 filters of 3x3x16"),
            ),
            mistakes=(
                ("the biases are missing: each filter has one.", lambda k, c, f: k * k * c * f),
                (
                    "a filter spans every input channel: k * k * c_in weights, not k * k.",
                    lambda k, c, f: (k * k + 1) * f,
                ),
                (
                    "one bias per filter, not per input channel.",
                    lambda k, c, f: (k * k + 1) * c * f,
                ),
            ),
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
                    (_rng(3).standard_normal((1, 5, 5, 2)), _rng(4).standard_normal((2, 2, 2, 4))),
                    "2 input and 4 output channels",
                ),
            ),
            mistakes=(
                (
                    "only the first input channel is used: a filter spans all channels, so sum over "
                    "them too.",
                    _first_channel_only,
                ),
                (
                    "the kernel is flipped: lay kernel[i, j] on patch[i, j] as it is "
                    "(cross-correlation).",
                    _conv_flipped,
                ),
            ),
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
                Case((_IMAGE, 2, 1), "overlapping 2x2 windows at stride 1"),
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
            ),
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
                Case((_IMAGE, 2, 3), "2x2 windows at stride 3"),
            ),
            mistakes=(
                (
                    "the padding zeros are counted in the average: TensorFlow divides by the number "
                    "of real cells in each window.",
                    _avg_pool_same_counting_padding,
                ),
                (
                    "the extra padding is at the top/left: TensorFlow puts it at the bottom/right.",
                    _avg_pool_extra_first,
                ),
            ),
        ),
        Exercise(
            name="conv_block",
            notebook="05_tensorflow",
            signature="conv_block(x, kernel, bias)",
            docstring="TF2 version of the notes' layer: conv (stride 1, SAME) + bias, ReLU, 2x2 max pool.",
            body=_code(
                """
                y = tf.nn.conv2d(x, kernel, strides=1, padding="SAME")
                y = tf.nn.relu(tf.nn.bias_add(y, bias))
                return tf.nn.max_pool2d(y, ksize=2, strides=2, padding="SAME").numpy()
                """
            ),
            reference=_conv_block,
            cases=(
                Case(
                    (
                        _rng(5).standard_normal((2, 8, 8, 3)).astype(np.float32),
                        _rng(6).standard_normal((5, 5, 3, 4)).astype(np.float32),
                        _rng(7).standard_normal(4).astype(np.float32),
                    ),
                    "an 8x8x3 batch, 5x5 filters",
                ),
            ),
            mistakes=(
                (
                    "the bias is missing: add it before the ReLU (tf.nn.bias_add).",
                    lambda x, k, b: _conv_block(x, k, 0 * b),
                ),
                (
                    "the ReLU is missing: negative responses should become 0 before pooling.",
                    lambda x, k, b: naive.max_pool2d(naive.conv2d(x, k, padding="same") + b, 2),
                ),
                (
                    "VALID instead of SAME: the notes pad so the convolution keeps the size.",
                    lambda x, k, b: naive.max_pool2d(np.maximum(naive.conv2d(x, k) + b, 0), 2),
                ),
            ),
        ),
        Exercise(
            name="transpose_size",
            notebook="05_tensorflow",
            signature="transpose_size(n, k, s, padding)",
            docstring="Output length of Conv2DTranspose (no output_padding), padding 'valid' or 'same'.",
            body=_code(
                """
                if padding == "same":
                    return n * s
                return n * s + max(k - s, 0)
                """
            ),
            reference=_transpose_size,
            compare="exact",
            cases=(
                Case((7, 3, 2, "valid"), "n=7, k=3, s=2, valid"),
                Case((7, 3, 2, "same"), "n=7, k=3, s=2, same"),
                Case((4, 2, 3, "valid"), "n=4, k=2, s=3, valid (kernel smaller than stride)"),
                Case((5, 5, 1, "valid"), "n=5, k=5, s=1, valid"),
            ),
            mistakes=(
                (
                    "that is the forward conv's formula: a transposed conv grows the input, "
                    "s * (n - 1) + k for valid.",
                    lambda n, k, s, p: -(-n // s) if p == "same" else (n - k) // s + 1,
                ),
                (
                    "with k < s Keras still gives n * s (the last stamp is followed by s - k zeros): "
                    "use n * s + max(k - s, 0).",
                    lambda n, k, s, p: n * s if p == "same" else (n - 1) * s + k,
                ),
            ),
        ),
    ]
}
