"""The course kit: learning objectives and recaps, exercise markup, self-checks, the two sets.

Cheap by design: the markup, the exports and the self-checks are checked without a kernel; one
student notebook is executed (up to its first exercise, where it must stop). That the instructor
notebooks execute and every self-check passes is checked on the executions the notebook tests
already make (``tests/test_notebooks.py::test_every_self_check_passes``): the instructor set is
the sources, cell for cell, which :func:`test_instructor_set_is_the_sources` keeps true.
"""

from __future__ import annotations

import ast
import re

import nbformat
import numpy as np
import pytest

from ig_tutorial import integrated_gradients, layer_integrated_gradients, token_attributions
from ig_tutorial.course import self_checks
from ig_tutorial.course.export import build_course, student_source
from ig_tutorial.course.markup import (
    BEGIN_SOLUTION,
    END_SOLUTION,
    find_exercises,
    markup_problems,
    solution_regions,
)
from ig_tutorial.running.cli import main
from ig_tutorial.running.runner import (
    NotebookFailure,
    execute_notebook,
    parameters_for,
    read_notebook,
)
from tests.test_notebooks import NOTEBOOK_DIR, NOTEBOOKS, TEST_PARAMETERS, notebook_id
from tests.toy_models import CountingLinearModel

#: The notebooks with exercises; 10 and 11 have the objectives and recap only.
TUTORIAL = [path for path in NOTEBOOKS if path.name[:2] not in ("10", "11")]
OBJECTIVES = re.compile(r"\A## Learning objectives\s*\n\s*\n?\*Estimated time: (\d+) minutes\.\*")


# --- Learning objectives and recap, in every numbered notebook ----------------------------------


def frame_problems(notebook) -> list[str]:
    """What the notebook's course frame lacks: objectives with a time on top, a recap at the end.

    The objectives are the cell right after the title cell and start with ``## Learning
    objectives`` then ``*Estimated time: N minutes.*`` (N > 0) and "After this notebook you
    can"; the recap is a markdown cell ``## Recap`` with "In this notebook you", right before
    the last cell (the link to the next notebook).
    """
    cells = notebook.cells
    problems = []
    top = cells[1] if len(cells) > 1 else None
    match = (
        OBJECTIVES.match(top.source) if top is not None and top.cell_type == "markdown" else None
    )
    if match is None:
        problems.append(
            "cell 2 must start '## Learning objectives' then '*Estimated time: N minutes.*'"
        )
    elif int(match[1]) <= 0:
        problems.append(f"the estimated time must be positive, got {match[1]} minutes")
    elif "After this notebook you can" not in top.source:
        problems.append("the objectives must say 'After this notebook you can ...'")
    recaps = [
        index
        for index, cell in enumerate(cells)
        if cell.cell_type == "markdown" and cell.source.startswith("## Recap")
    ]
    if len(recaps) != 1:
        problems.append(f"one '## Recap' markdown cell expected, found {len(recaps)}")
    else:
        if "In this notebook you" not in cells[recaps[0]].source:
            problems.append("the recap must say 'In this notebook you ...'")
        if recaps[0] != len(cells) - 2 or cells[-1].cell_type != "markdown":
            problems.append("the recap must come right before the last cell (the 'Next:' link)")
    return problems


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=notebook_id)
def test_notebook_has_objectives_time_and_recap(notebook):
    assert frame_problems(read_notebook(notebook)) == []


def test_the_frame_check_sees_what_is_missing(tmp_path):
    source = (NOTEBOOK_DIR / "03_interpolation.py").read_text()
    broken = source.replace("*Estimated time: 10 minutes.*", "*Estimated time: 0 minutes.*")
    broken = broken.replace("# ## Recap\n", "# ## Summary\n")
    (tmp_path / "03_x.py").write_text(broken)
    assert frame_problems(read_notebook(tmp_path / "03_x.py")) == [
        "the estimated time must be positive, got 0 minutes",
        "one '## Recap' markdown cell expected, found 0",
    ]


# --- Exercise markup ------------------------------------------------------------------------------


