"""The ig-tutorial command line, run in-process on the bundled model."""

import argparse
import inspect
import re
from pathlib import Path

import pytest
from PIL import Image

from ig_tutorial.running import cli
from ig_tutorial.running.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[1]


def test_attribute_writes_a_figure_and_reports_completeness(tmp_path, capsys, bundled_model):
    out = tmp_path / "coffee.png"
    status = main(["attribute", "coffee", "--m-steps", "16", "--out", str(out)])
    printed = capsys.readouterr().out
    assert status == 0
    assert "967 espresso" in printed
    assert "Integrated Gradients for class 967 (espresso)" in printed
    assert "gradient evaluations (riemann_trapezoid)" in printed
    with Image.open(out) as figure:
        assert figure.size == (800, 800)


def test_errors_are_reported_without_a_traceback(tmp_path, capsys):
    status = main(["attribute", str(tmp_path / "missing.jpg")])
    assert status == 2
    assert "missing.jpg" in capsys.readouterr().err


def test_unknown_rule_is_rejected_by_argparse():
    with pytest.raises(SystemExit):
        main(["attribute", "coffee", "--method", "simpson"])


def _attribute_parser() -> argparse.ArgumentParser:
    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return commands.choices["attribute"]


def _batch_group(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    group = next(g for g in parser._action_groups if g.title == "many images")
    return group._group_actions


def test_each_batch_option_and_only_those_selects_a_batch_run(monkeypatch):
    chosen = []
    monkeypatch.setattr(cli, "_attribute_many", lambda args: chosen.append("many") or 0)
    monkeypatch.setattr(cli, "_attribute_one", lambda args: chosen.append("one") or 0)
    parser = _attribute_parser()
    batch = _batch_group(parser)
    for action in parser._actions:
        if not action.option_strings or action.dest in ("help", "out"):
            continue  # --out with a batch option is an error of its own
        value = [] if action.nargs == 0 else [action.choices[-1] if action.choices else "1"]
        chosen.clear()
        assert main(["attribute", "coffee", action.option_strings[-1], *value]) == 0
        assert chosen == ["many" if action in batch else "one"], action.option_strings[-1]


def test_the_batch_guide_names_the_batch_options():
    text = (ROOT / "docs" / "batch.md").read_text()
    sentence = re.search(r"or any of (.*?)\s+make it a batch run", text, re.DOTALL)
    named = set(re.findall(r"`(--[\w-]+)`", sentence[1]))
    assert named == {action.option_strings[-1] for action in _batch_group(_attribute_parser())}


def test_attribute_options_agree_with_their_owners():
    from ig_tutorial.batch.engines import ENGINES, attribute_files
    from ig_tutorial.batch.settings import (
        ATTRIBUTION_DTYPES,
        DEFAULT_MAX_STEPS,
        DEFAULT_METHOD,
        DEFAULT_TOLERANCE,
    )
    from ig_tutorial.ig.adaptive_steps import L2_STOP_FACTOR
    from ig_tutorial.ig.batching import default_batch_size

    options = {action.dest: action for action in _attribute_parser()._actions}
    batch_defaults = inspect.signature(attribute_files).parameters
    assert options["tolerance"].default == DEFAULT_TOLERANCE
    assert options["max_steps"].default == DEFAULT_MAX_STEPS
    assert options["method"].default == DEFAULT_METHOD
    assert int(options["m_steps"].default) == batch_defaults["m_steps"].default
    assert options["baseline"].default == batch_defaults["baseline"].default
    assert tuple(options["dtype"].choices) == ATTRIBUTION_DTYPES
    assert tuple(options["engine"].choices) == ENGINES
    assert f"{default_batch_size((224, 224, 3))} for a photo)" in options["batch_size"].help
    # --tolerance is described by today's stopping rule (ig_tutorial.ig.adaptive_steps).
    rule = options["tolerance"].help
    assert "relative completeness error is at most this" in rule
    assert f"estimated relative L2 error at most {L2_STOP_FACTOR:g} times this" in rule
    assert f"(default {DEFAULT_TOLERANCE:g})" in rule and "change" not in rule
