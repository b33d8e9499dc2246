"""The Market Portal's pages over HTTP (no browser): sign-in, CSRF, roles, forms and downloads.

The cookie jar is kept by hand (:class:`Visit`): outside development the session cookie is
``Secure`` and the test transport is plain HTTP.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

import httpx
import pytest
from sqlmodel import Session, col, select

from app.bids.tables import Bid
from app.clock import FixedClock
from app.db import transaction
from app.participants.tables import ApiKey
from app.web.paged import page_of, read_state
from app.web.session_cookie import COOKIE_NAME
from app.web.table_queries import bid_spec
from tests.app.conftest import JANUARY_2027_CLOSES, Database, Member, bearer, three_bus_json
from tests.app.http import SyncClient
from tests.app.test_clearing import WORKED_EXAMPLE, submit_worked_example

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
ORIGIN_REFS = re.compile(r'(?:src|href|action)="((?:https?:)?//[^"]*)"', re.I)


class Visit:
    """One browser's worth of cookie: sends it back, keeps the newest."""

    def __init__(self, client: SyncClient) -> None:
        self.client = client
        self.cookie: str | None = None
        self.csrf = ""

    def _keep(self, response: httpx.Response) -> httpx.Response:
        for header in response.headers.get_list("set-cookie"):
            name, _, rest = header.partition("=")
            if name == COOKIE_NAME:
                value = rest.split(";", 1)[0].strip('"')
                self.cookie = value or None
        found = (
            CSRF.search(response.text)
            if response.headers.get("content-type", "").startswith("text/html")
            else None
        )
        if found:
            self.csrf = found.group(1)
        return response

    def _headers(self) -> dict[str, str]:
        return {"Cookie": f"{COOKIE_NAME}={self.cookie}"} if self.cookie else {}

    def get(self, url: str) -> httpx.Response:
        return self._keep(self.client.get(url, headers=self._headers()))

    def post(self, url: str, data: dict[str, str] | None = None, **kwargs: Any) -> httpx.Response:
        form = {"csrf": self.csrf, **(data or {})}
        return self._keep(self.client.post(url, data=form, headers=self._headers(), **kwargs))

    def sign_in(self, key: str) -> httpx.Response:
        self.get("/portal/sign-in")
        r = self.post("/portal/sign-in", {"api_key": key, "next": "/portal"})
        assert r.status_code == 303, r.text
        self.get(r.headers["location"])  # the signed-in session's CSRF token
        return r


def _text(r: httpx.Response) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", r.text))


def _tbody(r: httpx.Response, table_id: str) -> str:
    """The text of the body rows of the table ``table_id``."""
    found = re.search(rf'<table id="{table_id}".*?<tbody>(.*?)</tbody>', r.text, re.S)
    assert found is not None, f"no table {table_id}"
    return unescape(re.sub(r"<[^>]+>", " ", found.group(1)))


