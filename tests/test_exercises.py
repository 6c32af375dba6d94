"""Every exercise: its solution passes, its stub is 'not attempted', each known mistake is named,
and no answer passes by being right only on easy inputs or by pretending to be right."""

import json

import numpy as np
import pytest

import convlab
from convlab import exercises
from convlab.exercises import EXERCISES, Attempt, check, decode, encode, judge, run


def define(source):
    """Execute a code cell's source the way the notebook does and return the function it defines."""
    namespace = {"np": np}
    before = set(namespace)
    exec(source, namespace)
    (name,) = set(namespace) - before - {"__builtins__"}
    return namespace[name]


@pytest.fixture(params=list(EXERCISES))
def exercise(request):
    return EXERCISES[request.param]


def outputs(exercise, function):
    return [
        exercises._observe(exercise, case, decode(encode(function(*case.args))))
        for case in exercise.cases
    ]


def test_the_solution_passes(exercise):
    verdict = check(exercise.name, define(exercise.solution))
    assert verdict.status == "passed", verdict
    n = len(exercise.cases)
    cases = f"on all {n} cases" if n > 1 else f"({exercise.cases[0].about})"
    assert str(verdict) == f"[ok] {exercise.name}: passed - correct {cases}."


def test_the_stub_is_not_attempted(exercise):
    verdict = check(exercise.name, define(exercise.stub))
    assert verdict.status == "not attempted"
    assert "replace `raise NotImplementedError`" in verdict.detail


def test_stub_and_solution_share_signature_and_docstring(exercise):
    stub_lines = exercise.stub.splitlines()
    docstring = stub_lines[: stub_lines.index("    # Your code here.")]
    assert exercise.solution.splitlines()[: len(docstring)] == docstring
    assert docstring[0] == f"def {exercise.signature}:"


def test_each_known_mistake_is_named(exercise):
    assert exercise.mistakes or exercise.diagnose, "an exercise should anticipate mistakes"
    for message, wrong in exercise.mistakes:
        verdict = check(exercise.name, wrong)
        assert (verdict.status, verdict.detail) == ("failed", message)


def test_mistakes_are_distinguishable(exercise):
    # No two known mistakes (nor a mistake and the reference) give the same answers on every
    # case, or the feedback would be ambiguous.
    answers = [exercise.reference] + [wrong for _, wrong in exercise.mistakes]
    results = [outputs(exercise, f) for f in answers]
    compare = exercises._COMPARE[exercise.compare]
    for i in range(len(results)):
        for j in range(i + 1, len(results)):
            same = all(not compare(a, b) for a, b in zip(results[i], results[j], strict=True))
            assert not same, f"answers {i} and {j} of {exercise.name} agree on every case"


def test_feedback_never_gives_the_whole_formula(exercise):
    # Hints name the mistake; they do not hand over the answer.
    for message, _ in exercise.mistakes:
        assert "//" not in message and "max(" not in message, message


def test_array_cases_are_not_easy(exercise):
    # Answers right only on whole-number, non-negative or square inputs must fail somewhere:
    # every exercise that takes arrays has a case with fractions, one with negative numbers and
    # one with a non-square array.
    arrays = [a for case in exercise.cases for a in case.args if isinstance(a, np.ndarray)]
    if not arrays:
        return
    assert any(np.any(a != np.round(a)) for a in arrays), exercise.name
    assert any(np.any(a < 0) for a in arrays), exercise.name
    images = [a.shape[1:3] if a.ndim == 4 else a.shape for a in arrays if a.ndim >= 2]
    assert not images or any(h != w for h, w in images), exercise.name


@pytest.mark.parametrize(
    "name, wrong",
    [
        ("strided_correlate", "square"),  # assumes a square image
        ("max_pool", lambda im, k, s: np.maximum(exercises._max_pool(im, k, s), 0)),  # starts at 0
        ("conv_multichannel", lambda x, k: np.round(exercises._conv_multichannel(x, k))),  # ints
        ("transpose_by_stamps", lambda x, k, s: np.trunc(exercises._stamps(x, k, s))),  # ints
        (
            "avg_pool_same",
            lambda im, k, s: exercises._avg_pool_same(im[: min(im.shape), : min(im.shape)], k, s),
        ),
        (
            "input_gradient",
            lambda g, k: np.abs(exercises._input_gradient(g, k)),
        ),  # non-negative only
    ],
)
def test_answers_right_only_on_easy_inputs_fail(name, wrong):
    if wrong == "square":

        def wrong(image, kernel, s):
            kh, kw = kernel.shape
            size = (image.shape[0] - kh) // s + 1  # the same for rows and columns
            out = np.zeros((size, size))
            for y in range(size):
                for x in range(size):
                    out[y, x] = np.sum(image[y * s : y * s + kh, x * s : x * s + kw] * kernel)
            return out

    assert check(name, wrong).status in ("failed", "error")