@pytest.mark.parametrize("notebook", TUTORIAL, ids=notebook_id)
def test_exercise_markup_follows_nbgrader(notebook):
    node = read_notebook(notebook)
    assert markup_problems(node) == []
    exercises = find_exercises(node)
    assert 1 <= len(exercises) <= 3
    for exercise in exercises:
        above = [c for c in node.cells[: exercise.solution_index] if c.cell_type == "markdown"]
        assert above[-1].source.startswith("### Exercise "), "the task comes before the solution"


def called_check(cell_source: str) -> str:
    """The one self-check function a self-check cell calls."""
    tree = ast.parse(cell_source)
    assert len(tree.body) == 1, "a self-check cell is one call"
    call = tree.body[0].value
    assert isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
    return call.func.id


def test_each_self_check_function_is_called_by_one_exercise():
    called = []
    for notebook in TUTORIAL:
        node = read_notebook(notebook)
        called += [called_check(node.cells[e.check_index].source) for e in find_exercises(node)]
    assert sorted(called) == sorted(self_checks.__all__)
    assert set(WRONG_ANSWERS) == set(self_checks.__all__)


def _cell(source: str, **nbgrader) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    if nbgrader:
        cell.metadata["nbgrader"] = {"schema_version": 3, "task": False, **nbgrader}
    return cell


def test_the_markup_check_catches_broken_markup():
    solution = dict(grade=False, solution=True, locked=False)
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        # Unpaired markers, no hint, no hide-input tag.
        _cell(f"x = None\n{BEGIN_SOLUTION}\nx = 1\n", grade_id="ex1", **solution),
        # A self-check without points, unlocked, reusing a grade_id.
        _cell("check(x)", grade_id="ex1", grade=True, solution=False, locked=False),
        # Markers outside a solution cell, an old schema, and a solution without a check.
        _cell(f"{BEGIN_SOLUTION}\n{END_SOLUTION}"),
        _cell("# Hint: h\ny = 2", grade_id="ex 2", **solution),
    ]
    notebook.cells[3].metadata["nbgrader"]["schema_version"] = 1
    problems = "\n".join(markup_problems(notebook))
    for expected in (
        "cell 1 ('x = None'): a solution cell is tagged 'hide-input'",
        f"cell 1 ('x = None'): line 2: {BEGIN_SOLUTION} without an {END_SOLUTION}.",
        "cell 2 ('check(x)'): a graded cell needs points >= 0, got None",
        "cell 2 ('check(x)'): grade_id 'ex1' already used by cell 1",
        "cell 2 ('check(x)'): a self-check cell is a locked code cell",
        "cell 3 ('### BEGIN SOLUTION'): solution markers in a cell without nbgrader metadata",
        "cell 4 ('# Hint: h'): nbgrader schema_version must be 3, got 1",
        "cell 4 ('# Hint: h'): nbgrader grade_id must be letters, digits, '_' or '-', got 'ex 2'",
        "cell 4 ('# Hint: h'): no ### BEGIN SOLUTION ... ### END SOLUTION region.",
        "solution 'ex 2' has no self-check cell",
    ):
        assert expected in problems
    with pytest.raises(ValueError, match="Wrong course markup"):
        find_exercises(notebook)


# --- Self-checks: each passes on the solution, fails with its hint on a wrong answer -------------


def _result():
    """A real IntegratedGradientsResult of a toy model, with a completeness error (2 steps)."""
    model = CountingLinearModel(height=4, width=5, num_classes=3, seed=1)
    image = np.random.default_rng(0).uniform(size=(4, 5, 3)).astype(np.float32)
    return integrated_gradients(model, image, 1, m_steps=2, output="probability")


