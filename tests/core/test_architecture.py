"""The shape of the code: imports run one way, and every package says what it is and what it may import."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "feedback_service"
PYPROJECT = PACKAGE.parent / "pyproject.toml"


def test_imports_run_one_way_and_in_no_circle():
    """The contracts in pyproject.toml: adapters → features → core → models, and no package's
    modules in a circle (deferred imports inside functions count too)."""
    linted = subprocess.run([Path(sys.executable).parent / "lint-imports", "--no-cache", str(PYPROJECT)],
                            cwd=PACKAGE.parent, capture_output=True, text=True, timeout=120)
    assert linted.returncode == 0, linted.stdout[-4000:] + linted.stderr[-2000:]


def test_every_package_opens_with_what_it_is_and_what_it_may_import():
    missing = []
    for init in sorted(PACKAGE.rglob("__init__.py")):
        if "templates" in init.parts or "static" in init.parts:
            continue
        docstring = ast.get_docstring(ast.parse(init.read_text())) or ""
        if "May import" not in docstring:
            missing.append(str(init.relative_to(PACKAGE.parent)))
    assert missing == []


# What "features" and "every feature" stand for in a package's "May import" line.
FEATURES = {"accounts", "alerts", "analytics", "audits", "backlog", "collection", "customers", "events", "exports", "journeys", "loop",
            "mail", "rollups", "sentiment", "themes", "webhooks"}


def _imported_packages(package: Path) -> set[str]:
    """The other top-level packages and modules of feedback_service that ``package`` imports,
    deferred imports inside functions included."""
    names = {child.stem for child in PACKAGE.iterdir() if child.suffix == ".py" or (child / "__init__.py").exists()}
    found = set()
    for module in package.rglob("*.py"):
        depth = len(module.relative_to(PACKAGE).parts) - 1  # packages between feedback_service and the module
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                if node.level > depth:  # above the package: "from .. import x" or "from ..x import y"
                    found.update([node.module.split(".")[0]] if node.module else [a.name for a in node.names])
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("feedback_service."):
                found.add(node.module.split(".")[1])
            elif isinstance(node, ast.Import):
                found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("feedback_service."))
    return (found & names) - {package.name}


def test_every_package_imports_only_what_its_docstring_says():
    """The "May import" line is a promise the next engineer can rely on, so it is checked:
    import-linter holds the layers, this holds each package to its own, narrower, word."""
    broken = {}
    for init in sorted(PACKAGE.glob("*/__init__.py")):
        docstring = ast.get_docstring(ast.parse(init.read_text())) or ""
        line = docstring.split("May import:", 1)[-1].split("\n\n")[0]
        allowed = set(re.findall(r"[a-z_]+", line))
        if {"features", "feature"} & allowed:
            allowed |= FEATURES
        if "jobs" in allowed:  # tasks/: the old job names, which re-export the features' jobs
            allowed |= FEATURES | {"worker"}
        extra = _imported_packages(init.parent) - allowed
        if extra:
            broken[init.parent.name] = sorted(extra)
    assert broken == {}, f"packages importing what their docstring does not allow: {broken}"
