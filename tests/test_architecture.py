"""The package's shape: imports flow one way, one module calls the model, back-links are true."""

from __future__ import annotations

import ast
import importlib
import re
import sys
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
import tensorflow as tf

import ig_tutorial
from benchmarks.information_curves import information_curves
from benchmarks.tutorial_reference import make_tutorial_integrated_gradients
from ig_tutorial.ig.batching import choose_batch_size
from ig_tutorial.ig.convergence import convergence_study
from ig_tutorial.ig.ensembles import (
    integrated_gradients_over_baselines,
    smoothgrad_integrated_gradients,
)
from ig_tutorial.ig.faithfulness import deletion_and_insertion, random_map
from ig_tutorial.ig.guided_ig import guided_integrated_gradients
from ig_tutorial.ig.idgi import idgi
from ig_tutorial.ig.integrated_gradients import integrated_gradients, integrated_gradients_many
from ig_tutorial.ig.path_methods import blur_integrated_gradients

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "ig_tutorial"
SEAM = "ig_tutorial.ig.gradients"

# The data flow, lowest layer first: a module may import its own layer and the layers before it.
LAYERS = (
    ("ig_tutorial.checks", "ig_tutorial.cache", "ig_tutorial.progress", "ig_tutorial.sources"),
    ("ig_tutorial.images", "ig_tutorial.models", "ig_tutorial.text"),
    ("ig_tutorial.ig",),
    ("ig_tutorial.plotting",),
    ("ig_tutorial.batch",),
    ("ig_tutorial.course",),
    ("ig_tutorial.running",),
)


def _layer(module: str) -> int | None:
    for index, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return index
    return None