def test_an_unknown_wrong_answer_points_at_the_first_failing_case():
    verdict = check("dropped_cells", lambda n, k, s, p: 3)
    assert verdict.status == "failed"
    assert verdict.detail == "wrong for n=7, k=2, s=2, p=0: expected 1, got 3."


def test_right_shape_wrong_values_shows_the_first_cell_that_differs():
    verdict = check("to_batch", lambda image: image[None, :, :, None] * 2)
    assert verdict.detail == (
        "wrong for a 7x6 image: right shape (1, 7, 6, 1), wrong values: first difference at "
        "[0, 0, 0, 0]: expected 1.5, got 3."
    )


def test_a_wrong_shape_is_reported():
    verdict = check("to_batch", lambda image: image + 0)
    assert verdict.detail == (
        "wrong for a 7x6 image: expected an array of shape (1, 7, 6, 1), got an array of shape (7, 6)."
    )


def test_forgetting_return_and_float_division_get_their_own_hint():
    assert check("dropped_cells", lambda n, k, s, p: None).detail == (
        "your function returned None: did you forget `return`?"
    )
    assert check("max_pool", lambda im, k, s: None).detail.startswith("your function returned None")
    verdict = check("dropped_cells", lambda n, k, s, p: float(exercises._dropped_cells(n, k, s, p)))
    assert verdict.detail == (
        "expected whole numbers (int), got 1.0: use // for division that rounds down, or int(...)."
    )


def test_tuples_lists_and_arrays_are_all_accepted_for_exact_answers():
    reference = exercises._same_padding
    for convert in (tuple, list, np.array, lambda v: np.array(v, dtype=np.int32)):
        verdict = check("same_padding", lambda n, k, s, d, c=convert: c(reference(n, k, s, d)))
        assert verdict.status == "passed", (convert, verdict)
    assert check(
        "dropped_cells", lambda n, k, s, p: np.int64(exercises._dropped_cells(n, k, s, p))
    ).passed
    assert (
        check("dropped_cells", lambda n, k, s, p: True).status == "failed"
    )  # a bool is not an int


def test_lists_are_accepted_for_arrays():
    solution = define(EXERCISES["max_pool"].solution)
    assert check("max_pool", lambda im, k, s: solution(im, k, s).tolist()).passed


def test_objects_that_claim_to_equal_everything_fail():
    class AlwaysEqual:
        def __eq__(self, other):
            return True

        def __array__(self, dtype=None, copy=None):
            raise RuntimeError("never asked")

    for name in ("same_padding", "max_pool", "vertical_edge_kernel"):
        verdict = check(name, lambda *args: AlwaysEqual())
        assert verdict.status == "failed"
        assert "AlwaysEqual" in verdict.detail


def test_calling_convlab_or_the_answer_key_passes_with_a_note():
    verdict = check(
        "strided_correlate",
        lambda im, k, s: convlab.conv2d(im[None, :, :, None], k[:, :, None, None], strides=s)[
            0, :, :, 0
        ],
    )
    assert str(verdict) == (
        "[ok] strided_correlate: passed - correct on all 3 cases - but it calls convlab.conv2d: "
        "the exercise is to write the loop yourself."
    )
    verdict = check(
        "max_pool",
        lambda im, k, s: convlab.naive.max_pool2d(im[None, :, :, None], k, strides=s)[0, :, :, 0],
    )
    assert "but it calls convlab.naive.max_pool2d" in verdict.detail
    verdict = check("same_padding", EXERCISES["same_padding"].reference)
    assert verdict.detail.endswith("- but it uses the reference implementation.")


def test_an_exception_is_an_error_not_a_crash():
    verdict = check("max_pool", lambda image, k, s: image[100])
    assert verdict.status == "error"
    assert verdict.detail.startswith("your function raised IndexError: index 100 is out of bounds")
    assert str(verdict).startswith("[!] max_pool: error - ")