def _cases():
    """Per self-check: (arguments with the right answer, [(wrong arguments, hint pattern)])."""
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(1, 10))
    probabilities = np.exp(logits) / np.exp(logits).sum()
    image = rng.uniform(size=(6, 6, 3))
    image[:2] = 0.0  # a black bar: the black baseline equals 2 rows of 6
    baselines = {"black": np.zeros_like(image), "white": np.ones_like(image)}
    alphas = np.array([0.0, 0.5, 1.0])
    white = np.ones_like(image)
    path = white + alphas[:, None, None, None] * (image - white)
    gradients = rng.normal(size=(5, 6, 6, 3))
    result = _result()
    results = [
        type("Fake", (), {"m_steps": m, "relative_completeness_error": e})()
        for m, e in ((8, 0.2), (16, 0.04), (32, 0.01))
    ]
    difference = result.score_difference
    attributions = rng.normal(size=(6, 6, 3))
    ig_black = {"attributions": image * 0 + np.where(image > 0, 1.0, 0.0)}
    dark = np.all(image < 0.1, axis=-1)
    by_baseline = {
        "black": type("R", (), ig_black)(),
        "white": type("R", (), {"attributions": np.ones_like(image)})(),
    }
    model = CountingLinearModel(height=4, width=5, num_classes=3, seed=1)
    photo = np.random.default_rng(0).uniform(size=(4, 5, 3)).astype(np.float32)
    top1 = int(np.argmax(model(photo[None])[0]))
    other = (top1 + 1) % 3
    explained = integrated_gradients(model, photo, top1, m_steps=64)
    return {
        "check_explanation": (
            (explained, photo, model),
            [
                ((integrated_gradients(model, photo, other, m_steps=64),), "pass the target"),
                ((integrated_gradients(model, photo, top1, m_steps=1),), "needs more steps"),
                ((explained.attributions,), "what integrated_gradients returns"),
                ((explained, photo[:2]), "explain my_image"),
            ],
        ),
        "check_top1_probability": (
            (probabilities.max(), logits),
            [((logits.max(), logits), "largest logit"), ((0.01, logits), "not the largest")],
        ),
        "check_most_hidden": (
            ("black", image, baselines),
            [(("white", image, baselines), "another baseline hides more"), (("grey",), "one of")],
        ),
        "check_interpolation": (
            (path, white, image, alphas),
            [
                ((alphas[:, None, None, None] * image, white, image, alphas), "At alpha = 0"),
                ((path[:2], white, image, alphas), "one image per alpha"),
                ((path[::-1], white, image, alphas), "At alpha = 0"),
            ],
        ),
        "check_toy_integrated_gradients": (
            (0.8025, 1.5),
            [((0.0, 1.5), "gradient at x"), ((0.535, 1.5), "multiply it by"), ((0.7, 1.5), "2%")],
        ),
        "check_left_riemann": (
            (gradients[:-1].mean(axis=0), gradients),
            [
                ((gradients[1:].mean(axis=0), gradients), "right Riemann"),
                ((gradients.mean(axis=0), gradients), "all m \\+ 1 points"),
                ((gradients.mean(axis=(0, 1)), gradients), "image's shape"),
            ],
        ),
        "check_enough_steps": (
            (16, results),
            [((32, results), "fewer steps"), ((8, results), "20.00%"), ((12, results), "one of")],
        ),
        "check_completeness_error": (
            (abs(result.attribution_sum - difference) / abs(difference), result),
            [((abs(result.attribution_sum - difference), result), "divide it by")],
        ),
        "check_hides_dark": (
            ("black", by_baseline, dark),
            [(("white", by_baseline, dark), "another baseline gives them less")],
        ),
        "check_polynomial_rules": (
            (1.25, 1.0),
            [((1.0, 1.25), "swapped"), ((1.25, 1.5), "is not the rule's")],
        ),
        "check_clip_value": (
            (np.percentile(np.abs(attributions).sum(axis=-1), 99), attributions),
            [
                ((np.percentile(np.abs(attributions), 99), attributions), "channels first"),
                ((np.abs(attributions).sum(axis=-1).max(), attributions), "100th percentile"),
            ],
        ),
    }


