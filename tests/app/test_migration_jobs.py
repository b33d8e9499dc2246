"""Migration 0400 moves the clearing, settlement and forecast jobs into one ``job`` table and back."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from app.migrations import downgrade, upgrade
from tests.app.test_migrations import fresh_engine  # noqa: F401  (fixture)

NOW = datetime(2026, 12, 1, tzinfo=UTC)
COMMON = "requested_by_id, created_at, progress, log"


def _seed_0300(engine: Engine) -> None:
    upgrade(engine, "0300_forecast")
    with engine.begin() as conn:

        def run(sql: str, **params: Any) -> None:
            conn.execute(sa.text(sql), {"t": NOW, **params})

        run(
            "INSERT INTO participant (id, name, role, credit_limit_cents, created_at) "
            "VALUES (1, 'oi', 'operator', 0, :t)"
        )
        run(
            "INSERT INTO network_version (id, content_hash, name, source_format, document, n_buses, "
            "n_branches, n_pricing_points, created_by_id, created_at) "
            "VALUES (1, 'h', 'n', 'json', '{}', 3, 3, 3, 1, :t)"
        )
        run(
            "INSERT INTO auction (id, year, month, network_version_id, status, opens_at, closes_at, "
            "scheduled_outages, loop_flow, created_at) "
            "VALUES (7, 2027, 3, 1, 'cleared', :t, :t, '[]', '{}', :t)"
        )
        for i, status in ((1, "succeeded"), (2, "failed")):
            run(
                f"INSERT INTO settlement_job (id, year, month, status, reason, {COMMON}) "
                f"VALUES (:i, 2027, 1, :s, 'month end', 1, :t, 1.0, 'settled\n')",
                i=i,
                s=status,
            )
        run(
            "INSERT INTO settlement_run (id, year, month, version, is_current, trigger, job_id, "
            "input_set_ids, input_hash, result_hash, summary, state_before, state_after, created_at) "
            "VALUES (1, 2027, 1, 1, true, 'settle', 1, '{}', 'i', 'r', '{}', '{}', '{}', :t)"
        )
        for i in (1, 2, 3):
            run(
                "INSERT INTO clearing_job (id, auction_id, status, input_hash, result_hash, summary, "
                f"{COMMON}) "
                f"VALUES (:i, 7, 'succeeded', 'in', :r, :s, 1, :t, 1.0, 'cleared\n')",
                i=i,
                r=f"result-{i}",
                s=f'{{"{i}": "summary"}}',
            )
        run(
            f"INSERT INTO forecast_job (id, auction_id, status, parameters, report, {COMMON}) "
            f"VALUES (1, 7, 'succeeded', '{{\"seed\": 1}}', '{{\"report\": 1}}', 1, :t, 1.0, '')"
        )


def _jobs(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                sa.text(
                    "SELECT id, kind, status, auction_id, year, month, result_hash, result, parameters "
                    "FROM job ORDER BY id"
                )
            )
        ]


class TestJobMigration:
    def test_jobs_move_into_one_table_and_back(self, fresh_engine: Engine) -> None:  # noqa: F811
        _seed_0300(fresh_engine)
        upgrade(fresh_engine, "0400_job")
        assert _jobs(fresh_engine) == [
            (1, "settlement", "succeeded", None, 2027, 1, None, None, None),
            (2, "settlement", "failed", None, 2027, 1, None, None, None),
            (3, "clearing", "succeeded", 7, 2027, 3, "result-1", '{"1": "summary"}', None),
            (4, "clearing", "succeeded", 7, 2027, 3, "result-2", '{"2": "summary"}', None),
            (5, "clearing", "succeeded", 7, 2027, 3, "result-3", '{"3": "summary"}', None),
            (6, "forecast", "succeeded", 7, 2027, 3, None, '{"report": 1}', '{"seed": 1}'),
        ]
        with fresh_engine.begin() as conn:
            # The settlement run still points at its job; a new job takes the next free id.
            assert conn.execute(sa.text("SELECT job_id FROM settlement_run")).scalar_one() == 1
            conn.execute(
                sa.text(
                    f"INSERT INTO job (kind, status, year, month, reason, {COMMON}) "
                    "VALUES ('settlement', 'queued', 2027, 2, '', 1, :t, 0.0, '')"
                ),
                {"t": NOW},
            )
            assert conn.execute(sa.text("SELECT MAX(id) FROM job")).scalar_one() == 7
            conn.execute(sa.text("DELETE FROM job WHERE id = 7"))
        downgrade(fresh_engine, "0300_forecast")
        with fresh_engine.connect() as conn:
            clearing = conn.execute(
                sa.text("SELECT id, result_hash, summary FROM clearing_job ORDER BY id")
            ).all()
            forecast = conn.execute(sa.text("SELECT parameters, report FROM forecast_job")).all()
            settlement = conn.execute(sa.text("SELECT id, status FROM settlement_job ORDER BY id")).all()
            run_job = conn.execute(sa.text("SELECT job_id FROM settlement_run")).scalar_one()
        assert [tuple(r) for r in clearing] == [
            (3, "result-1", '{"1": "summary"}'),
            (4, "result-2", '{"2": "summary"}'),
            (5, "result-3", '{"3": "summary"}'),
        ]
        assert [tuple(r) for r in forecast] == [('{"seed": 1}', '{"report": 1}')]
        assert [tuple(r) for r in settlement] == [(1, "succeeded"), (2, "failed")]
        assert run_job == 1
        upgrade(fresh_engine)
        assert [r[1] for r in _jobs(fresh_engine)] == ["settlement", "settlement", "clearing", "clearing",
                                                      "clearing", "forecast"]  # fmt: skip