def test_not_a_function():
    verdict = check("bn_conv_params", 42)
    assert (verdict.status, verdict.detail) == ("error", "expected a function, received int.")


def test_the_learners_arrays_cannot_corrupt_later_cases():
    def sloppy(image, k, s):
        image[:] = 0  # writes to its input
        return np.zeros(((image.shape[0] - k) // s + 1, (image.shape[1] - k) // s + 1))

    check("max_pool", sloppy)
    assert check("max_pool", define(EXERCISES["max_pool"].solution)).passed


def test_unknown_exercise_name():
    with pytest.raises(
        ValueError,
        match="check: unknown exercise 'nope'; expected one of to_batch, strided_correlate",
    ):
        check("nope", print)


def test_solution_shows_as_code():
    shown = exercises.solution("same_padding")
    assert repr(shown) == EXERCISES["same_padding"].solution
    assert shown._repr_markdown_().startswith("```python\ndef same_padding(n, k, s, d):")


def test_every_notebook_has_two_exercises_except_the_welcome():
    by_notebook = {}
    for exercise in EXERCISES.values():
        by_notebook.setdefault(exercise.notebook, []).append(exercise.name)
    assert sorted(by_notebook) == [
        "00_welcome",
        "01_sliding_windows",
        "02_padding_and_stride",
        "03_channels",
        "04_pooling",
        "05_tensorflow",
        "06_mnist",
        "07_inside",
    ]
    assert all(
        len(names) >= 2 for notebook, names in by_notebook.items() if notebook != "00_welcome"
    )
    assert exercises.names("04_pooling") == ["max_pool", "avg_pool_same"]


def test_a_verdict_line_can_be_found_again():
    verdict = check("bn_conv_params", lambda k, c, f: (k, c))
    text = f"some output\n{verdict}\nmore"
    assert exercises.Verdict.find(text, "bn_conv_params") == verdict
    assert exercises.Verdict.find(text, "dropped_cells") is None


# ------------------------------------------------------------- values as plain data
def test_encoded_values_survive_json_and_decode_to_plain_values():
    values = [
        None,
        True,
        3,
        np.int64(4),
        2.5,
        np.float32(0.5),
        "same",
        (1, [2, 3]),
        np.arange(6).reshape(2, 3),
        np.ones(2, bool),
    ]
    decoded = [decode(json.loads(json.dumps(encode(v)))) for v in values]
    assert decoded[:7] == [None, True, 3, 4, 2.5, 0.5, "same"]
    assert decoded[7] == (1, (2, 3))
    np.testing.assert_array_equal(decoded[8], np.arange(6).reshape(2, 3))
    assert decoded[8].dtype == np.int64 and decoded[9].dtype == np.bool_


def test_anything_else_is_only_a_type_name():
    class Sneaky:
        pass

    for value in (Sneaky(), {"a": 1}, np.array(["a"]), np.zeros(2, complex), print):
        data = encode(value)
        assert data["kind"] == "other" and set(data) == {"kind", "type"}
        assert isinstance(decode(data), exercises.Other)


@pytest.mark.parametrize(
    "data",
    [
        "text",
        {"kind": "int", "value": "3"},
        {"kind": "int", "value": True},
        {"kind": "array", "dtype": "float", "shape": [2], "data": [1.0]},
        {"kind": "array", "dtype": "object", "shape": [1], "data": [1]},
        {"kind": "array", "dtype": "float", "shape": [1], "data": ["1"]},
        {"kind": "sequence", "items": "12"},
        {"kind": "pickle", "value": "gASVAAAA"},
    ],
)
def test_malformed_data_decodes_to_nothing_any_check_accepts(data):
    assert isinstance(decode(data), exercises.Other)


def test_judge_needs_only_the_plain_attempt():
    attempt = run("same_padding", define(EXERCISES["same_padding"].solution))
    again = Attempt.from_dict(json.loads(json.dumps(attempt.as_dict())))
    assert judge("same_padding", again).passed
    assert (
        judge("same_padding", Attempt.from_dict({"status": "returned", "values": []})).status
        == "error"
    )
    for garbage in ("garbage", {"status": "passed"}, {"values": [1]}):
        verdict = judge("same_padding", Attempt.from_dict(garbage))
        assert (verdict.status, verdict.detail) == (
            "error",
            "no usable result came back from running the function.",
        )
