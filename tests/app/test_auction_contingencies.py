"""The contingencies each auction's clearing checks, chosen by the OI at creation (none, N-1, a list)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from app.clock import FixedClock
from tests.app.conftest import JANUARY_2027_CLOSES, JANUARY_2027_OPENS, Member, bearer
from tests.app.http import SyncClient
from tests.app.test_clearing import clear, submit_worked_example


def create(client: SyncClient, operator_key: str, network_id: int, **over: Any) -> Any:
    body = {"year": 2027, "month": 1, "network_version_id": network_id, **over}
    return client.post("/api/v1/auctions", json=body, headers=bearer(operator_key))


def cleared_results(
    client: SyncClient,
    operator_key: str,
    network_id: int,
    clock: FixedClock,
    make_participant: Callable[..., Member],
    **over: Any,
) -> dict[str, Any]:
    r = create(client, operator_key, network_id, **over)
    assert r.status_code == 201, r.text
    aid = r.json()["id"]
    assert client.post(f"/api/v1/auctions/{aid}/open", headers=bearer(operator_key)).status_code == 200
    clock.set(JANUARY_2027_OPENS + timedelta(hours=1))
    submit_worked_example(client, aid, make_participant)
    clock.set(JANUARY_2027_CLOSES + timedelta(minutes=5))
    assert clear(client, operator_key, aid)["status"] == "succeeded"
    assert client.post(f"/api/v1/auctions/{aid}/post", headers=bearer(operator_key)).status_code == 200
    results: dict[str, Any] = client.get(
        f"/api/v1/auctions/{aid}/results/on_peak", headers=bearer(operator_key)
    ).json()
    return results


class TestChoice:
    @pytest.mark.parametrize(
        ("over", "field"),
        [
            ({"contingency_set": "list"}, "body"),
            ({"contingency_set": "none", "contingencies": [{"id": "c", "branches": ["1-3"]}]}, "body"),
            ({"contingency_set": "some"}, "body.contingency_set"),
            (
                {"contingency_set": "list", "contingencies": [{"id": "c", "branches": []}]},
                "body.contingencies.0.branches",
            ),
        ],
    )
    def test_malformed_choices_refused(
        self, client: SyncClient, operator_key: str, network_id: int, over: dict[str, Any], field: str
    ) -> None:
        r = create(client, operator_key, network_id, **over)
        assert r.status_code == 422, r.text
        assert any(e["field"].startswith(field) for e in r.json()["errors"]), r.text

    def test_unknown_or_repeated_branches_named(
        self, client: SyncClient, operator_key: str, network_id: int
    ) -> None:
        contingencies = [
            {"id": "c1", "branches": ["1-3", "9-9"]},
            {"id": "c1", "branches": ["1-2", "1-2"]},
        ]
        r = create(client, operator_key, network_id, contingency_set="list", contingencies=contingencies)
        assert r.status_code == 422, r.text
        assert {(e["field"], e["reason"]) for e in r.json()["errors"]} == {
            ("body.contingencies.0.branches.1", "unknown branch '9-9'"),
            ("body.contingencies.1.id", "contingency 'c1' given twice"),
            ("body.contingencies.1.branches.1", "branch '1-2' twice"),
        }
        assert client.get("/api/v1/auctions", headers=bearer(operator_key)).json()["total"] == 0

    def test_shown_on_the_auction(self, client: SyncClient, operator_key: str, network_id: int) -> None:
        contingencies = [{"id": "out 1-2", "branches": ["1-2"]}]
        r = create(client, operator_key, network_id, contingency_set="list", contingencies=contingencies)
        assert r.status_code == 201, r.text
        assert r.json()["contingency_set"] == "list" and r.json()["contingencies"] == contingencies


class TestClearing:
    def test_base_case_only(
        self,
        client: SyncClient,
        operator_key: str,
        network_id: int,
        clock: FixedClock,
        make_participant: Callable[..., Member],
    ) -> None:
        results = cleared_results(
            client, operator_key, network_id, clock, make_participant, contingency_set="none"
        )
        assert [(b["constraint_id"], b["contingency_id"]) for b in results["binding_constraints"]] == [
            ("1-3", None)
        ]

    def test_n_1_binds_a_contingency_and_names_it(
        self,
        client: SyncClient,
        operator_key: str,
        network_id: int,
        clock: FixedClock,
        make_participant: Callable[..., Member],
    ) -> None:
        results = cleared_results(
            client, operator_key, network_id, clock, make_participant, contingency_set="all_n_1"
        )
        assert any(b["contingency_id"] for b in results["binding_constraints"]), results[
            "binding_constraints"
        ]
        awarded = sum(float(a["mw"]) for a in results["awards"] if a["source"] == "1" and a["sink"] == "3")
        assert abs(awarded - 70.0) > 1e-9, "the clearing differs from the base case's 70 MW on 1->3"


CONTAB_HEADER = "label,probability,table,row,column,change_type,new_value\n"
CONTAB_CSV = (
    CONTAB_HEADER
    + "1,0.01,CT_TBRCH,1,BR_STATUS,CT_REP,0\n2,0.01,3,2,11,1,0\n3,0,CT_TBRCH,3,BR_STATUS,CT_REP,0\n"
    "4,0,CT_TGEN,1,GEN_STATUS,CT_REP,0\n"
)
CONTAB_M = (
    "function chgtab = contab3\ndefine_constants;\nchgtab = [\n"
    "\t1\t0.01\tCT_TBRCH\t1\tBR_STATUS\tCT_REP\t0;\n"
    "\t1\t0.01\tCT_TBRCH\t2\tBR_STATUS\tCT_REP\t0;\n"
    "];\n"
)


def put_set(client: SyncClient, key: str, aid: int, **kwargs: Any) -> Any:
    return client.put(
        f"/api/v1/auctions/{aid}/contingency-set", headers=bearer(key) | kwargs.pop("headers", {}), **kwargs
    )


def draft(client: SyncClient, operator_key: str, network_id: int) -> int:
    r = create(client, operator_key, network_id)
    assert r.status_code == 201, r.text
    aid: int = r.json()["id"]
    return aid


class TestContabFile:
    """The OI gives a draft auction's contingency set as a MATPOWER change table (item 8)."""

    def test_raw_csv_body_becomes_a_list_with_name_and_digest(
        self, client: SyncClient, operator_key: str, network_id: int
    ) -> None:
        aid = draft(client, operator_key, network_id)
        r = put_set(
            client,
            operator_key,
            aid,
            content=CONTAB_CSV.encode(),
            params={"filename": "C:\\grid\\june.csv"},
            headers={"Content-Type": "text/csv"},
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["contingency_set"] == "list"
        assert body["contingencies"] == [
            {"id": "1", "branches": ["1-2"]},
            {"id": "2", "branches": ["2-3"]},
            {"id": "3", "branches": ["1-3"]},
        ]
        assert body["contab_file"] == {
            "name": "june.csv",
            "sha256": hashlib.sha256(CONTAB_CSV.encode()).hexdigest(),
            "generator_outages": 1,
        }
        assert client.get(f"/api/v1/auctions/{aid}", headers=bearer(operator_key)).json() == body | {
            "market_time": client.get(f"/api/v1/auctions/{aid}", headers=bearer(operator_key)).json()[
                "market_time"
            ]
        }
        entries = client.get("/api/v1/audit-log", headers=bearer(operator_key)).json()["items"]
        (entry,) = [e for e in entries if e["action"] == "auction.contingencies_set"]
        assert entry["actor"].startswith("participant:")
        assert entry["payload"]["contab_sha256"] == body["contab_file"]["sha256"]
        assert entry["payload"]["contab_file"] == "june.csv" and entry["payload"]["contingencies"] == 3

    def test_multipart_m_file_and_then_json_replaces_it(
        self, client: SyncClient, operator_key: str, network_id: int
    ) -> None:
        aid = draft(client, operator_key, network_id)
        r = put_set(client, operator_key, aid, files={"file": ("contab3.m", CONTAB_M.encode(), "text/plain")})
        assert r.status_code == 200, r.text
        assert r.json()["contingencies"] == [{"id": "1", "branches": ["1-2", "2-3"]}]
        assert r.json()["contab_file"]["name"] == "contab3.m"
        r = put_set(client, operator_key, aid, json={"contingency_set": "all_n_1"})
        assert r.status_code == 200, r.text
        assert (r.json()["contingency_set"], r.json()["contingencies"], r.json()["contab_file"]) == (
            "all_n_1",
            [],
            None,
        )

    @pytest.mark.parametrize(
        ("text", "row", "column", "reason"),
        [
            (
                CONTAB_HEADER + "1,0,CT_TBRCH,1,BR_STATUS,CT_REP,0\n1,0,CT_TBRCH,9,BR_STATUS,CT_REP,0\n",
                3,
                "row",
                "'9' is not a branch row (1..3)",
            ),
            (CONTAB_HEADER + "1,0,CT_TBUS,1,BR_STATUS,CT_REP,0\n", 2, "table", "expected CT_TBRCH (3)"),
            (CONTAB_HEADER + "1,2,CT_TBRCH,1,BR_STATUS,CT_REP,0\n", 2, "probability", "'2' is not in [0, 1]"),
            ("label,probability\n", 1, None, "header must be"),
        ],
    )
    def test_bad_file_refused_naming_file_row_and_column_and_nothing_changes(
        self,
        client: SyncClient,
        operator_key: str,
        network_id: int,
        text: str,
        row: int,
        column: str | None,
        reason: str,
    ) -> None:
        aid = draft(client, operator_key, network_id)
        r = put_set(client, operator_key, aid, files={"file": ("bad.csv", text.encode(), "text/csv")})
        assert r.status_code == 422, r.text
        problem = r.json()
        assert (problem["file"], problem["row"], problem["column"]) == ("bad.csv", row, column)
        (error,) = problem["errors"]
        assert error["row"] == row and reason in error["reason"]
        assert error["field"] == (f"file.{column}" if column else "file")
        shown = client.get(f"/api/v1/auctions/{aid}", headers=bearer(operator_key)).json()
        assert (shown["contingency_set"], shown["contab_file"]) == ("network", None)

    def test_unknown_form_and_bad_json_refused(
        self, client: SyncClient, operator_key: str, network_id: int
    ) -> None:
        aid = draft(client, operator_key, network_id)
        r = put_set(
            client, operator_key, aid, content=b"x", headers={"Content-Type": "application/octet-stream"}
        )
        assert r.status_code == 400, r.text
        assert "a MATPOWER .m function or a .csv file" in r.json()["detail"]
        r = put_set(client, operator_key, aid, json={"contingency_set": "some"})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.contingency_set", r.text
        r = put_set(
            client,
            operator_key,
            aid,
            json={"contingency_set": "list", "contingencies": [{"id": "c", "branches": ["9-9"]}]},
        )
        assert r.status_code == 422, r.text
        assert r.json()["errors"] == [
            {"field": "body.contingencies.0.branches.0", "reason": "unknown branch '9-9'"}
        ]

    def test_only_the_oi_and_only_a_draft(
        self, client: SyncClient, operator_key: str, network_id: int, make_participant: Callable[..., Member]
    ) -> None:
        aid = draft(client, operator_key, network_id)
        trader = make_participant()
        r = client.put(
            f"/api/v1/auctions/{aid}/contingency-set",
            content=CONTAB_CSV.encode(),
            headers=trader.headers | {"Content-Type": "text/csv"},
        )
        assert r.status_code == 403, r.text
        assert client.post(f"/api/v1/auctions/{aid}/open", headers=bearer(operator_key)).status_code == 200
        r = put_set(
            client, operator_key, aid, content=CONTAB_CSV.encode(), headers={"Content-Type": "text/csv"}
        )
        assert r.status_code == 409, r.text
        assert r.json()["current_status"] == "open" and "only while it is a draft" in r.json()["detail"]
        shown = client.get(f"/api/v1/auctions/{aid}", headers=bearer(operator_key)).json()
        assert shown["contingency_set"] == "network" and shown["contab_file"] is None

    def test_clearing_secures_the_files_contingencies(
        self,
        client: SyncClient,
        operator_key: str,
        network_id: int,
        clock: FixedClock,
        make_participant: Callable[..., Member],
    ) -> None:
        aid = draft(client, operator_key, network_id)
        r = put_set(
            client, operator_key, aid, content=CONTAB_CSV.encode(), headers={"Content-Type": "text/csv"}
        )
        assert r.status_code == 200, r.text
        assert client.post(f"/api/v1/auctions/{aid}/open", headers=bearer(operator_key)).status_code == 200
        clock.set(JANUARY_2027_OPENS + timedelta(hours=1))
        submit_worked_example(client, aid, make_participant)
        clock.set(JANUARY_2027_CLOSES + timedelta(minutes=5))
        assert clear(client, operator_key, aid)["status"] == "succeeded"
        assert client.post(f"/api/v1/auctions/{aid}/post", headers=bearer(operator_key)).status_code == 200
        results = client.get(f"/api/v1/auctions/{aid}/results/on_peak", headers=bearer(operator_key)).json()
        binding = {b["contingency_id"] for b in results["binding_constraints"]}
        assert binding & {"1", "2", "3"}, results["binding_constraints"]
        awarded = sum(float(a["mw"]) for a in results["awards"] if a["source"] == "1" and a["sink"] == "3")
        assert abs(awarded - 70.0) > 1e-9, "the clearing differs from the base case's 70 MW on 1->3"
        page = client.get(f"/portal/results/{aid}/network")  # the posted model, public
        assert page.status_code == 200
        assert '<span id="contab-file">contab.csv</span>' in page.text
        assert hashlib.sha256(CONTAB_CSV.encode()).hexdigest() in page.text
        assert "1 generator outages not secured" in page.text