def _imported_modules(tree: ast.AST) -> set[str]:
    """Every ig_tutorial module a file imports, at the top, inside functions or TYPE_CHECKING."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return {name for name in found if name.startswith("ig_tutorial.")}


def layering_violations(package: Path) -> list[str]:
    """``"a imports b"`` for each import that reaches up the data flow."""
    violations = []
    for path in sorted(package.rglob("*.py")):
        module = ".".join(path.relative_to(package.parent).with_suffix("").parts)
        module = module.removesuffix(".__init__")
        own = _layer(module)
        if own is None:
            continue
        for imported in sorted(_imported_modules(ast.parse(path.read_text()))):
            other = _layer(imported)
            if other is not None and other > own:
                violations.append(f"{module} imports {imported}")
    return violations


def test_imports_flow_one_way():
    assert layering_violations(PACKAGE) == []


def test_the_layering_check_catches_an_import_up_the_flow(tmp_path):
    core = tmp_path / "ig_tutorial" / "ig"
    core.mkdir(parents=True)
    (core / "method.py").write_text(
        "def draw():\n    from ig_tutorial.plotting.tutorial_figures import plot_images\n"
    )
    (core / "typed.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
        "    from ig_tutorial.running import runner\n"
    )
    assert layering_violations(tmp_path / "ig_tutorial") == [
        "ig_tutorial.ig.method imports ig_tutorial.plotting.tutorial_figures",
        "ig_tutorial.ig.method imports ig_tutorial.plotting.tutorial_figures.plot_images",
        "ig_tutorial.ig.typed imports ig_tutorial.running",
        "ig_tutorial.ig.typed imports ig_tutorial.running.runner",
    ]


class CallerRecordingModel(tf.Module):
    """A small linear classifier that records which ig_tutorial module called it."""

    def __init__(self) -> None:
        super().__init__()
        rng = np.random.default_rng(0)
        self.weights = tf.constant(rng.normal(size=(6 * 6 * 3, 5)), tf.float32)
        self.labels = None
        self.callers: set[str] = set()

    def __call__(self, images: tf.Tensor) -> tf.Tensor:
        frame = sys._getframe(1)
        # Skip TensorFlow's and autograph's frames: the nearest package frame is the caller.
        while frame is not None and not frame.f_globals.get("__name__", "").startswith(
            "ig_tutorial"
        ):
            frame = frame.f_back
        self.callers.add(frame.f_globals["__name__"] if frame else "<outside ig_tutorial>")
        flat = tf.reshape(images, (tf.shape(images)[0], -1))
        return tf.sin(flat @ self.weights)


def _refined(model, image):
    with pytest.warns(UserWarning, match="did not meet tolerance"):
        result = integrated_gradients(model, image, 1, m_steps="auto", tolerance=1e-9, max_steps=40)
    assert result.num_evaluations == 41 and result.refinement.node_rounds.max() > 0
    return result


def test_every_method_calls_the_model_only_through_the_seam():
    image = tf.random.stateless_uniform((6, 6, 3), seed=(1, 2))
    calls = {
        "fixed steps": lambda m: integrated_gradients(m, image, "top-1", m_steps=4),
        "auto steps": lambda m: integrated_gradients(m, image, 1, m_steps="auto", tolerance=0.5),
        # Refining rounds too (gradients at the midpoints), until max_steps warns.
        "auto refinement": lambda m: _refined(m, image),
        "batch size": lambda m: choose_batch_size(m, (6, 6, 3), candidates=(2, 4)),
        "blur": lambda m: blur_integrated_gradients(m, image, "top-1", max_sigma=2.0, steps=3),
        "baselines": lambda m: integrated_gradients_over_baselines(
            m, image, 2, ["black", "uniform"], m_steps=2
        ),
        "smoothgrad": lambda m: smoothgrad_integrated_gradients(
            m, image, "top-1", num_samples=2, m_steps=2
        ),
        "convergence": lambda m: convergence_study(
            m, image, 3, methods=("riemann_left",), steps=(2,), reference_steps=4
        ),
        "guided ig": lambda m: guided_integrated_gradients(m, image, "top-1", steps=3),
        "idgi": lambda m: idgi(m, image, 1, m_steps=3, batch_size=2),
        "idgi guided": lambda m: idgi(m, image, 1, m_steps=3, path="guided"),
        "deletion and insertion": lambda m: deletion_and_insertion(
            m, image, "top-1", random_map(image), step=12, batch_size=2
        ),
        "information curves (benchmarks/)": lambda m: information_curves(
            m, image, 1, random_map(image), thresholds=(0.2, 0.5), min_pred_value=0.0
        ),
    }
    for name, call in calls.items():
        model = CallerRecordingModel()  # fresh, so nothing compiled for another model is reused
        call(model)
        assert model.callers == {SEAM}, name


def test_the_seam_check_sees_a_direct_call():
    model = CallerRecordingModel()
    tutorial_ig = make_tutorial_integrated_gradients(model)
    tutorial_ig(tf.zeros((6, 6, 3)), tf.ones((6, 6, 3)), 0, m_steps=2, batch_size=2)
    assert model.callers == {"<outside ig_tutorial>"}


# "Taught in ``notebooks/NN_name.py``", optionally "through ``what the notebook writes``".
BACK_LINK = re.compile(r"Taught in\s+``notebooks/([0-9]{2}_\w+\.py)``(?:\s+through\s+``(.+?)``)?")


def false_back_links(package: Path, notebooks: Path) -> list[str]:
    """Each docstring's "Taught in ``notebooks/NN_x.py``" whose notebook does not use its names.

    A function's back-link must name a notebook that uses the function; a module's, a notebook
    that uses at least one of the module's public names. A link that says "through ``code``"
    must name a notebook whose source contains that code.
    """
    problems = []
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text())
        public = {
            node.name
            for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_")
        }
        documented = [(path.stem, ast.get_docstring(tree) or "", public)]
        documented += [
            (node.name, ast.get_docstring(node) or "", {node.name})
            for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.ClassDef))
        ]
        for owner, docstring, names in documented:
            for notebook, through in BACK_LINK.findall(" ".join(docstring.split())):
                source = notebooks / notebook
                text = source.read_text() if source.is_file() else ""
                used = (
                    through in text
                    if through
                    else any(re.search(rf"\b{name}\b", text) for name in names)
                )
                if not used:
                    problems.append(f"{path.relative_to(package.parent)}: {owner} -> {notebook}")
    return problems


def test_back_links_to_notebooks_are_true():
    assert false_back_links(PACKAGE, ROOT / "notebooks") == []


def test_the_back_link_check_catches_a_false_one(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "helpers.py").write_text(
        'def batch_size():\n    """Choose.\n\n    Taught in ``notebooks/05_integration.py``."""\n'
    )
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "05_integration.py").write_text("integrated_gradients(...)\n")
    (tmp_path / "pkg" / "steps.py").write_text(
        '"""Auto.\n\nTaught in ``notebooks/05_integration.py``\nthrough ``m_steps="auto"``."""\n'
    )
    assert false_back_links(tmp_path / "pkg", tmp_path / "notebooks") == [
        "pkg/helpers.py: batch_size -> 05_integration.py",
        "pkg/steps.py: steps -> 05_integration.py",
    ]


def test_the_package_exports_what_notebooks_and_readme_use():
    used = " ".join(
        path.read_text()
        for path in [*sorted((ROOT / "notebooks").glob("*.py")), ROOT / "README.md"]
    )
    unused = [name for name in ig_tutorial.__all__ if not re.search(rf"\b{name}\b", used)]
    assert unused == []
    imported = set()
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("ig_tutorial"):
                assert node.module == "ig_tutorial", f"{path.name} imports from {node.module}"
                imported |= {alias.name for alias in node.names}
    assert imported <= set(ig_tutorial.__all__)


@pytest.mark.parametrize("name", ig_tutorial.__all__)
def test_every_exported_name_exists(name):
    assert getattr(ig_tutorial, name) is not None


# docs/architecture.md's module map: one row a module, "| `path` | taught in ... or machinery |".
MAP_ROW = re.compile(r"^\|\s*`([\w/]+\.py)`\s*\|\s*([^|]+?)\s*\|", re.MULTILINE)


def package_modules(package: Path) -> set[str]:
    """Every module of the package, as a path relative to it (``ig/gradients.py``)."""
    return {
        path.relative_to(package).as_posix()
        for path in package.rglob("*.py")
        if path.name != "__init__.py" and "__pycache__" not in path.parts
    }


def module_map_problems(package: Path, architecture: str) -> list[str]:
    """Modules missing from the map, rows naming no module, rows neither taught nor machinery."""
    rows = dict(MAP_ROW.findall(architecture))
    modules = package_modules(package)
    problems = [f"missing from the map: {module}" for module in sorted(modules - set(rows))]
    problems += [f"no such module: {module}" for module in sorted(set(rows) - modules)]
    for module, kind in sorted(rows.items()):
        if not (re.fullmatch(r"taught in notebooks? [0-9, and-]+", kind) or kind == "machinery"):
            problems.append(
                f"{module}: {kind!r} is neither 'taught in notebook NN' nor 'machinery'"
            )
    return problems


def test_the_architecture_map_lists_every_module():
    assert module_map_problems(PACKAGE, (ROOT / "docs" / "architecture.md").read_text()) == []


def test_the_module_map_check_catches_a_missing_a_stale_and_an_unsorted_row(tmp_path):
    (tmp_path / "ig").mkdir()
    for name in ("images.py", "ig/gradients.py", "ig/paths.py"):
        (tmp_path / name).write_text("")
    architecture = (
        "| `images.py` | taught in notebook 1 | photos |\n"
        "| `ig/gradients.py` | somewhere | the seam |\n"
        "| `ig/old.py` | machinery | gone |\n"
    )
    assert module_map_problems(tmp_path, architecture) == [
        "missing from the map: ig/paths.py",
        "no such module: ig/old.py",
        "ig/gradients.py: 'somewhere' is neither 'taught in notebook NN' nor 'machinery'",
    ]


# A dotted name in the package's own namespace, as docstrings and messages write it.
POINTER = re.compile(r"\big_tutorial(?:\.[A-Za-z_]\w*)+")


def resolves(dotted: str) -> bool:
    """Whether ``ig_tutorial.a.b.C.d`` is a module, or an attribute reached from one."""
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            value = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for attribute in parts[split:]:
            if not hasattr(value, attribute):
                return False
            value = getattr(value, attribute)
        return True
    return False


def false_pointers(package: Path) -> list[str]:
    """Each ``ig_tutorial.X`` in the package's docstrings and messages that does not resolve."""
    problems = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                for dotted in POINTER.findall(node.value):
                    # A sentence may end right after the name: "see ig_tutorial.images."
                    if not resolves(dotted.rstrip(".")):
                        problems.append(f"{path.relative_to(package.parent)}: {dotted}")
    return sorted(set(problems))