def _text_cases():
    """Notebook 12's self-checks, on a linear text model whose attributions are exact."""
    from tests.test_layer_attribution import IDS, linear_text_model

    model = linear_text_model()
    result = layer_integrated_gradients(model, IDS, 1, layer="embedding", m_steps=2)
    attributed = token_attributions(model, IDS, 1, m_steps=2)
    vocabulary = [f"w{i}" for i in range(10)]
    tokens, values = attributed.tokens(vocabulary), attributed.token_values
    lowest, highest = tokens[int(np.argmin(values))], tokens[int(np.argmax(values))]
    middle = next(t for t in tokens if t not in (lowest, highest))
    return {
        "check_token_sums": (
            (result.attributions.sum(axis=-1), result),
            [
                ((result.attributions.sum(axis=0), result), "one number per embedding dimension"),
                ((np.abs(result.attributions).sum(axis=-1), result), "absolute values"),
                ((result.attributions.sum(axis=-1)[:3], result), "summed over its last axis"),
            ],
        ),
        "check_strongest_token": (
            (lowest, attributed, vocabulary),
            [
                ((highest,), "pushed the score \\*up\\*"),
                ((middle,), "more negative one"),
                (("w9",), "is not a token of the sentence"),
                ((3,), "must be a token"),
            ],
        ),
    }


def _faithfulness_cases():
    """Notebook 13's self-checks, on a small made-up map and curve."""
    rng = np.random.default_rng(3)
    image = rng.uniform(0.1, 1.0, size=(10, 10, 3))
    attributions = rng.normal(size=(10, 10, 3))
    signed = attributions.sum(axis=-1)

    def deleting(values):
        deleted = image.copy()
        rows, columns = np.unravel_index(np.argsort(-values, axis=None)[:10], values.shape)
        deleted[rows, columns] = 0.0
        return deleted

    by_channel = image.copy()
    by_channel[attributions > np.quantile(attributions, 0.9)] = 0.0
    probabilities = np.array([0.9, 0.5, 0.3, 0.2, 0.1])
    curve = type("Curve", (), {"probabilities": probabilities, "auc": 0.375})()
    return {
        "check_deleted_pixels": (
            (deleting(signed), image, attributions, 0.1),
            [
                ((deleting(np.abs(signed)),), "largest \\*absolute\\* values"),
                ((deleting(-signed),), "\\*smallest\\* sums"),
                ((by_channel,), "not black in all three channels"),
                ((image.copy(),), "deleted equals the image"),
                ((image[:5],), "must be a copy of the image"),
            ],
        ),
        "check_curve_area": (
            (0.375, curve),
            [
                ((probabilities.mean(),), "mean of the points"),
                ((1.5,), "now divide by the number of steps"),
                ((probabilities.sum() / 4,), "Count the two ends half"),
                ((0.9,), "got 0.9000"),
            ],
        ),
    }


def _any_model_cases():
    """Notebook 14's self-checks: a made-up sequence map, and a small model of named inputs."""
    import keras

    rng = np.random.default_rng(14)
    attributions = rng.normal(size=(40, 2))
    sequence = type("Result", (), {"attributions": attributions})()
    window, magnitude = slice(15, 21), np.abs(attributions)
    share = magnitude[window, 0].sum() / magnitude.sum()
    keras.utils.set_random_seed(14)
    a, b = keras.Input((4,), name="a"), keras.Input((2,), name="b")
    category = keras.Input((1,), name="category", dtype="int32")
    embedded = keras.layers.Flatten()(keras.layers.Embedding(3, 2)(category))
    joined = keras.layers.Concatenate()([a, b, embedded])
    model = keras.Model({"a": a, "b": b, "category": category}, keras.layers.Dense(2)(joined))
    example = {
        "a": rng.normal(size=4).astype("float32"),
        "b": rng.normal(size=2).astype("float32"),
        "category": np.array([1], "int32"),
    }

    def attributed(**fixed):
        baseline = {"a": None, "b": None, "category": None, **fixed}
        return integrated_gradients(model, example, 1, baseline=baseline, output="logit", m_steps=2)

    right = attributed(b=example["b"])
    return {
        "check_window_share": (
            (share, sequence, window),
            [
                ((magnitude[window].sum() / magnitude.sum(),), "both channels"),
                ((attributions[window, 0].sum() / attributions.sum(),), "signed"),
                ((magnitude[window, 0].sum(),), "not a share"),
                ((magnitude[15:20, 0].sum() / magnitude.sum(),), "One step short"),
                ((share / 2,), "is not the window's share"),
            ],
        ),
        "check_held_fixed": (
            (right, example, "b"),
            [
                ((attributed(),), "'b' still gets attributions"),
                ((attributed(a=example["a"], b=example["b"]),), "'a' got no attribution either"),
                ((right.attributions,), "what integrated_gradients returns"),
            ],
        ),
    }


