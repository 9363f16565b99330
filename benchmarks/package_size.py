"""How big the package is: lines, code and docstring lines per folder, and the targets.

Issue 28's counts (the package is the lesson, so its size is part of every change). A line is a
docstring line when it lies in a module's, class's or function's docstring, a comment line
when it starts with ``#``, a code line when it is neither and not blank. Compare two versions
with ``--against``, a git revision::

    python -m benchmarks.package_size
    python -m benchmarks.package_size --against 0a03853
"""

from __future__ import annotations

import argparse
import ast
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Issue 28's targets: lines of the package and of its IG core, docstring+comment per code line.
TARGETS = {"ig_tutorial": 9000, "ig_tutorial/ig": 3500, "ratio": 0.6}


def count_file(source: str) -> tuple[int, int, int]:
    """Lines, code lines and docstring or comment lines of one module's source."""
    lines = source.splitlines()
    docs: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        if (
            isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(getattr(body[0], "value", None), ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            docs.update(range(body[0].lineno, body[0].end_lineno + 1))
    code = doc = 0
    for number, line in enumerate(lines, 1):
        if line.strip():
            if number in docs or line.strip().startswith("#"):
                doc += 1
            else:
                code += 1
    return len(lines), code, doc


def count_folder(folder: Path) -> tuple[int, int, int, int]:
    """Modules, lines, code lines and docstring or comment lines of every module in a folder."""
    counts = [count_file(path.read_text()) for path in sorted(folder.rglob("*.py"))]
    return (len(counts), *(sum(column) for column in zip(*counts, strict=True)))


def table(root: Path) -> dict[str, tuple[int, int, int, int]]:
    """The counts of the package, each of its folders, and its top-level modules."""
    package = root / "ig_tutorial"
    rows = {"ig_tutorial": count_folder(package)}
    for folder in sorted(p for p in package.iterdir() if p.is_dir() and p.name != "__pycache__"):
        rows[f"ig_tutorial/{folder.name}"] = count_folder(folder)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", help="a git revision to count too, e.g. 0a03853")
    args = parser.parse_args()
    versions = {"now": table(ROOT)}
    if args.against:
        with tempfile.TemporaryDirectory() as folder:
            archive = subprocess.run(
                ["git", "archive", args.against, "ig_tutorial"],
                cwd=ROOT,
                capture_output=True,
                check=True,
            ).stdout
            subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
            versions = {args.against: table(Path(folder)), **versions}
    print(
        "| folder | " + " | ".join(f"{name}: modules, lines, code, doc, ratio" for name in versions)
    )
    print("|---|" + "---|" * len(versions))
    for row in versions["now"]:
        cells = []
        for counts in versions.values():
            modules, lines, code, doc = counts.get(row, (0, 0, 0, 0))
            cells.append(f"{modules}, {lines}, {code}, {doc}, {doc / max(code, 1):.2f}")
        print(f"| {row} | " + " | ".join(cells) + " |")
    _, lines, code, doc = versions["now"]["ig_tutorial"]
    core = versions["now"]["ig_tutorial/ig"][1]
    print(
        f"\ntargets: ig_tutorial/ {lines} lines (at most {TARGETS['ig_tutorial']}), ig/ {core} "
        f"(at most {TARGETS['ig_tutorial/ig']}), docstring+comment {doc / code:.2f} per code line "
        f"(at most {TARGETS['ratio']})"
    )


if __name__ == "__main__":
    main()