def false_pointers_in_pages(pages: list[Path]) -> list[str]:
    """Each ``ig_tutorial.X`` written in a Markdown page that does not resolve."""
    return sorted(
        {
            f"{page.name}: {dotted}"
            for page in pages
            for dotted in POINTER.findall(page.read_text())
            if not resolves(dotted.rstrip("."))
        }
    )


def test_every_pointer_into_the_package_resolves():
    assert false_pointers(PACKAGE) == []
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    assert false_pointers_in_pages(pages) == []


def test_the_pointer_check_catches_a_name_that_does_not_resolve(tmp_path):
    (tmp_path / "hints.py").write_text(
        'HINT = "pass one of ig_tutorial.BUNDLED_IMAGES"\n'
        'def f():\n    """See :func:`ig_tutorial.ig.paths.interpolate_images`."""\n'
        'def g():\n    raise ValueError("use ig_tutorial.ig.paths.no_such_function")\n'
    )
    assert false_pointers(tmp_path) == [
        f"{tmp_path.name}/hints.py: ig_tutorial.BUNDLED_IMAGES",
        f"{tmp_path.name}/hints.py: ig_tutorial.ig.paths.no_such_function",
    ]


# --- the roads to the gradient tape (docs/architecture.md, "The road to the gradient") --------

