"""Colab's forms in a notebook's ``parameters`` cell: reading the annotations, typing values.

Colab renders an assignment followed by a ``# @param`` comment as a form field next to the code:
a list gives a dropdown (``MODEL = "..."  # @param ["a", "b"] {allow-input: true}``), a
``{type: "slider", min: ..., max: ..., step: ...}`` a slider. Picking a value in the form
rewrites the assignment's value and keeps the comment, so the cell stays plain Python: papermill
still injects its values after it, Jupytext and nbval see a comment. The notebooks'
``parameters`` cells annotate ``MODEL``, ``M_STEPS``, ``TOLERANCE``, ``BASELINE`` and ``CMAP``
(``notebooks/README.md``).

:func:`form_fields` reads the annotations (``tests/test_colab.py`` checks that every value a form
offers is one its notebook accepts); :func:`type_parameters` changes values in a cell's source as
a learner does in the form or the editor (``scripts/colab_stack.py`` types the offline profile
in this way to execute the notebooks on Colab's package versions).
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: Colab's annotation; Colab reads it with or without the space after ``#``.
FORM_MARK = re.compile(r"#\s*@param\b")


@dataclass(frozen=True)
class FormField:
    """One annotated parameter of a Colab form.

    Attributes
    ----------
    name : str
        The variable, e.g. ``"M_STEPS"``.
    value : Any
        Its value in the cell (the form's current value).
    kind : str
        ``"dropdown"`` (from a list of choices) or Colab's ``type``: ``"slider"``,
        ``"string"``, ``"number"``, ``"integer"``, ``"boolean"``, ``"raw"``.
    choices : tuple
        A dropdown's values; empty otherwise.
    allow_input : bool
        Whether a dropdown also takes a typed value (``{allow-input: true}``).
    minimum, maximum, step : float or None
        A slider's range and step; None otherwise.
    """

    name: str
    value: Any
    kind: str
    choices: tuple[Any, ...] = ()
    allow_input: bool = False
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None

    def slider_values(self) -> list[float]:
        """Every value the slider can take, from ``minimum`` to ``maximum`` by ``step``.

        Integers when the bounds and the step are integers, as Colab then writes them.

        Raises
        ------
        ValueError
            If the field is not a slider.
        """
        if self.kind != "slider" or None in (self.minimum, self.maximum, self.step):
            raise ValueError(f"{self.name} is a {self.kind} field, not a slider.")
        count = round((self.maximum - self.minimum) / self.step)
        values = [self.minimum + k * self.step for k in range(count + 1)]
        if all(isinstance(x, int) for x in (self.minimum, self.maximum, self.step)):
            return [int(value) for value in values]
        decimals = max(len(repr(float(x)).split(".")[1]) for x in (self.minimum, self.step))
        return [round(value, decimals) for value in values]


def _options(text: str) -> dict[str, Any]:
    """Colab's ``{type: "slider", min: 8}``: keys without quotes, values in JSON."""
    quoted = re.sub(r"([{,]\s*)([A-Za-z_][\w-]*)\s*:", r'\1"\2":', text.strip())
    try:
        options = json.loads(quoted)
    except json.JSONDecodeError as error:
        raise ValueError(f"Cannot read the form options {text!r}: {error}") from None
    if not isinstance(options, dict):
        raise ValueError(f"Form options must be {{key: value, ...}}, got {text!r}.")
    return options


def _field(name: str, value: Any, annotation: str) -> FormField:
    """Parse the text after ``# @param`` for the variable ``name``."""
    annotation = annotation.strip()
    if annotation.startswith("["):
        end = annotation.index("]") + 1
        choices = tuple(ast.literal_eval(annotation[:end]))
        rest = annotation[end:].strip()
        options = _options(rest) if rest else {}
        return FormField(name, value, "dropdown", choices, bool(options.get("allow-input")))
    options = _options(annotation) if annotation else {"type": "string"}
    kind = str(options.get("type", "string"))
    if kind == "slider":
        return FormField(
            name, value, kind, minimum=options["min"], maximum=options["max"],
            step=options.get("step", 1),
        )  # fmt: skip
    return FormField(name, value, kind)


def form_fields(source: str) -> dict[str, FormField]:
    """Read the Colab form fields of a cell.

    Parameters
    ----------
    source : str
        A code cell, e.g. a notebook's ``parameters`` cell.

    Returns
    -------
    dict of str to FormField
        By variable name, in the cell's order; only the annotated assignments.

    Raises
    ------
    ValueError
        If an annotation cannot be read (say, a dropdown list that is not a Python literal).
    """
    lines = source.splitlines()
    fields = {}
    for node in ast.parse(source).body:
        if not (isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)):
            continue
        comment = lines[node.end_lineno - 1].encode()[node.end_col_offset :].decode()
        mark = FORM_MARK.search(comment)
        if mark:
            name = node.targets[0].id
            fields[name] = _field(name, ast.literal_eval(node.value), comment[mark.end() :])
    return fields


def type_parameters(source: str, values: Mapping[str, Any]) -> str:
    """Put new values into a cell's assignments, as a learner does, keeping every comment.

    ``NAME = old  # @param [...]`` becomes ``NAME = new  # @param [...]``: what Colab writes
    when a form field changes, and what a learner types without a form.

    Parameters
    ----------
    source : str
        The cell, one assignment per name (as in the notebooks' ``parameters`` cells).
    values : mapping
        Name -> new value; each written as its Python literal (``repr``).

    Returns
    -------
    str
        The new source.

    Raises
    ------
    ValueError
        If a name is not assigned in the cell: a learner could not type it there.
    """
    lines = source.splitlines(keepends=True)
    assigned = {
        node.targets[0].id: node
        for node in ast.parse(source).body
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
    }
    missing = [name for name in values if name not in assigned]
    if missing:
        raise ValueError(
            f"The cell assigns no {', '.join(missing)}; it assigns {', '.join(assigned)}."
        )
    # From the last line up, so that earlier positions stay valid.
    for name in sorted(values, key=lambda name: assigned[name].lineno, reverse=True):
        value = assigned[name].value
        first, last = value.lineno - 1, value.end_lineno - 1
        # ast's column offsets count UTF-8 bytes.
        head = lines[first].encode()[: value.col_offset].decode()
        tail = lines[last].encode()[value.end_col_offset :].decode()
        lines[first : last + 1] = [f"{head}{values[name]!r}{tail}"]
    return "".join(lines)