CASES = _cases() | _text_cases() | _faithfulness_cases() | _any_model_cases()
WRONG_ANSWERS = {name: wrong for name, (_, wrong) in CASES.items()}


@pytest.mark.parametrize("name", sorted(CASES))
def test_self_check_passes_on_the_solution_and_fails_with_a_hint(name, capsys):
    check = getattr(self_checks, name)
    right, wrong_answers = CASES[name]
    check(*right)
    assert capsys.readouterr().out.startswith("Correct: ")
    for wrong, hint in wrong_answers:
        arguments = (*wrong, *right[len(wrong) :])  # a wrong answer, the rest as for the right one
        with pytest.raises(AssertionError, match=hint):
            check(*arguments)
        assert "Correct" not in capsys.readouterr().out
    with pytest.raises(AssertionError, match="No answer yet"):
        check(None, *right[1:])


# --- The student and instructor sets ------------------------------------------------------------


def solution_lines(notebook) -> tuple[set[str], set[str]]:
    """The non-blank lines inside the solution regions (markers included), and all the others."""
    inside, outside = set(), set()
    for cell in notebook.cells:
        lines = cell.source.splitlines()
        regions = solution_regions(cell.source) if cell.cell_type == "code" else []
        hidden = {number for begin, end in regions for number in range(begin, end + 1)}
        for number, line in enumerate(lines):
            if line.strip():
                (inside if number in hidden else outside).add(line.strip())
    return inside, outside


def leaked_solutions(student, source) -> list[str]:
    """Lines only the source's solutions have (and the markers) that the student notebook has."""
    inside, outside = solution_lines(source)
    secret = inside - outside
    return sorted(
        {line.strip() for cell in student.cells for line in cell.source.splitlines()} & secret
    )