#: Frames that are not functions a reader opens: comprehensions (inlined from Python 3.12 on).
INLINE_FRAMES = ("<listcomp>", "<dictcomp>", "<setcomp>", "<genexpr>")


def _package_name(frame) -> str | None:
    """``Class.method`` or ``function`` of a package frame, ``None`` for any other frame."""
    if not frame.f_globals.get("__name__", "").startswith("ig_tutorial"):
        return None
    name = frame.f_code.co_qualname.split("<locals>.")[-1]
    return None if name in INLINE_FRAMES else name


def record_roads(call) -> tuple[set[tuple[str, ...]], set[str]]:
    """The package's frames on the stack each time a tape is entered, and every function called.

    Compiled functions run eagerly, so that their Python bodies are on the stack too.
    """
    roads, called = set(), set()
    enter = tf.GradientTape.__enter__

    def entering(tape):
        frame, road = sys._getframe(1), []
        while frame is not None:
            name = _package_name(frame)
            if name is not None:
                road.append(name)
            frame = frame.f_back
        roads.add(tuple(reversed(road)))
        return enter(tape)

    def profile(frame, event, _):
        if event == "call" and (name := _package_name(frame)) is not None:
            called.add(name)

    tf.config.run_functions_eagerly(True)
    sys.setprofile(profile)
    try:
        with mock.patch.object(tf.GradientTape, "__enter__", entering):
            call()
    finally:
        sys.setprofile(None)
        tf.config.run_functions_eagerly(False)
    return roads, called


def documented_roads(page: str) -> dict[str, tuple[str, ...]]:
    """Each ``road: LABEL`` code block of the page: its first column, one function a line."""
    blocks = re.findall(r"^road: ([^\n]+)\n```text\n(.*?)```", page, re.MULTILINE | re.DOTALL)
    return {label: tuple(line.split()[0] for line in body.splitlines()) for label, body in blocks}


def road_problems(page: str, roads: dict[str, set], called: set[str], limits: dict) -> list[str]:
    """Roads longer than their limit or not drawn as they run; names the section does not call.

    ``roads`` maps each label to the roads recorded for it, ``limits`` to its most hops.
    """
    problems = []
    drawn = documented_roads(page)
    for label, recorded in roads.items():
        for road in recorded:
            if len(road) - 1 > limits[label]:
                problems.append(f"{label}: {len(road) - 1} hops: {' -> '.join(road)}")
            if road != drawn.get(label):
                problems.append(f"{label}: drawn {drawn.get(label)}, runs {road}")
    section = page.split("## The road to the gradient")[1].split("\n## ")[0]
    defined = set()
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                defined |= {
                    f"{node.name}.{item.name}"
                    for item in node.body
                    if isinstance(item, ast.FunctionDef)
                }
            if isinstance(node, ast.FunctionDef):
                defined.add(node.name)
    named = set(re.findall(r"`([A-Za-z_][\w.]*)`", section)) | {
        name for road in drawn.values() for name in road
    }
    problems += [f"not on the roads: {name}" for name in sorted(named & defined - called)]
    return problems


