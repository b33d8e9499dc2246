"""CPU of encoding a settlement run's per-FTR-hour detail as Parquet, by writer options.

    python -m benchmarks.detail_encoding [--ftrs 1000] [--holders 8] [--repeat 3]

Builds ``holders`` tables of ``ftrs`` FTRs x 744 hours in the detail file's schema
(:data:`app.settlement.detail_file.SCHEMA`: random cents, ids and ratios as the job makes them), then
writes them one holder at a time, as the job does, with (a) zstd and every other pyarrow default (the
encoding before :data:`app.settlement.detail_file.WRITE_OPTIONS`) and (b) ``WRITE_OPTIONS``,
alternating, ``repeat`` times each. Reports process CPU seconds (best of the repeats), rows per CPU
second and bytes per row, and checks that both files hold the same table. Results go to
``benchmarks/results/detail_encoding/``; docs/benchmarks/settlement_service.md is the reference page.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from app.settlement.detail_file import RATIO_TYPE, ROW_GROUP, SCHEMA, WRITE_OPTIONS
from benchmarks.results import write_run

HOURS = 744
BEFORE: dict[str, Any] = {"compression": "zstd"}


def holder_tables(n_ftrs: int, n_holders: int, seed: int = 5) -> list[pa.Table]:
    rng = np.random.default_rng(seed)
    position = np.tile(np.arange(n_ftrs), HOURS)
    hour = np.repeat(np.arange(HOURS), n_ftrs)
    base = np.datetime64("2027-01-01T06:00", "us")
    stamps = pa.array(base + np.arange(HOURS) * np.timedelta64(1, "h"), pa.timestamp("us", tz="UTC"))
    ratios = pa.array([Decimal(f"{x:.12f}") for x in rng.uniform(0.8, 1.0, HOURS)], RATIO_TYPE)
    tables = []
    for holder in range(n_holders):
        ids = pa.array([f"{holder * n_ftrs + i}:{holder}" for i in range(n_ftrs)])
        nodes = pa.array([f"n{k}" for k in rng.integers(0, 20_000, n_ftrs)])
        sinks = pa.array([f"n{k}" for k in rng.integers(0, 20_000, n_ftrs)])
        mw = rng.integers(1, 1001, n_ftrs)
        ta = np.rint(mw[position] * rng.normal(0.0, 10.0, len(position)) * 10).astype(np.int64)
        take, at = pa.array(position), pa.array(hour)
        tables.append(
            pa.table(
                {
                    "participant_id": pa.array(np.full(len(position), holder + 1, dtype=np.int64)),
                    "hour_ending": stamps.take(at),
                    "ftr_id": ids.take(take),
                    "source": nodes.take(take),
                    "sink": sinks.take(take),
                    "mw_tenths": pa.array(mw[position].astype(np.int64)),
                    "target_allocation_before_forfeiture_cents": pa.array(ta),
                    "forfeited_cents": pa.array(np.zeros(len(position), dtype=np.int64)),
                    "target_allocation_cents": pa.array(ta),
                    "credit_cents": pa.array((ta * 0.93).astype(np.int64)),
                    "payout_ratio": ratios.take(at),
                },
                schema=SCHEMA,
            )
        )
    return tables


def encode(tables: list[pa.Table], path: Path, options: dict[str, Any]) -> float:
    """Process CPU seconds to write ``tables`` to ``path`` a holder at a time."""
    start = time.process_time()
    with pq.ParquetWriter(path, SCHEMA, **options) as writer:
        for table in tables:
            writer.write_table(table, row_group_size=ROW_GROUP)
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ftrs", type=int, default=1000, help="FTRs per holder")
    parser.add_argument("--holders", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    tables = holder_tables(args.ftrs, args.holders)
    rows = sum(t.num_rows for t in tables)
    cpu: dict[str, list[float]] = {"before": [], "after": []}
    size: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):
            for name, options in (("before", BEFORE), ("after", WRITE_OPTIONS)):
                path = Path(tmp) / f"{name}.parquet"
                cpu[name].append(encode(tables, path, options))
                size[name] = path.stat().st_size
        same = pq.read_table(Path(tmp) / "before.parquet").equals(pq.read_table(Path(tmp) / "after.parquet"))
    assert same, "the two encodings must hold the same table"
    out = {
        name: {
            "cpu_s_best": round(min(cpu[name]), 3),
            "cpu_s_all": [round(x, 3) for x in cpu[name]],
            "rows_per_cpu_s": round(rows / min(cpu[name])),
            "bytes_per_row": round(size[name] / rows, 2),
        }
        for name in cpu
    }
    print(f"{rows} rows; " + "; ".join(f"{k}: {v}" for k, v in out.items()))
    command = "python -m benchmarks.detail_encoding " + " ".join(
        ["--ftrs", str(args.ftrs), "--holders", str(args.holders), "--repeat", str(args.repeat)]
    )
    write_run("detail_encoding", command, {"rows": rows, "write_options": str(WRITE_OPTIONS), **out})


if __name__ == "__main__":
    main()
