"""The audit page's verification (both databases): the first view walks the whole chain, later views
check only the links added since; a change to a new link, to the link verified last or to the head
is found at the next view; a change to an older link is found by the whole walk the auditor asks
for (and the page said what it had checked)."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from app.web.session_cookie import COOKIE_NAME
from tests.app.conftest import Member, bearer
from tests.app.http import SyncClient
from tests.app.test_portal import Visit


def _status(r: httpx.Response) -> str:
    found = re.search(r'<section class="card" id="chain-status">(.*?)</section>', r.text, re.S)
    assert found is not None
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())


def _sql(app: FastAPI, statement: str) -> None:
    with app.state.engine.begin() as conn:
        assert conn.execute(sa.text(statement)).rowcount == 1


def _change_credit(client: SyncClient, operator_key: str, member: Member, limit: str) -> None:
    r = client.patch(
        f"/api/v1/participants/{member.id}", json={"credit_limit": limit}, headers=bearer(operator_key)
    )
    assert r.status_code == 200


def _last_seq(app: FastAPI) -> int:
    with app.state.engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT max(seq) FROM audit_log")).scalar_one())


def test_views_check_only_new_links_and_the_whole_walk_finds_an_old_change(
    client: SyncClient, app: FastAPI, operator_key: str, make_participant: Callable[..., Member]
) -> None:
    alice = make_participant()
    for limit in ("1.00", "2.00", "3.00"):
        _change_credit(client, operator_key, alice, limit)
    auditor = Visit(client)
    auditor.sign_in(make_participant(role="auditor").key)
    first = _status(auditor.get("/portal/audit"))
    n = _last_seq(app)
    assert "Chain verified" in first and f"walked the whole chain (links 1 to {n})" in first

    _change_credit(client, operator_key, alice, "4.00")
    second = _status(auditor.get("/portal/audit"))
    assert "Chain verified" in second and f"checked links {n} to {n + 1}" in second

    _sql(app, "UPDATE audit_log SET payload = replace(payload, '100', '999') WHERE seq = 1")
    third = _status(auditor.get("/portal/audit"))
    assert "Chain verified" in third and f"checked links {n + 1} to {n + 1}" in third, "honest: not re-read"
    auditor.get("/portal/audit")
    r = auditor.post("/portal/audit/verify")
    assert r.status_code == 200
    assert "Chain broken at link 1" in _status(r) and "walked the whole chain" in _status(r)
    after = _status(auditor.get("/portal/audit"))
    assert "Chain broken at link 1" in after and "walked the whole chain" in after, "never remembered"
    forged = auditor.client.post(
        "/portal/audit/verify", data={"csrf": "forged"}, headers={"Cookie": f"{COOKIE_NAME}={auditor.cookie}"}
    )
    assert forged.status_code == 403


@pytest.mark.parametrize("which", ["new", "last verified"])
def test_a_change_to_a_new_link_or_to_the_last_verified_one_is_found_at_the_next_view(
    client: SyncClient, app: FastAPI, operator_key: str, make_participant: Callable[..., Member], which: str
) -> None:
    alice = make_participant()
    _change_credit(client, operator_key, alice, "1.00")
    auditor = Visit(client)
    auditor.sign_in(make_participant(role="auditor").key)
    assert "Chain verified" in _status(auditor.get("/portal/audit"))
    n = _last_seq(app)
    _change_credit(client, operator_key, alice, "2.00")
    changed = n + 1 if which == "new" else n
    _sql(app, f"UPDATE audit_log SET actor = 'participant:999' WHERE seq = {changed}")
    shown = _status(auditor.get("/portal/audit"))
    assert f"Chain broken at link {changed}" in shown, shown
    assert "checked links" in shown, "found by the check of the new links"
    assert f"Chain broken at link {changed}" in _status(auditor.get("/portal/audit")), "never remembered"
