"""environment.yml and pyproject.toml describe the same environment."""

import re
from pathlib import Path

import tomllib
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    expected = {_name(r) for r in project["dependencies"]}
    for extra in ("run", "ray", "dev", "docs"):
        expected |= {_name(r) for r in project["optional-dependencies"][extra]}

    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in environment["dependencies"] if isinstance(d, dict))
    listed = {_name(r) for r in pip_section if not r.startswith("-e")}
    assert listed == expected, (
        f"only in environment.yml: {sorted(listed - expected)}; "
        f"only in pyproject.toml: {sorted(expected - listed)}"
    )
    assert "-e ." in pip_section
    assert any(str(d).startswith("python") for d in environment["dependencies"])


def test_version_pins_agree():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in environment["dependencies"] if isinstance(d, dict))
    pyproject_specs = {_name(r): r.replace(" ", "") for r in project["dependencies"]}
    for requirement in pip_section:
        name = _name(requirement)
        if name in pyproject_specs:
            assert requirement.replace(" ", "") == pyproject_specs[name]