def _auto_until_max_steps(attribute, model, inputs):
    """``m_steps="auto"`` that refines until ``max_steps`` (it warns): every step of its road."""
    with pytest.warns(UserWarning, match="did not meet tolerance"):
        attribute(model, inputs, 1, m_steps="auto", tolerance=1e-9, max_steps=40)


@pytest.fixture(scope="module")
def roads_as_they_run():
    model = CallerRecordingModel()
    image = tf.random.stateless_uniform((6, 6, 3), seed=(3, 4))
    rows = np.stack([image, image * 0.5])
    calls = {
        "integrated_gradients, fixed steps": (
            lambda: integrated_gradients(model, image, 1, m_steps=4),
            3,
        ),
        'integrated_gradients, m_steps="auto"': (
            lambda: _auto_until_max_steps(integrated_gradients, model, image),
            4,
        ),
        "integrated_gradients_many, fixed steps": (
            lambda: integrated_gradients_many(model, rows, 1, m_steps=4),
            4,
        ),
        'integrated_gradients_many, m_steps="auto"': (
            lambda: _auto_until_max_steps(integrated_gradients_many, model, rows),
            4,
        ),
    }
    roads, called = {}, set()
    for label, (call, _) in calls.items():
        roads[label], names = record_roads(call)
        called |= names
    # The section's other roads: the study's shared nodes, and Blur IG's gradients_at.
    called |= record_roads(
        lambda: convergence_study(model, image, 1, steps=(2,), reference_steps=4)
    )[1]
    called |= record_roads(
        lambda: blur_integrated_gradients(model, image, 1, max_sigma=2.0, steps=3)
    )[1]
    return roads, called, {label: limit for label, (_, limit) in calls.items()}


def test_the_roads_to_the_tape_are_short_and_drawn_as_they_run(roads_as_they_run):
    roads, called, limits = roads_as_they_run
    drawn = {
        label: road for label, road in roads.items() if "many" not in label or "auto" not in label
    }
    assert all(len(recorded) == 1 for recorded in roads.values())  # one road each, one tape
    page = (ROOT / "docs" / "architecture.md").read_text()
    assert road_problems(page, drawn, called, limits) == []
    # Many inputs with "auto" run the road of one input's "auto", from the other entry.
    (many_auto,) = roads['integrated_gradients_many, m_steps="auto"']
    assert many_auto[1:] == documented_roads(page)['integrated_gradients, m_steps="auto"'][1:]


def test_the_road_check_catches_a_longer_road_and_a_stale_name(roads_as_they_run):
    roads, called, limits = roads_as_they_run
    page = (ROOT / "docs" / "architecture.md").read_text()
    fixed = "integrated_gradients, fixed steps"
    (road,) = roads[fixed]
    longer = {fixed: {(road[0], "integrate_rule", *road[1:])}}
    # A function the section names that no road calls (as refine_locally was, once) is stale.
    assert "integrate_rule" in page and "integrate_rule" in called
    stale = road_problems(page, {}, called - {"integrate_rule"}, limits)
    assert stale == ["not on the roads: integrate_rule"]
    problems = road_problems(page, longer, called, limits)
    assert f"{fixed}: 4 hops: {' -> '.join(longer[fixed].pop())}" in problems
    assert any(problem.startswith(f"{fixed}: drawn") for problem in problems)
    # A wrapper in the package, on the road, is one hop too many.
    wrapped = {fixed: {(road[0], "sum_gradients", *road[1:])}}
    assert road_problems(page, wrapped, called, limits)[0].startswith(f"{fixed}: 4 hops")
