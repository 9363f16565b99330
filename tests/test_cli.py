"""The ig-tutorial command line, run in-process on the bundled model."""

import pytest
from PIL import Image

from ig_tutorial.running.cli import main


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
