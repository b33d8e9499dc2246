"""docker-compose.yml: the production topology (N API, M workers, PostgreSQL) parses and is coherent.

No Docker engine runs here; the file is read as YAML and every ``ftr`` command in it is parsed by the
real command line, so a renamed option or sub-command fails here.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any

import yaml

from app.cli import build_parser
from app.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def _services() -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = _compose()["services"]
    return services


def _ftr_services() -> dict[str, dict[str, Any]]:
    return {n: s for n, s in _services().items() if s.get("image") == "ftr-service"}


class TestCompose:
    def test_the_topology(self) -> None:
        services = _services()
        assert {"postgres", "migrate", "api", "worker", "loadbalancer"} <= set(services)
        assert services["api"]["deploy"]["replicas"] >= 2
        assert services["worker"]["deploy"]["replicas"] >= 2
        assert services["postgres"]["image"].startswith("postgres:")

    def test_every_ftr_command_parses(self) -> None:
        parser = build_parser()
        commands = {name: s["command"] for name, s in _ftr_services().items()}
        assert set(commands) == {"migrate", "api", "worker"}
        for name, command in commands.items():
            assert command[0] == "ftr", name
            args = parser.parse_args(command[1:])
            assert callable(args.func), name
        assert parser.parse_args(commands["api"][1:]).workers >= 2
        assert commands["worker"][1] == "worker"

    def test_all_processes_share_one_database_and_the_postgres_queue(self) -> None:
        envs = [s["environment"] for s in _ftr_services().values()]
        assert len({e["DATABASE_URL"] for e in envs}) == 1
        assert "@postgres:5432/" in envs[0]["DATABASE_URL"]
        for env in envs:
            assert env["FTR_JOB_QUEUE"] == "postgres" and env["FTR_ENV"] == "production"
            settings = Settings(
                database_url=env["DATABASE_URL"],
                job_queue=env["FTR_JOB_QUEUE"],
                job_heartbeat_s=float(env["FTR_JOB_HEARTBEAT_S"]),
                job_stalled_s=float(env["FTR_JOB_STALLED_S"]),
                secret_key=secrets.token_hex(32),
                env="production",
            )
            assert settings.job_stalled_s > 2 * settings.job_heartbeat_s

    def test_no_secret_is_written_in_the_file(self) -> None:
        text = (ROOT / "docker-compose.yml").read_text()
        for variable in ("FTR_SECRET_KEY", "POSTGRES_PASSWORD"):
            for value in re.findall(rf"{variable}: (.+)", text):
                assert value.startswith("${") and ":?" in value, (variable, value)

    def test_start_order_and_probes(self) -> None:
        services = _services()
        assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
        for name in ("api", "worker"):
            assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert "/readyz" in " ".join(services["api"]["healthcheck"]["test"])
        assert services["loadbalancer"]["depends_on"]["api"]["condition"] == "service_healthy"
        nginx = (ROOT / "deploy" / "nginx.conf").read_text()
        assert "server api:8000;" in nginx and "8000" in services["api"]["expose"]
