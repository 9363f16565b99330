"""ig_tutorial.notebook: what every tutorial notebook does first."""

import logging
import random
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from ig_tutorial.running.notebook_setup import (
    add_matplotlib_fonts,
    figure_file_name,
    save_figure,
    setup_notebook,
)


@pytest.fixture(autouse=True)
def determinism_calls(monkeypatch):
    """Record enable_op_determinism instead of calling it: it cannot be undone, and turning it
    on here would change every later test of the session."""
    calls = []
    monkeypatch.setattr(
        tf.config.experimental, "enable_op_determinism", lambda: calls.append("enabled")
    )
    return calls


def test_setup_notebook_creates_the_folder_and_returns_it_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = setup_notebook("figures/run1")
    assert folder == tmp_path / "figures" / "run1"
    assert folder.is_dir() and folder.is_absolute()


def test_setup_notebook_makes_random_draws_repeat(tmp_path):
    draws = []
    for _ in range(2):
        setup_notebook(tmp_path, seed=3)
        draws.append((random.random(), np.random.rand(), float(tf.random.uniform(()))))  # noqa: NPY002
    assert draws[0] == draws[1]
    setup_notebook(tmp_path, seed=4)
    assert random.random() != draws[0][0]


def test_setup_notebook_turns_on_op_determinism(tmp_path, determinism_calls):
    setup_notebook(tmp_path)
    assert determinism_calls == ["enabled"]


def test_setup_notebook_refuses_a_file_as_output_dir(tmp_path):
    file = tmp_path / "taken"
    file.write_text("")
    with pytest.raises(ValueError, match="is a file"):
        setup_notebook(file)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("01_images", "01_images.png"),
        ("06_attributions_Giant Panda", "06_attributions_giant_panda.png"),
        ("06_attributions_Grace Hopper (1984)", "06_attributions_grace_hopper_1984.png"),
    ],
)
def test_figure_file_name_is_stable(name, expected):
    assert figure_file_name(name) == expected


def test_figure_file_name_needs_a_letter_or_digit():
    with pytest.raises(ValueError, match="letters or digits"):
        figure_file_name(" -- ")


def test_save_figure_writes_a_png_under_its_stable_name(tmp_path):
    figure, axes = plt.subplots(figsize=(3, 2))
    axes.plot([0, 1], [1, 0])
    assert save_figure(figure, tmp_path, "04_Saturation") is None
    plt.close(figure)
    with Image.open(tmp_path / "04_saturation.png") as png:
        assert png.format == "PNG"
        assert png.size == (300, 200)


def test_a_font_list_without_matplotlibs_own_fonts_is_mended(
    monkeypatch, caplog, tmp_path, request
):
    from matplotlib import font_manager

    manager = font_manager.fontManager
    # A font list as a foreign cache file leaves it: the system's DejaVu only, no STIX, no cm*.
    system_only = [font for font in manager.ttflist if "mpl-data" not in font.fname]
    monkeypatch.setattr(manager, "ttflist", system_only)
    manager._findfont_cached.cache_clear()
    request.addfinalizer(manager._findfont_cached.cache_clear)  # after the list is restored

    def log_axis_figure() -> list[str]:
        caplog.clear()
        figure, ax = plt.subplots()
        ax.semilogy([1, 2, 3], [1e-3, 1e-2, 1.0])
        figure.savefig(tmp_path / "log_axis.png")
        plt.close(figure)
        return [r.getMessage() for r in caplog.records if r.getMessage().startswith("findfont")]

    caplog.set_level(logging.WARNING, logger="matplotlib.font_manager")
    assert any("STIXGeneral" in line for line in log_axis_figure())  # the noise, reproduced
    added = add_matplotlib_fonts()
    assert "STIXGeneral.ttf" in {Path(path).name for path in added}
    assert Path(manager.findfont("STIXGeneral")).name == "STIXGeneral.ttf"
    assert log_axis_figure() == []
    assert add_matplotlib_fonts() == []  # nothing missing: nothing added
