"""The domain packages are pure: they import with the web and database stack blocked."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PURE_PACKAGES = (
    "network",
    "feasibility",
    "auction",
    "settlement",
    "simulation",
    "market_calendar",
    "market_terms",
)
BLOCKED = ("fastapi", "starlette", "sqlmodel", "sqlalchemy", "uvicorn", "alembic", "app", "api_schemas")


def _modules(package: str) -> list[str]:
    names = [package]
    for info in pkgutil.walk_packages([str(ROOT / package)], prefix=f"{package}."):
        names.append(info.name)
    return names


@pytest.mark.parametrize("package", PURE_PACKAGES)
def test_pure_package_imports_without_web_stack(package: str) -> None:
    modules = _modules(package)
    script = (
        "import sys\n"
        f"for name in {BLOCKED!r}:\n"
        "    sys.modules[name] = None\n"
        "import importlib\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
