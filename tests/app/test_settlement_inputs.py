"""Uploads of settlement inputs: every bad cell named by row and column, all or nothing, CSV and Parquet."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pandas as pd

from tests.app.conftest import Member, bearer
from tests.app.http import SyncClient
from tests.app.test_settlement import M1, YEAR, charges_csv, prices_csv, rt_csv, upload


def errors_of(response: Any) -> set[tuple[int | None, str]]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return {(e.get("row"), e["field"]) for e in response.json()["errors"]}


def stored(client: SyncClient, key: str) -> list[Any]:
    r = client.get(f"/api/v1/settlement/months/{YEAR}/{M1}/inputs", headers=bearer(key))
    assert r.status_code == 200, r.text
    rows: list[Any] = r.json()
    return rows


class TestRowErrors:
    def test_every_bad_cell_is_reported_and_nothing_stored(
        self, client: SyncClient, operator_key: str
    ) -> None:
        lines = prices_csv(M1, []).splitlines()
        lines[2] = lines[2].rsplit(",", 1)[0] + ",abc"  # row 2: price not a number
        lines[3] = "2027-11-01T05:00:00," + lines[3].split(",", 1)[1]  # row 3: no UTC offset
        lines[4] = "2027-10-01T05:00:00+00:00," + lines[4].split(",", 1)[1]  # row 4: not in the month
        lines[5] = lines[5].split(",")[0] + ",," + lines[5].split(",")[2]  # row 5: empty node
        r = upload(client, operator_key, M1, "da_prices", "\n".join(lines) + "\n")
        assert errors_of(r) == {(2, "price"), (3, "hour_ending"), (4, "hour_ending"), (5, "node")}
        reasons = {e["row"]: e["reason"] for e in r.json()["errors"]}
        assert "UTC offset" in reasons[3] and "not an hour ending of the month" in reasons[4]
        assert stored(client, operator_key) == []

    def test_header_errors(self, client: SyncClient, operator_key: str) -> None:
        r = upload(client, operator_key, M1, "da_congestion", "hour_ending,amount\n")
        assert errors_of(r) == {(0, "da_congestion"), (0, "amount")}

    def test_missing_price_hour_names_the_node(self, client: SyncClient, operator_key: str) -> None:
        lines = prices_csv(M1, []).splitlines()
        del lines[7]
        r = upload(client, operator_key, M1, "da_prices", "\n".join(lines) + "\n")
        assert r.status_code == 422
        assert "has no price for hour ending" in r.json()["errors"][0]["reason"]

    def test_duplicate_price_row(self, client: SyncClient, operator_key: str) -> None:
        lines = prices_csv(M1, []).splitlines()
        lines.append(lines[1])
        r = upload(client, operator_key, M1, "da_prices", "\n".join(lines) + "\n")
        assert errors_of(r) == {(len(lines) - 1, "hour_ending")}

    def test_rt_interval_missing_or_duplicated(self, client: SyncClient, operator_key: str) -> None:
        lines = rt_csv(M1, 0, [0] * 12).splitlines()
        missing = lines[:100] + lines[101:]
        r = upload(client, operator_key, M1, "rt_congestion", "\n".join(missing) + "\n")
        assert r.status_code == 422 and "no 5-minute amount for the interval ending" in r.text, r.text
        doubled = [*lines, lines[50]]
        r = upload(client, operator_key, M1, "rt_congestion", "\n".join(doubled) + "\n")
        assert errors_of(r) == {(len(doubled) - 1, "interval_ending")}
        off_mark = [*lines[:10], lines[10].replace(":00+00:00,", ":02+00:00,", 1), *lines[11:]]
        r = upload(client, operator_key, M1, "rt_congestion", "\n".join(off_mark) + "\n")
        assert (10, "interval_ending") in errors_of(r)
        assert stored(client, operator_key) == []

    def test_charges_hour_missing(self, client: SyncClient, operator_key: str) -> None:
        lines = charges_csv(M1, [1.0]).splitlines()
        r = upload(client, operator_key, M1, "da_congestion", "\n".join(lines[:-1]) + "\n")
        assert r.status_code == 422 and "no row for hour ending" in r.text

    def test_virtual_bids_name_real_holders(
        self, client: SyncClient, operator_key: str, make_participant: Callable[..., Member]
    ) -> None:
        trader = make_participant()
        hour = "2027-11-01T12:00:00+00:00"
        text = (
            "participant_id,node,hour_ending,mw\n"
            f"{trader.id},1,{hour},5\n"
            f"999999,1,{hour},5\n"
            f"x,1,{hour},5\n"
            f"{trader.id},1,{hour},-1\n"
        )
        assert errors_of(upload(client, operator_key, M1, "virtual_bids", text)) == {
            (2, "participant_id"),
            (3, "participant_id"),
            (4, "mw"),
        }
        r = upload(client, operator_key, M1, "virtual_bids", text.rsplit("\n", 4)[0] + "\n")
        assert r.status_code == 201, r.text

    def test_year_end_charges_rows(
        self, client: SyncClient, operator_key: str, make_participant: Callable[..., Member]
    ) -> None:
        lse = make_participant("lse")
        header = "participant_id,network_demand_charges,reserved_capacity_charges"
        text = f"{header}\n{lse.id},-5,0\n{lse.id},1,inf\n"
        r = client.post(
            f"/api/v1/settlement/years/{YEAR}/year-end-charges",
            content=text.encode(),
            headers={**bearer(operator_key), "Content-Type": "text/csv"},
        )
        assert errors_of(r) == {(1, "network_demand_charges"), (2, "reserved_capacity_charges")}


class TestFormats:
    def test_unsupported_type_and_broken_files(self, client: SyncClient, operator_key: str) -> None:
        r = upload(client, operator_key, M1, "da_prices", "{}", "application/json")
        assert r.status_code == 400 and r.json()["type"].endswith("/upload-format")
        r = upload(
            client, operator_key, M1, "da_prices", b"PAR1 not really", "application/vnd.apache.parquet"
        )
        assert r.status_code == 400
        r = upload(client, operator_key, M1, "da_prices", b"\xff\xfe\x00", "text/csv")
        assert r.status_code == 400
        r = upload(client, operator_key, M1, "da_prices", "hour_ending,node,price\n")
        assert r.status_code == 422

    def test_parquet_naive_times_are_row_errors(self, client: SyncClient, operator_key: str) -> None:
        frame = pd.read_csv(io.StringIO(charges_csv(M1, [1.0])))
        frame["hour_ending"] = pd.to_datetime(frame["hour_ending"], utc=True).dt.tz_localize(None)
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        r = upload(
            client, operator_key, M1, "da_congestion", buffer.getvalue(), "application/vnd.apache.parquet"
        )
        errors = errors_of(r)
        assert (1, "hour_ending") in errors and len(errors) == 100, "reports are capped at 100"

    def test_canonical_rows_download(self, client: SyncClient, operator_key: str) -> None:
        r = upload(
            client,
            operator_key,
            M1,
            "da_congestion",
            charges_csv(M1, ["1375.50"]).replace(",0\n", ",0.000\n"),
        )
        assert r.status_code == 201, r.text
        body = client.get(
            f"/api/v1/settlement/input-sets/{r.json()['id']}/rows.csv", headers=bearer(operator_key)
        )
        lines = body.text.splitlines()
        assert lines[0] == "hour_ending,da_congestion"
        assert sum(1 for line in lines if line.endswith("+00:00,1375.5")) == 1
        assert sum(1 for line in lines if line.endswith("+00:00,0")) == len(lines) - 2
