"""Colab's forms on the parameters cells: every value a form offers is one its notebook accepts.

The ``parameters`` cells annotate ``MODEL``, ``BASELINE`` and ``CMAP`` as dropdowns and
``M_STEPS`` and ``TOLERANCE`` as sliders (``# @param``), so that a learner on Colab changes them
without editing code. Each value is checked with what the notebooks pass it to: the baseline
names with ``make_baseline``, the colour maps with matplotlib, the step counts with the package's
argument check (also the eighth of it that notebooks 5 and 8 take first), the tolerances with the
adaptive rule's. The default and the offline profile's value must be in the form too. Papermill's
injection after the annotated cell still sets the values.
"""

from __future__ import annotations

import inspect

import matplotlib
import nbformat
import pytest
import tensorflow as tf

from ig_tutorial import make_baseline
from ig_tutorial.checks import steps_or_auto
from ig_tutorial.ig.adaptive_steps import check_adaptive_settings
from ig_tutorial.ig.integrated_gradients import integrated_gradients
from ig_tutorial.running.runner import load_parameters, parameter_names, read_notebook
from ig_tutorial.sources import BUNDLED_MODEL, TUTORIAL_MODEL
from tests.test_colab_stack import colab_stack
from tests.test_notebooks import NOTEBOOKS, OFFLINE, notebook_id, parameters_cell

# The forms are read by scripts/colab_stack.py, the one user outside the tests.
FormField, form_fields, type_parameters = (
    colab_stack.FormField,
    colab_stack.form_fields,
    colab_stack.type_parameters,
)

#: The form each shared parameter gets wherever a notebook declares it.
FORM_KINDS = {
    "MODEL": "dropdown",
    "M_STEPS": "slider",
    "BASELINE": "dropdown",
    "CMAP": "dropdown",
    "TOLERANCE": "slider",
}
PROFILE = load_parameters([OFFLINE])
_DEFAULTS = inspect.signature(integrated_gradients).parameters


def form_values(form: FormField) -> list:
    return form.slider_values() if form.kind == "slider" else list(form.choices)


def rejected(name: str, value) -> str:
    """Why the notebooks would not take ``value`` for ``name``; empty when they do."""
    try:
        if name == "MODEL" and value not in (TUTORIAL_MODEL, BUNDLED_MODEL):
            return "neither the tutorial's model nor the bundled one"
        if name == "BASELINE":
            make_baseline(value, tf.zeros((4, 4, 3)), seed=0)
        if name == "CMAP":
            matplotlib.colormaps[value]
        if name == "M_STEPS":
            # Notebooks 5 and 8 also integrate with M_STEPS // 8, // 4 and // 2 steps.
            if steps_or_auto(value) % 8:
                return "not a multiple of 8"
            steps_or_auto(value // 8)
        if name == "TOLERANCE":
            check_adaptive_settings(
                _DEFAULTS["method"].default, value, _DEFAULTS["max_steps"].default
            )
    except (ValueError, TypeError, KeyError) as error:
        return f"{type(error).__name__}: {error}"
    return ""


def form_problems(notebook) -> list[str]:
    """What is wrong with a notebook's forms: a value it does not accept, a missing form."""
    forms = form_fields(parameters_cell(notebook).source)
    declared = parameter_names(notebook)
    problems = [
        f"{name} has no {kind} form (# @param)"
        for name, kind in FORM_KINDS.items()
        if name in declared and (name not in forms or forms[name].kind != kind)
    ]
    for name, form in forms.items():
        if name not in FORM_KINDS:
            problems.append(f"{name} has a form; only {', '.join(FORM_KINDS)} do")
            continue
        values = form_values(form)
        problems += [f"{name} = {v!r}: {why}" for v in values if (why := rejected(name, v))]
        for where, value in (("default", form.value), ("offline profile", PROFILE.get(name))):
            if value not in values:
                problems.append(f"{name}: the {where}'s {value!r} is not in the form")
        if name == "MODEL" and set(values) != {TUTORIAL_MODEL, BUNDLED_MODEL}:
            problems.append(f"MODEL's dropdown must offer {TUTORIAL_MODEL} and {BUNDLED_MODEL}")
    return problems


def notebook_with_parameters(source: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["parameters"]})
    return nbformat.v4.new_notebook(cells=[cell])


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=notebook_id)
def test_every_form_value_is_one_the_notebook_accepts(notebook):
    assert form_problems(read_notebook(notebook)) == []


def test_the_form_check_catches_a_bad_choice_and_a_missing_form():
    source = (
        'MODEL = "efficientnet-lite0"  # @param ["efficientnet-lite0", "inception"]\n'
        'BASELINE = "black"  # @param ["black", "blak"]\n'
        'M_STEPS = 240  # @param {type:"slider", min:12, max:480, step:12}\n'
        "CMAP = 'inferno'\n"
    )
    problems = form_problems(notebook_with_parameters(source))
    assert "MODEL = 'inception': neither the tutorial's model nor the bundled one" in problems
    assert any(p.startswith("BASELINE = 'blak': ValueError: Unknown baseline") for p in problems)
    assert "M_STEPS = 12: not a multiple of 8" in problems
    assert "M_STEPS: the offline profile's 256 is not in the form" in problems
    assert "CMAP has no dropdown form (# @param)" in problems


def test_forms_are_read_as_colab_writes_them():
    source = (
        'MODEL = "m"  #@param ["m", "n"] {allow-input: true}\n'
        "IMAGES = {'A': 'a'}\n"
        'TOLERANCE = 0.01  # @param {type:"slider", min:0.005, max:0.02, step:0.005}\n'
    )
    forms = form_fields(source)
    assert list(forms) == ["MODEL", "TOLERANCE"]
    assert forms["MODEL"] == FormField("MODEL", "m", "dropdown", ("m", "n"), allow_input=True)
    assert forms["TOLERANCE"].slider_values() == [0.005, 0.01, 0.015, 0.02]
    with pytest.raises(ValueError, match="MODEL is a dropdown field, not a slider"):
        forms["MODEL"].slider_values()


def test_typing_a_value_keeps_the_form():
    cell = parameters_cell(read_notebook(NOTEBOOKS[0])).source
    typed = type_parameters(cell, {"MODEL": BUNDLED_MODEL, "OUTPUT_DIR": "elsewhere"})
    assert form_fields(typed)["MODEL"].value == BUNDLED_MODEL
    assert form_fields(typed)["MODEL"].choices == form_fields(cell)["MODEL"].choices
    assert typed.endswith("OUTPUT_DIR = 'elsewhere'")
    untyped = typed.replace(repr(BUNDLED_MODEL), f'"{TUTORIAL_MODEL}"', 1)
    assert untyped.replace("'elsewhere'", '"outputs"') == cell, "only the values changed"
    with pytest.raises(ValueError, match="The cell assigns no EPOCHS"):
        type_parameters(cell, {"EPOCHS": 3})


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=notebook_id)
def test_papermill_still_injects_after_the_annotated_cell(notebook):
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    node = load_notebook_node(str(notebook.with_suffix(".ipynb")))
    wanted = {name: PROFILE[name] for name in parameter_names(node) if name in PROFILE}
    injected = parameterize_notebook(node, wanted, kernel_name="python3", language="python")
    namespace: dict = {}
    for cell in injected.cells:
        if {"parameters", "injected-parameters"} & set(cell.metadata.get("tags", [])):
            exec(cell.source, namespace)  # the cell and papermill's, in notebook order
    assert {name: namespace[name] for name in wanted} == wanted
