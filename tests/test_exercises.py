"""Every exercise: its solution passes, its stub is 'not attempted', each known mistake is named."""

import numpy as np
import pytest

from convlab import exercises
from convlab.exercises import EXERCISES, check


def define(source, tf=None):
    """Execute a code cell's source the way the notebook does and return the function it defines."""
    namespace = {"np": np}
    if tf is not None:
        namespace["tf"] = tf
    before = set(namespace)
    exec(source, namespace)
    (name,) = set(namespace) - before - {"__builtins__"}
    return namespace[name]


@pytest.fixture(params=list(EXERCISES))
def exercise(request):
    return EXERCISES[request.param]


def test_the_solution_passes(exercise, tf):
    verdict = check(exercise.name, define(exercise.solution, tf))
    assert verdict.status == "passed", verdict
    cases = f"on all {len(exercise.cases)} cases" if len(exercise.cases) > 1 else "on the test case"
    assert str(verdict) == f"[ok] {exercise.name}: passed - correct {cases}."


def test_the_stub_is_not_attempted(exercise):
    verdict = check(exercise.name, define(exercise.stub))
    assert verdict.status == "not attempted"
    assert "replace `raise NotImplementedError`" in verdict.detail


def test_stub_and_solution_share_signature_and_docstring(exercise):
    stub_head = exercise.stub.splitlines()[:2]
    assert exercise.solution.splitlines()[:2] == stub_head
    assert stub_head[0] == f"def {exercise.signature}:"


def test_each_known_mistake_is_named(exercise):
    assert exercise.mistakes, "an exercise should anticipate at least one mistake"
    for message, wrong in exercise.mistakes:
        verdict = check(exercise.name, wrong)
        assert (verdict.status, verdict.detail) == ("failed", message)


def test_mistakes_are_distinguishable(exercise):
    # No two known mistakes (nor a mistake and the reference) give the same answers on every case,
    # or the feedback would be ambiguous.
    answers = [exercise.reference] + [wrong for _, wrong in exercise.mistakes]
    outputs = [[np.asarray(f(*case.args), dtype=float) for case in exercise.cases] for f in answers]
    for i in range(len(outputs)):
        for j in range(i + 1, len(outputs)):
            same = all(
                a.shape == b.shape and np.allclose(a, b)
                for a, b in zip(outputs[i], outputs[j], strict=True)
            )
            assert not same, f"answers {i} and {j} of {exercise.name} agree on every case"


def test_an_unknown_wrong_answer_points_at_the_first_failing_case():
    verdict = check("output_size", lambda n, k, s, p: 3)
    assert verdict.status == "failed"
    assert verdict.detail == "wrong for n=32, k=5, s=1, p=0: expected 28, got 3."


def test_a_wrong_shape_is_reported():
    verdict = check("to_batch", lambda image: image)
    assert (
        verdict.detail
        == "wrong for a 7x6 image: expected an array of shape (1, 7, 6, 1), got an array of shape (7, 6)."
    )


def test_an_exception_is_an_error_not_a_crash():
    verdict = check("max_pool", lambda image, k, s: image[100])
    assert verdict.status == "error"
    assert verdict.detail.startswith("your function raised IndexError: index 100 is out of bounds")
    assert str(verdict).startswith("[!] max_pool: error - ")


def test_not_a_function():
    verdict = check("conv_params", 42)
    assert (verdict.status, verdict.detail) == ("error", "expected a function, received int.")


def test_the_learners_arrays_cannot_corrupt_later_cases():
    def sloppy(image, kernel):
        image[:] = 0  # writes to its input
        return np.zeros(
            (image.shape[0] - kernel.shape[0] + 1, image.shape[1] - kernel.shape[1] + 1)
        )

    check("correlate2d", sloppy)
    assert check("correlate2d", define(EXERCISES["correlate2d"].solution)).passed


def test_unknown_exercise_name():
    with pytest.raises(
        ValueError, match="check: unknown exercise 'nope'; expected one of to_batch, correlate2d"
    ):
        check("nope", print)


def test_solution_shows_as_code():
    shown = exercises.solution("same_padding")
    assert repr(shown) == EXERCISES["same_padding"].solution
    assert shown._repr_markdown_().startswith("```python\ndef same_padding(n, k, s):")


def test_every_notebook_has_exercises():
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
    ]
    assert all(
        len(names) >= 2 for notebook, names in by_notebook.items() if notebook != "00_welcome"
    )
    assert exercises.names("04_pooling") == ["max_pool", "avg_pool_same"]


def test_a_verdict_line_can_be_found_again():
    verdict = check("conv_params", lambda k, c, f: k * k * c * f)
    text = f"some output\n{verdict}\nmore"
    assert exercises.Verdict.find(text, "conv_params") == verdict
    assert exercises.Verdict.find(text, "output_size") is None