@pytest.fixture(scope="module")
def course_sets(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    return {name: build_course(NOTEBOOKS, root / name, name) for name in ("student", "instructor")}


def test_student_set_contains_no_solution_text(course_sets):
    for exported in course_sets["student"]:
        student = nbformat.read(exported.path, as_version=4)
        assert leaked_solutions(student, read_notebook(exported.source)) == [], exported.path.name
        assert all(not cell.get("outputs") for cell in student.cells)


def test_the_leak_check_sees_a_solution_left_in(course_sets):
    exported = next(e for e in course_sets["student"] if e.exercises)
    source = read_notebook(exported.source)
    student = nbformat.read(exported.path, as_version=4)
    exercise = find_exercises(source)[0]
    student.cells[exercise.solution_index].source += f"\n{END_SOLUTION}"
    assert leaked_solutions(student, source) == [END_SOLUTION]
    student.cells[exercise.solution_index] = source.cells[exercise.solution_index]
    assert BEGIN_SOLUTION in leaked_solutions(student, source)


def test_student_stubs_raise_the_hint_and_self_checks_then_fail_with_a_hint(course_sets):
    for exported in course_sets["student"]:
        source = read_notebook(exported.source)
        student = nbformat.read(exported.path, as_version=4)
        for exercise in find_exercises(source):
            namespace: dict = {}
            with pytest.raises(NotImplementedError) as stub:
                exec(student.cells[exercise.solution_index].source, namespace)
            assert str(stub.value) == exercise.hint
            check_cell = student.cells[exercise.check_index].source
            assert check_cell == source.cells[exercise.check_index].source
            # The answer the self-check gets first is still None: it fails with a hint.
            call = ast.parse(check_cell).body[0].value
            answer = call.args[0].id
            assert namespace[answer] is None
            check = getattr(self_checks, called_check(check_cell))
            with pytest.raises(AssertionError, match=f"No answer yet: {answer} is still None"):
                check(*[None] * len(call.args), **{k.arg: None for k in call.keywords})


def test_instructor_set_is_the_sources(course_sets):
    for exported in course_sets["instructor"]:
        instructor = nbformat.read(exported.path, as_version=4)
        source = read_notebook(exported.source)
        assert [(c.cell_type, c.source, c.metadata) for c in instructor.cells] == [
            (c.cell_type, c.source, c.metadata) for c in source.cells
        ]
        assert "jupytext" not in instructor.metadata  # no pairing in a learner's Jupyter
        assert instructor.metadata["kernelspec"]["name"] == "python3"
    assert sum(e.exercises for e in course_sets["instructor"] if e.source in TUTORIAL) >= 9


def test_student_source_keeps_the_code_around_the_solution():
    source = "# Hint: add one\nx = None\n    ### BEGIN SOLUTION\n    x = 1\n    ### END SOLUTION\nx"
    assert student_source(source) == (
        "# Hint: add one\nx = None\n    raise NotImplementedError('add one')\nx"
    )


def test_broken_markup_writes_nothing(tmp_path):
    broken = (NOTEBOOK_DIR / "03_interpolation.py").read_text().replace(END_SOLUTION, "")
    (tmp_path / "03_broken.py").write_text(broken)
    out = tmp_path / "student"
    with pytest.raises(ValueError, match=r"03_broken\.py: Wrong course markup"):
        build_course([NOTEBOOKS[0], tmp_path / "03_broken.py"], out, "student")
    assert not out.exists()


def test_the_sets_never_overwrite_the_sources():
    with pytest.raises(ValueError, match="would overwrite the notebooks"):
        build_course(NOTEBOOKS[:1], NOTEBOOK_DIR, "student")


def test_cli_writes_both_sets(tmp_path, capsys):
    status = main(
        ["course", "--student", str(tmp_path / "s"), "--instructor", str(tmp_path / "i")]
        + ["--notebooks", "03", "05"]
    )
    printed = capsys.readouterr().out
    assert status == 0
    assert f"student: {tmp_path / 's' / '03_interpolation.ipynb'} (1 exercise(s))" in printed
    assert "Wrote the instructor set: 2 notebook(s), 3 exercise(s)." in printed
    assert sorted(p.name for p in (tmp_path / "i").iterdir()) == [
        "03_interpolation.ipynb",
        "05_integration.ipynb",
    ]
    student = nbformat.read(tmp_path / "s" / "05_integration.ipynb", as_version=4)
    assert "NotImplementedError" in "".join(c.source for c in student.cells)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ([], "Give --student DIR, --instructor DIR, or both."),
        (["--student", "x", "--instructor", "x"], "name the same folder"),
    ],
)
def test_cli_errors_are_clear(arguments, message, capsys):
    assert main(["course", *arguments]) == 2
    assert message in capsys.readouterr().err


# --- One student notebook, executed: it stops at the first exercise with the hint ---------------


@pytest.mark.slow
def test_student_notebook_stops_at_its_first_exercise(tmp_path):
    notebook = NOTEBOOK_DIR / "03_interpolation.py"
    (exported,) = build_course([notebook], tmp_path / "student", "student")
    first = find_exercises(read_notebook(notebook))[0]
    parameters = parameters_for(read_notebook(exported.path), TEST_PARAMETERS)
    with pytest.raises(NotebookFailure) as caught:
        execute_notebook(exported.path, tmp_path / "run", parameters)
    failure = caught.value
    assert failure.error_name == "NotImplementedError"
    assert failure.error_value == first.hint
    assert failure.cell_number == first.solution_index + 1
    executed = nbformat.read(failure.executed, as_version=4)
    added = {"injected-parameters", "papermill-error-cell-tag"}  # papermill's own cells
    source_cells = [c for c in executed.cells if not added & set(c.metadata.get("tags", []))]
    later = [c for c in source_cells[first.solution_index + 1 :] if c.cell_type == "code"]
    # Papermill marks the cells it did not reach "pending"; they have no outputs.
    assert later, "the exercise is followed by its self-check"
    for cell in later:
        assert cell.metadata.papermill.status == "pending" and cell.outputs == [], cell.source
