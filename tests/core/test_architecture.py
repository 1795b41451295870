"""The shape of the code: imports run one way, and every package says what it is and what it may import."""

from __future__ import annotations

import ast
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