def _rows(r: httpx.Response, table_id: str) -> list[list[str]]:
    """The cells of the body rows of the table ``table_id``."""
    found = re.search(rf'<table id="{table_id}".*?<tbody>(.*?)</tbody>', r.text, re.S)
    assert found is not None, f"no table {table_id}"
    return [
        [unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", found.group(1), re.S)
    ]


def test_sign_in_sets_a_strict_http_only_cookie_and_sign_out_clears_it(
    client: SyncClient, make_participant: Callable[..., Member]
) -> None:
    trader = make_participant(name="Trader Tess")
    visit = Visit(client)
    r = visit.sign_in(trader.key)
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" in cookie
    home = visit.get("/portal")
    assert "Trader Tess (trader)" in _text(home)
    visit.post("/portal/sign-out")
    assert visit.cookie is None
    assert "Trader Tess" not in _text(visit.get("/portal"))


def test_the_cookie_never_holds_the_key_is_signed_and_ends_with_the_key(
    client: SyncClient, make_participant: Callable[..., Member]
) -> None:
    trader = make_participant(name="Trader Kim")
    visit = Visit(client)
    visit.sign_in(trader.key)
    assert visit.cookie is not None
    secret = trader.key.split("_", 2)[2]
    payload = visit.cookie.split(".")[0]
    decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
    assert secret not in decoded and secret not in visit.cookie
    assert "Trader Kim" in _text(visit.get("/portal"))

    forged = Visit(client)
    forged.cookie = payload + "." + "A" * 43
    assert "Trader Kim" not in _text(forged.get("/portal")), "a cookie not signed by the service is ignored"

    with transaction(client.app.state.engine) as session:
        for key in session.exec(select(ApiKey).where(ApiKey.participant_id == trader.id)).all():
            key.revoked_at = datetime.now(UTC)
            session.add(key)
    page = visit.get("/portal")
    assert page.status_code == 200 and "Trader Kim" not in _text(page), "a revoked key signs the visitor out"


def test_a_bad_key_or_a_missing_csrf_token_is_refused(
    client: SyncClient, make_participant: Callable[..., Member]
) -> None:
    visit = Visit(client)
    visit.get("/portal/sign-in")
    r = visit.post("/portal/sign-in", {"api_key": "ftr_not_a_key"})
    assert r.status_code == 401 and "not valid" in _text(r)
    trader = make_participant()
    r = visit.post("/portal/sign-in", {"api_key": trader.key, "csrf": "forged"})
    assert r.status_code == 403 and "form is out of date" in _text(r)
    stranger = Visit(client)  # no cookie at all: no token to match
    r = stranger.post("/portal/sign-in", {"api_key": trader.key})
    assert r.status_code == 403


def test_pages_that_need_a_participant_send_the_public_to_sign_in(client: SyncClient) -> None:
    visit = Visit(client)
    r = visit.get("/portal/audit")
    assert r.status_code == 303 and r.headers["location"] == "/portal/sign-in?next=/portal/audit"
    assert visit.get("/portal/statement").status_code == 303


def test_roles_are_those_of_the_api(
    client: SyncClient, auction_id: int, make_participant: Callable[..., Member]
) -> None:
    trader = Visit(client)
    trader.sign_in(make_participant().key)
    r = trader.get("/portal/audit")
    assert r.status_code == 403 and "audit trail" in _text(r)
    r = trader.post(f"/portal/auctions/{auction_id}/lifecycle/close")
    assert r.status_code == 403
    auditor = Visit(client)
    auditor.sign_in(make_participant(role="auditor").key)
    r = auditor.post(f"/portal/auctions/{auction_id}/bids", {"source": "1", "sink": "3"})
    assert r.status_code == 403


def test_bid_form_shows_errors_inline_then_stores_and_withdraws(
    client: SyncClient, auction_id: int, make_participant: Callable[..., Member]
) -> None:
    member = make_participant()
    visit = Visit(client)
    visit.sign_in(member.key)
    page = visit.get(f"/portal/auctions/{auction_id}")
    assert page.status_code == 200 and 'id="bid-form"' in page.text
    bad = {"side": "buy", "period_class": "on_peak", "source": "1", "sink": "1", "mw": "10.05", "price": "x"}
    r = visit.post(f"/portal/auctions/{auction_id}/bids", bad)
    assert r.status_code == 422
    assert 'id="mw-error"' in r.text and 'id="price-error"' in r.text and 'id="sink-error"' in r.text
    assert 'value="10.05"' in r.text, "the form keeps what was typed"
    good = {**bad, "sink": "3", "mw": "10.0", "price": "12.00"}
    r = visit.post(f"/portal/auctions/{auction_id}/bids", good)
    assert r.status_code == 303, r.text
    bids = client.get(f"/api/v1/auctions/{auction_id}/bids", headers=member.headers).json()["items"]
    assert [(b["source"], b["sink"], b["mw"], b["price"]) for b in bids] == [("1", "3", "10.0", "12.00")]
    page = visit.get(r.headers["location"])
    assert f"Bid {bids[0]['id']} stored" in _text(page) and "Withdraw" in page.text
    r = visit.post(f"/portal/bids/{bids[0]['id']}/withdraw")
    assert r.status_code == 303
    status = client.get(f"/api/v1/bids/{bids[0]['id']}", headers=member.headers).json()["status"]
    assert status == "withdrawn"


def test_csv_upload_names_every_bad_row_and_stores_nothing(
    client: SyncClient, auction_id: int, make_participant: Callable[..., Member]
) -> None:
    member = make_participant()
    visit = Visit(client)
    visit.sign_in(member.key)
    template = visit.get("/portal/bids/template.csv")
    assert template.status_code == 200 and template.text.startswith("side,period_class,source,sink")
    content = (
        "side,period_class,source,sink,hedge,mw,price\n"
        "buy,on_peak,1,3,obligation,10.0,5.00\n"
        "buy,on_peak,2,3,obligation,-4,5.00\n"
        "buy,on_peak,2,3,obligation,1.0,cheap\n"
    )
    visit.get(f"/portal/auctions/{auction_id}")
    files = {"file": ("mine.csv", content.encode(), "text/csv")}
    r = visit.post(f"/portal/auctions/{auction_id}/bids/upload", files=files)
    assert r.status_code == 422
    rows = re.findall(r"<tr><td class=\"num\">(\d+)</td><td>([^<]+)</td>", r.text)
    assert {row for row, _ in rows} == {"2", "3"} and "mine.csv" in r.text
    assert client.get(f"/api/v1/auctions/{auction_id}/bids", headers=member.headers).json()["total"] == 0
    good = "\n".join(content.splitlines()[:2]) + "\n"
    r = visit.post(
        f"/portal/auctions/{auction_id}/bids/upload", files={"file": ("ok.csv", good.encode(), "text/csv")}
    )
    assert r.status_code == 303 and "1 bids stored" in _text(visit.get(r.headers["location"]))


def test_operator_clears_reviews_and_posts_then_everyone_reads_the_results(
    client: SyncClient,
    operator_key: str,
    auction_id: int,
    clock: FixedClock,
    make_participant: Callable[..., Member],
) -> None:
    bids = submit_worked_example(client, auction_id, make_participant)
    oi = Visit(client)
    oi.sign_in(operator_key)
    r = oi.post(f"/portal/auctions/{auction_id}/lifecycle/clear")
    assert r.status_code == 409 and 'id="action-error"' in r.text, "the window is still open"
    clock.set(JANUARY_2027_CLOSES + timedelta(minutes=5))
    r = oi.post(f"/portal/auctions/{auction_id}/lifecycle/clear")
    assert r.status_code == 303, r.text
    page = oi.get(f"/portal/auctions/{auction_id}")
    job_id = int(re.search(r"Clearing job (\d+)", _text(page)).group(1))  # type: ignore[union-attr]
    client.app.state.jobs.wait_idle(timeout=120)
    fragment = oi.client.get(
        f"/portal/clearing-jobs/{job_id}", headers={**oi._headers(), "HX-Request": "true"}
    )
    assert "succeeded" in fragment.text and fragment.headers["HX-Refresh"] == "true"
    review = _text(oi.get(f"/portal/auctions/{auction_id}"))
    assert "Review before posting" in review and "holder-B1" in review and "1-3" in review
    page = oi.get(f"/portal/auctions/{auction_id}")
    hashes = _rows(page, "clearing-hashes")
    assert len(hashes) == 1 and len(hashes[0][3]) == 64 and len(hashes[0][4]) == 64
    book = oi.get(f"/portal/auctions/{auction_id}/bids.csv?status=active").text.splitlines()
    assert len(book) == len(bids) + 1, "the bid book: every active bid and offer"
    assert oi.get(f"/portal/results/{auction_id}/network/contingencies.csv").status_code == 200

    public = Visit(client)
    assert public.get(f"/portal/results/{auction_id}/on_peak").status_code == 404, "not posted yet"
    assert public.get(f"/portal/results/{auction_id}/network").status_code == 404, "not posted yet"
    assert oi.post(f"/portal/auctions/{auction_id}/lifecycle/post").status_code == 303
    r = public.get(f"/portal/results/{auction_id}/on_peak")
    assert r.status_code == 200
    assert "holder-B1" in _text(r) and "15.00" in _text(r) and 'id="nodal-chart"' in r.text
    csv = public.get(f"/portal/results/{auction_id}/on_peak/awards.csv")
    assert csv.status_code == 200 and csv.text.splitlines()[0].startswith("participant,side,source,sink")
    assert WORKED_EXAMPLE["B2"]["price"] not in r.text, "no bid price is ever shown"
    assert r.text.count("data-bus=") == 3 and 'id="grid-desc"' in r.text, "the grid picture, with its text"
    binding = [row[0].split(" ")[0] for row in _rows(r, "binding-table") if len(row) > 1]
    assert binding and all(f'class="br br-binding" data-branch="{b}"' in r.text for b in binding)
    assert sum(int(row[3]) for row in _rows(r, "grid-legend") if len(row) == 4) == 3
    net = public.get(f"/portal/results/{auction_id}/network")
    assert net.status_code == 200 and 'id="contingencies"' in net.text and 'id="loop-flows"' in net.text
    assert public.get(f"/portal/results/{auction_id}/network/contingencies.csv").text.startswith(
        "contingency,"
    )
    awards = _rows(r, "awards-table")
    assert len(awards) > 1 and {a[0] for a in awards} >= {"holder-B1"}
    r = public.get(f"/portal/results/{auction_id}/on_peak?participant=b1&sort=mw&dir=desc")
    assert [a[0] for a in _rows(r, "awards-table")] == ["holder-B1"]
    csv = public.get(f"/portal/results/{auction_id}/on_peak/awards.csv?participant=b1").text.splitlines()
    assert len(csv) == 2 and csv[1].startswith("holder-B1,")
    prices = _rows(
        public.get(f"/portal/results/{auction_id}/on_peak?nodes-sort=price&nodes-dir=desc"),
        "nodal-prices-table",
    )
    assert len(prices) == 3 and [float(p[1]) for p in prices] == sorted(
        (float(p[1]) for p in prices), reverse=True
    )
    node_csv = public.get(f"/portal/results/{auction_id}/on_peak/nodal_prices.csv?nodes-point=3").text
    assert node_csv.splitlines()[0] == "point_id,price" and len(node_csv.splitlines()) == 2

    member, _ = bids["B1"]
    trader = Visit(client)
    trader.sign_in(member.key)
    r = trader.get(f"/portal/path-price?auction_id={auction_id}&period_class=on_peak&source=1&sink=3")
    assert r.status_code == 200 and 'id="path-price">10.00<' in r.text
    assert "0.666667" in r.text and 'id="nodal-chart"' in r.text
    r = trader.get(f"/portal/path-price?auction_id={auction_id}&period_class=on_peak&source=9&sink=3")
    assert r.status_code == 422 and "'9' is not a priced point" in _text(r)
    home = _text(trader.get("/portal"))
    assert "1 → 3" in home and "auction" in home


def test_auditor_sees_the_chain_verified_and_filters_by_action(
    client: SyncClient, auction_id: int, make_participant: Callable[..., Member]
) -> None:
    trader = make_participant()
    body = {"period_class": "on_peak", "source": "1", "sink": "3", "mw": "1.0", "price": "1.00"}
    assert client.post(f"/api/v1/auctions/{auction_id}/bids", json=body, headers=trader.headers).is_success
    auditor = Visit(client)
    auditor.sign_in(make_participant(role="auditor").key)
    r = auditor.get("/portal/audit")
    assert r.status_code == 200 and "Chain verified" in _text(r)
    shown = _tbody(r, "audit-entries")
    assert "window.opened" in shown and "bid.created" not in shown  # bids: the bidder's sub-chain
    shown = _tbody(auditor.get(f"/portal/audit?chain=participant:{trader.id}"), "audit-entries")
    assert "window.opened" not in shown and "bid.created" in shown
    shown = _tbody(auditor.get("/portal/audit?action=opened"), "audit-entries")
    assert "window.opened" in shown
    assert "No entry matches" in _tbody(auditor.get("/portal/audit?action=posted"), "audit-entries")
    assert "No entry matches" in _tbody(auditor.get("/portal/audit?until=2000-01-01"), "audit-entries")
    assert "window.opened" in _tbody(auditor.get("/portal/audit?since=2000-01-01"), "audit-entries")
    r = auditor.get("/portal/audit?since=yesterday")
    assert r.status_code == 422 and "since" in _text(r)
    csv = auditor.get(f"/portal/audit.csv?chain=participant:{trader.id}&action=bid")
    lines = csv.text.splitlines()
    assert csv.status_code == 200 and lines[0] == "chain,seq,at,actor,action,payload,prev_hash,hash"
    assert (
        len(lines) == 2 and lines[1].startswith(f"participant:{trader.id},") and ",bid.created," in lines[1]
    )
    assert auditor.get("/portal/audit.csv?action=nothing-like-this").text.count("\n") == 1, "the header alone"


def test_a_participant_never_sees_another_participants_bids(
    client: SyncClient, auction_id: int, make_participant: Callable[..., Member]
) -> None:
    alice, bob = make_participant(name="Alice"), make_participant(name="Bob")
    r = client.post(
        f"/api/v1/auctions/{auction_id}/bids",
        json={"period_class": "on_peak", "source": "2", "sink": "3", "mw": "7.0", "price": "777.77"},
        headers=alice.headers,
    )
    assert r.status_code == 201
    visit = Visit(client)
    visit.sign_in(bob.key)
    for url in ("/portal", f"/portal/auctions/{auction_id}"):
        page = visit.get(url)
        assert page.status_code == 200 and "777.77" not in page.text and "Alice" not in page.text
    r = visit.post(f"/portal/bids/{r.json()['id']}/withdraw")
    assert r.status_code == 404


@pytest.mark.parametrize("signed_in", [False, True])
def test_no_page_refers_to_another_origin(
    client: SyncClient, auction_id: int, make_participant: Callable[..., Member], signed_in: bool
) -> None:
    visit = Visit(client)
    if signed_in:
        visit.sign_in(make_participant().key)
    for url in ("/portal", "/portal/sign-in", f"/portal/auctions/{auction_id}"):
        page = visit.get(url)
        assert page.status_code == 200
        assert ORIGIN_REFS.findall(page.text) == [], url
        for asset in re.findall(r'(?:src|href)="(/portal/static/[^"]+)"', page.text):
            assert client.get(asset).status_code == 200, asset


def test_pages_are_not_in_the_openapi(client: SyncClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if p.startswith("/portal") or p == "/"]
    assert "/api/v1/auctions/{auction_id}/path-price" in paths


def test_statement_without_a_settled_month_says_so(
    client: SyncClient, make_participant: Callable[..., Member]
) -> None:
    visit = Visit(client)
    visit.sign_in(make_participant(role="lse").key)
    r = visit.get("/portal/statement?year=2026&month=11")
    assert r.status_code == 404 and "no statement" in _text(r)


def test_operator_api_key_still_works_for_the_api(client: SyncClient, operator_key: str) -> None:
    assert client.get("/api/v1/auctions", headers=bearer(operator_key)).status_code == 200


def _upload(visit: Visit, auction_id: int, rows: list[str]) -> None:
    content = "side,period_class,source,sink,hedge,mw,price\n" + "\n".join(rows) + "\n"
    visit.get(f"/portal/auctions/{auction_id}")
    r = visit.post(
        f"/portal/auctions/{auction_id}/bids/upload", files={"file": ("b.csv", content.encode(), "text/csv")}
    )
    assert r.status_code == 303, _text(r)


def test_my_bids_are_paged_sorted_and_filtered_on_the_server_and_download_whole(
    client: SyncClient, database: Database, auction_id: int, make_participant: Callable[..., Member]
) -> None:
    member = make_participant()
    other = make_participant()
    visit = Visit(client)
    visit.sign_in(member.key)
    # 120 bids: prices 1..120 $/MW; every third one 2 -> 3, the others 1 -> 3
    _upload(
        visit,
        auction_id,
        [f"buy,on_peak,{2 if i % 3 == 0 else 1},3,obligation,1.0,{i}.00" for i in range(1, 121)],
    )
    body = {"period_class": "on_peak", "source": "2", "sink": "3", "mw": "1.0", "price": "999.00"}
    assert client.post(f"/api/v1/auctions/{auction_id}/bids", json=body, headers=other.headers).is_success
    base = f"/portal/auctions/{auction_id}"

    r = visit.get(base)
    rows = _rows(r, "bids-table")
    assert len(rows) == 50 and "Rows 1–50 of 120" in _text(r)
    assert [row[7] for row in rows[:2]] == ["1.00", "2.00"], "by id, oldest first"
    assert "999.00" not in r.text, "another participant's bid is never shown"

    rows = _rows(visit.get(f"{base}?sort=price&dir=desc&page=3"), "bids-table")
    assert [row[7] for row in rows] == [f"{p}.00" for p in range(20, 0, -1)], "the last page, highest first"

    r = visit.get(f"{base}?source=2&sort=price&dir=desc&size=25")
    rows = _rows(r, "bids-table")
    assert "Rows 1–25 of 40" in _text(r) and {row[3] for row in rows} == {"2"}
    assert rows[0][7] == "120.00"
    assert visit.get(f"{base}?source=2&page=99").status_code == 200, "past the last page: the last page"

    csv = visit.get(f"/portal/auctions/{auction_id}/bids.csv?source=2&sort=price&dir=desc")
    lines = csv.text.splitlines()
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert lines[0].startswith("id,side,period_class,source,sink") and len(lines) == 41
    assert lines[1].split(",")[7] == "120.00" and lines[-1].split(",")[7] == "3.00"
    assert "999.00" not in csv.text

    # a large set is counted only as far as needed: "more than" the rows counted, and no "Last" link
    own = select(Bid).where(col(Bid.participant_id) == member.id)
    with Session(database.engine) as session:
        for page, exact, total, pages, text in (
            (1, False, 100, 2, "more than 2"),
            (2, False, 100, 3, "more than 2"),
            (3, True, 120, 3, "3"),
        ):
            state = read_state(bid_spec(False), {"page": str(page)})
            found = page_of(session, own, state, count_cap=100)
            assert (found.exact, found.total, found.pages, found.pages_text) == (exact, total, pages, text)
        assert (
            page_of(session, own, read_state(bid_spec(False), {}), count_cap=100).total_text
            == "more than 100"
        )

    for bad, param in (
        ("sort=credit_cents", "sort"),
        ("dir=up", "dir"),
        ("side=hold", "side"),
        ("page=0", "page"),
    ):
        r = visit.get(f"{base}?{bad}")
        assert r.status_code == 422 and f"'{param}'" in _text(r), bad


def test_a_bid_is_changed_in_place_while_the_window_is_open(
    client: SyncClient, auction_id: int, make_participant: Callable[..., Member]
) -> None:
    member, other = make_participant(), make_participant()
    body = {"period_class": "on_peak", "source": "1", "sink": "3", "mw": "5.0", "price": "10.00"}
    bid_id = client.post(f"/api/v1/auctions/{auction_id}/bids", json=body, headers=member.headers).json()[
        "id"
    ]
    visit = Visit(client)
    visit.sign_in(member.key)
    page = visit.get(f"/portal/auctions/{auction_id}")
    assert f'action="/portal/bids/{bid_id}/edit"' in page.text
    r = visit.post(f"/portal/bids/{bid_id}/edit", {"mw": "5.05", "price": "11.00"})
    assert r.status_code == 422 and 'id="edit-error"' in r.text and 'value="5.05"' in r.text
    r = visit.post(f"/portal/bids/{bid_id}/edit", {"mw": "7.5", "price": "11.00"})
    assert r.status_code == 303
    assert f"Bid {bid_id} changed" in _text(visit.get(r.headers["location"]))
    stored = client.get(f"/api/v1/bids/{bid_id}", headers=member.headers).json()
    assert (stored["mw"], stored["price"], stored["status"]) == ("7.5", "11.00", "active")

    auditor = Visit(client)
    auditor.sign_in(make_participant(role="auditor").key)
    csv = auditor.get(f"/portal/audit.csv?chain=participant:{member.id}&action=bid.modified").text
    assert csv.count("bid.modified") == 1 and '""mw_tenths"": 75' in csv

    stranger = Visit(client)
    stranger.sign_in(other.key)
    stranger.get(f"/portal/auctions/{auction_id}")
    assert stranger.post(f"/portal/bids/{bid_id}/edit", {"mw": "1.0"}).status_code == 404


def test_operator_creates_a_participant_issues_a_key_and_sets_its_credit_limit(
    client: SyncClient, operator_key: str, make_participant: Callable[..., Member]
) -> None:
    oi = Visit(client)
    oi.sign_in(operator_key)
    oi.get("/portal/participants")
    r = oi.post("/portal/participants", {"name": "", "role": "trader", "credit_limit": "10.00"})
    assert r.status_code == 422 and 'id="participant-error"' in r.text
    r = oi.post("/portal/participants", {"name": "Newco", "role": "trader", "credit_limit": "2500.00"})
    assert r.status_code == 200
    key = re.search(r'id="issued-key-value" value="([^"]+)"', r.text).group(1)  # type: ignore[union-attr]
    me = client.get("/api/v1/participants/me", headers=bearer(key)).json()
    assert me["name"] == "Newco" and me["credit_limit"] == "2500.00"
    r = oi.post(f"/portal/participants/{me['id']}/credit-limit", {"credit_limit": "-5"})
    assert r.status_code == 422
    r = oi.post(f"/portal/participants/{me['id']}/credit-limit", {"credit_limit": "4000.00"})
    assert r.status_code == 303
    assert client.get("/api/v1/participants/me", headers=bearer(key)).json()["credit_limit"] == "4000.00"
    row = next(row for row in _rows(oi.get("/portal/participants"), "participants") if row[1] == "Newco")
    assert row[3] == "4,000.00"
    r = oi.post(f"/portal/participants/{me['id']}/keys")
    second = re.search(r'id="issued-key-value" value="([^"]+)"', r.text).group(1)  # type: ignore[union-attr]
    assert second != key and client.get("/api/v1/participants/me", headers=bearer(second)).status_code == 200

    trader = Visit(client)
    trader.sign_in(make_participant().key)
    assert trader.get("/portal/participants").status_code == 403
    assert trader.post("/portal/participants", {"name": "X", "role": "operator"}).status_code == 403


def test_network_versions_are_listed_uploaded_and_downloaded(
    client: SyncClient, operator_key: str, network_id: int, make_participant: Callable[..., Member]
) -> None:
    oi = Visit(client)
    oi.sign_in(operator_key)
    listed = _rows(oi.get("/portal/networks"), "networks")
    assert [row[0] for row in listed] == [f"Version {network_id}"]
    files = {"file": ("again.json", three_bus_json(), "application/json")}
    r = oi.post("/portal/networks", {"format": "json"}, files=files)
    assert r.status_code == 303 and r.headers["location"] == f"/portal/networks/{network_id}", "same content"
    r = oi.post(
        "/portal/networks", {"format": "json"}, files={"file": ("bad.json", b"{nope", "application/json")}
    )
    assert r.status_code == 422 and "bad.json" in _text(r)
    page = oi.get(f"/portal/networks/{network_id}")
    assert page.status_code == 200 and "Buses 3" in " ".join(_text(page).split())
    model = oi.get(f"/portal/networks/{network_id}/network.json")
    assert model.status_code == 200 and json.loads(model.text)["buses"]
    assert oi.get(f"/portal/networks/{network_id}/contingencies.csv").text.startswith(
        "contingency,branches_out"
    )

    trader = Visit(client)
    trader.sign_in(make_participant().key)
    assert trader.get(f"/portal/networks/{network_id}").status_code == 200
    assert 'id="upload-network"' not in trader.get("/portal/networks").text
    r = trader.post("/portal/networks", {"format": "json"}, files=files)
    assert r.status_code == 403
    assert Visit(client).get("/portal/networks").status_code == 303, "the public signs in first"


def test_settlement_runs_are_for_the_oi_and_auditors(
    client: SyncClient, operator_key: str, make_participant: Callable[..., Member]
) -> None:
    oi = Visit(client)
    oi.sign_in(operator_key)
    r = oi.get("/portal/settlement/runs?year=2026&month=11")
    assert r.status_code == 200 and 'id="no-runs"' in r.text
    assert oi.get("/portal/settlement/runs/999999/hours.csv").status_code == 404
    auditor = Visit(client)
    auditor.sign_in(make_participant(role="auditor").key)
    assert auditor.get("/portal/settlement/runs").status_code == 200
    for role in ("trader", "lse"):
        visit = Visit(client)
        visit.sign_in(make_participant(role=role).key)
        r = visit.get("/portal/settlement/runs")
        assert r.status_code == 403 and "holders read their statements" in _text(r)
        assert visit.get("/portal/settlement/runs/1/holders.csv").status_code == 403


def test_an_lse_sees_its_own_allocations_and_distribution_and_downloads_them(
    client: SyncClient, operator_key: str, auction_id: int, make_participant: Callable[..., Member]
) -> None:
    lse, other = make_participant(role="lse"), make_participant(role="lse")
    oi = bearer(operator_key)
    for holder, mw in ((lse, "7.0"), (other, "3.0")):
        body = {"holder_id": holder.id, "year": 2027, "month": 1, "period_class": "on_peak"}
        r = client.post("/api/v1/holdings", json={**body, "source": "1", "sink": "3", "mw": mw}, headers=oi)
        assert r.status_code == 201, r.text
    visit = Visit(client)
    visit.sign_in(lse.key)
    r = visit.get("/portal/allocations?year=2027")
    assert r.status_code == 200
    rows = _tbody(r, "allocated-ftrs")
    assert "7.0" in rows and "nsu_allocation" in rows and "3.0" not in rows
    assert "No settled month in 2027" in _tbody(r, "distribution")
    csv = visit.get("/portal/allocations/holdings.csv")
    lines = csv.text.splitlines()
    assert csv.headers["content-type"].startswith("text/csv") and len(lines) == 2
    assert f",{lse.id}," in lines[1] and ",7.0," in lines[1]
    assert visit.get("/portal/allocations/applications.csv").text.splitlines() == [
        "id,kind,period,last_month,state,reason,ftrs"
    ]
    dist = visit.get("/portal/allocations/distribution.csv?year=2027").text.splitlines()
    assert dist[0].startswith("year,month,run_id") and len(dist) == 1
    assert visit.get("/portal/statement/hours.csv?year=2027&month=1").status_code == 404
    assert visit.get("/portal/allocations?year=1999").status_code == 422
    anonymous = Visit(client)
    assert anonymous.get("/portal/allocations").status_code == 303
    assert anonymous.get("/portal/allocations/holdings.csv").status_code == 303


def test_portfolio_shows_own_holdings_and_offers_one_for_resale_by_the_bid_form(
    client: SyncClient, operator_key: str, auction_id: int, make_participant: Callable[..., Member]
) -> None:
    lse, other = make_participant(role="lse"), make_participant(role="lse")
    oi = bearer(operator_key)
    for holder, mw in ((lse, "7.0"), (other, "3.0")):
        body = {"holder_id": holder.id, "year": 2027, "month": 1, "period_class": "on_peak"}
        r = client.post("/api/v1/holdings", json={**body, "source": "1", "sink": "3", "mw": mw}, headers=oi)
        assert r.status_code == 201, r.text
    visit = Visit(client)
    visit.sign_in(lse.key)
    page = visit.get("/portal/portfolio")  # the open auction's month by default
    assert page.status_code == 200 and "2027-01" in page.text
    held = _rows(page, "portfolio-on_peak")
    assert len(held) == 1 and held[0][:5] == ["1 → 3", "obligation", "7.0", "7.0", "7.0"]
    assert "3.0" not in _tbody(page, "portfolio-on_peak")
    assert "No off_peak FTR held" in _tbody(page, "portfolio-off_peak")
    csv = visit.get("/portal/portfolio.csv?year=2027&month=1").text.splitlines()
    assert len(csv) == 2 and str(lse.id) in csv[1] and str(other.id) not in csv[1].split(",")[:1]
    link = unescape(re.search(r'class="offer" href="([^"]+)"', page.text).group(1))  # type: ignore[union-attr]
    form = visit.get(link)
    assert '<option value="sell" selected>' in form.text and 'value="7.0"' in form.text
    offer = {"side": "sell", "period_class": "on_peak", "source": "1", "sink": "3", "hedge": "obligation"}
    too_much = visit.post(f"/portal/auctions/{auction_id}/bids", {**offer, "mw": "70.0", "price": "5.00"})
    assert too_much.status_code == 422 and 'id="bid-error"' in too_much.text
    r = visit.post(f"/portal/auctions/{auction_id}/bids", {**offer, "mw": "7.0", "price": "5.00"})
    assert r.status_code == 303, r.text
    bids = client.get(f"/api/v1/auctions/{auction_id}/bids", headers=lse.headers).json()["items"]
    assert [(b["side"], b["mw"], b["price"]) for b in bids] == [("sell", "7.0", "5.00")]
    outsider = Visit(client)
    outsider.sign_in(other.key)
    assert "7.0" not in _tbody(outsider.get("/portal/portfolio?year=2027&month=1"), "portfolio-on_peak")
    auditor = Visit(client)
    auditor.sign_in(make_participant(role="auditor").key)
    assert auditor.get("/portal/portfolio").status_code == 403
