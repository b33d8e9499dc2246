"""Each role's journey through the Market Portal in Chromium, on a live server with the demo market.

Every test fails on a console error, a page error or a request to another origin (see the ``visit``
fixture). With ``FTR_SCREENSHOTS=<dir>`` the journeys save screenshots of the main pages there
(``docs/screenshots`` for the README).
"""

from __future__ import annotations

import json
import os
import re
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import LiveServer
from tests.demo_build import DemoBuild

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180, func_only=True)]

TRADER_A, TRADER_B, LSE, TO, AUDITOR, OI = (
    "Demo Trader A",
    "Demo Trader B",
    "Demo LSE",
    "Demo TO",
    "Demo Auditor",
    "Demo OI",
)
CLEARING_WAIT_MS = 150_000


def api(server: LiveServer, who: str, path: str) -> Any:
    request = urllib.request.Request(
        server.url + path, headers={"Authorization": f"Bearer {server.keys[who]}"}
    )
    with urllib.request.urlopen(request, timeout=15) as r:
        return json.loads(r.read())


def auctions(server: LiveServer) -> dict[str, int]:
    """status -> auction id of the demo's two auctions."""
    items = api(server, OI, "/api/v1/auctions")["items"]
    return {a["status"]: a["id"] for a in items}


def shoot(page: Any, name: str, focus: str | None = None) -> None:
    target = os.environ.get("FTR_SCREENSHOTS")
    if target:
        if focus is not None:
            page.locator(focus).scroll_into_view_if_needed()
        Path(target).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(target) / f"{name}.png"), full_page=False)


ACCESSIBILITY_PROBLEMS = """() => {
  const problems = [];
  const short = (el) => el.outerHTML.slice(0, 100);
  for (const el of document.querySelectorAll("input:not([type=hidden]), select, textarea")) {
    const named = (el.labels && el.labels.length)
      || el.getAttribute("aria-label") || el.getAttribute("aria-labelledby");
    if (!named) problems.push(`input without a label: ${short(el)}`);
  }
  for (const el of document.querySelectorAll("img, svg, [role=img]")) {
    if (el.closest("[aria-hidden=true]")) continue;
    const alt = el.getAttribute("alt") || el.getAttribute("aria-label") || el.getAttribute("aria-labelledby");
    if (!alt) problems.push(`image without a text alternative: ${short(el)}`);
    for (const id of (el.getAttribute("aria-labelledby") || "").split(" ").filter(Boolean)) {
      if (!document.getElementById(id)) problems.push(`aria-labelledby names no element: ${id}`);
    }
  }
  const levels = [...document.querySelectorAll("h1, h2, h3, h4, h5, h6")]
    .map((h) => Number(h.tagName[1]));
  if (levels[0] !== 1) problems.push(`the first heading is h${levels[0]}, not h1`);
  levels.forEach((l, i) => {
    if (i && l > levels[i - 1] + 1) problems.push(`h${levels[i - 1]} followed by h${l}`);
  });
  for (const el of document.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea")) {
    if (el.tabIndex < 0) {
      problems.push(`not reachable by keyboard: ${short(el)}`);
    }
  }
  const ids = [...document.querySelectorAll("[id]")].map((e) => e.id);
  const twice = ids.filter((id, i) => ids.indexOf(id) !== i);
  if (twice.length) problems.push(`ids used twice: ${[...new Set(twice)].join(", ")}`);
  return problems;
}"""


def assert_accessible(page: Any) -> None:
    """Every input has a label, every image a text alternative, headings go down one level at a time,
    every control takes the keyboard's focus, no id is used twice."""
    problems = page.evaluate(ACCESSIBILITY_PROBLEMS)
    assert problems == [], (page.url, problems)


def sign_in(page: Any, who: str, server: LiveServer) -> None:
    page.goto("/portal/sign-in")
    page.get_by_label("API key issued by the OI").fill(server.keys[who])
    page.get_by_role("button", name="Sign in").click()
    page.locator("#signed-in-as").filter(has_text=who).wait_for()


def test_trader_bids_by_form_and_sees_the_bad_row_of_an_upload(open_market: LiveServer, visit: Any) -> None:
    page = visit(open_market)
    open_id = auctions(open_market)["open"]
    sign_in(page, TRADER_A, open_market)
    shoot(page, "overview")
    first_countdown = page.locator("[data-countdown]").first
    first_countdown.filter(has_text=re.compile(r"\d+ d \d+ h")).wait_for()  # the script has ticked
    countdown = first_countdown.inner_text()
    days = int(re.match(r"(\d+) d \d+ h", countdown).group(1))  # type: ignore[union-attr]
    assert days <= 7, f"counted on the market clock (a window lasts about a week): {countdown}"
    page.get_by_role("link", name=f"Auction {open_id}").click()
    form = page.locator("#bid-form")
    form.get_by_label("Source").fill("189")
    form.get_by_label("Sink").fill("121")
    form.get_by_label("MW", exact=True).fill("2.55")
    form.get_by_label("Price $/MW").fill("100.00")
    form.get_by_role("button", name="Submit").click()
    assert "0.1" in page.locator("#mw-error").inner_text()
    page.locator("#bid-form").get_by_label("MW", exact=True).fill("2.5")
    page.locator("#bid-form").get_by_role("button", name="Submit").click()
    created = page.locator("#bid-created").inner_text()
    bid_id = int(re.search(r"Bid (\d+) stored", created).group(1))  # type: ignore[union-attr]
    assert page.locator(f"#bid-{bid_id}").is_visible()
    assert_accessible(page)
    shoot(page, "auction-trader")

    page.get_by_label(f"MW of bid {bid_id}", exact=True).fill("3.0")
    page.get_by_label(f"Price $/MW of bid {bid_id}").fill("120.00")
    page.locator(f"#edit-{bid_id}").get_by_role("button", name="Change").click()
    page.locator("#bid-edited").wait_for()
    row = page.locator(f"#bid-{bid_id} td")
    assert row.nth(6).inner_text() == "3.0" and row.nth(7).inner_text() == "120.00"
    page.locator("#bids-filters").get_by_label("Source contains").fill("189")
    page.locator("#bids-filters").get_by_role("button", name="Filter").click()
    sources = page.locator("#bids-table tbody tr td:nth-child(4)").all_inner_texts()
    assert sources and all("189" in s for s in sources)
    page.locator("#bids-table thead").get_by_role("link", name="Price $/MW").click()
    page.locator("#bids-table thead").get_by_role("link", name="Price $/MW ▲").wait_for()
    prices = [
        float(p.replace(",", ""))
        for p in page.locator("#bids-table tbody tr td:nth-child(8)").all_inner_texts()
    ]
    assert prices == sorted(prices)
    download = page.request.get(page.locator("#bids-csv").get_attribute("href") or "")
    assert download.ok and download.text().count("\n") == len(sources) + 1, "the CSV is the filtered set"

    template = page.request.get("/portal/bids/template.csv")
    assert template.ok and template.text().startswith("side,period_class,source,sink,hedge,mw,price")
    csv = (
        "side,period_class,source,sink,hedge,mw,price\n"
        "buy,on_peak,189,14,obligation,1.0,50.00\n"
        "buy,on_peak,189,16,obligation,-3,50.00\n"
        "buy,off_peak,187,13,obligation,1.0,5.00\n"
    )
    page.locator("#file").set_input_files(
        files=[{"name": "my-bids.csv", "mimeType": "text/csv", "buffer": csv.encode()}]
    )
    page.locator("#upload-form").get_by_role("button", name="Upload").click()
    rows = page.locator("#upload-errors tbody tr")
    assert rows.count() == 1
    assert rows.first.locator("td").nth(0).inner_text() == "2"
    assert "mw" in rows.first.locator("td").nth(1).inner_text()
    assert "my-bids.csv" in page.locator("#upload-error").inner_text()
    shoot(page, "upload-errors", "#bid-upload")
    own = api(open_market, TRADER_A, f"/api/v1/auctions/{open_id}/bids?limit=1000")["items"]
    assert not [b for b in own if b["sink"] == "14" and b["mw"] == "1.0"], "nothing of the upload stored"


def test_operator_clears_and_posts_then_the_trader_finds_the_award_and_prices_a_path(
    closed_market: LiveServer, visit: Any
) -> None:
    ids = auctions(closed_market)
    auction_id = ids["closed"]
    oi = visit(closed_market)
    sign_in(oi, OI, closed_market)
    oi.goto(f"/portal/auctions/{auction_id}")
    oi.locator("#lifecycle-clear").click()
    oi.locator("#job-progress").wait_for()
    assert oi.locator("#job-progress progress").count() == 1
    shoot(oi, "clearing-progress")
    oi.locator("#auction-status", has_text="cleared").wait_for(timeout=CLEARING_WAIT_MS)
    review = oi.locator("#review")
    assert "Review before posting" in review.inner_text() and TRADER_A in review.inner_text()
    assert review.locator("#review-summary tbody tr").count() == 2
    shoot(oi, "review")
    oi.locator("#lifecycle-post").click()
    oi.locator("#auction-status", has_text="posted").wait_for()

    trader = visit(closed_market)
    sign_in(trader, TRADER_A, closed_market)
    holdings = trader.locator("#my-holdings tbody tr").filter(
        has=trader.get_by_role("link", name=str(auction_id))
    )
    assert holdings.count() > 0, "the award is among my FTRs"
    path = holdings.first.locator("td").nth(2).inner_text()
    source, sink = (p.strip() for p in path.split("→"))
    cls = holdings.first.locator("td").nth(1).inner_text().strip()
    trader.goto(f"/portal/auctions/{auction_id}")
    trader.get_by_role("link", name=f"path price ({cls})").click()
    trader.get_by_label("Source").fill(source)
    trader.get_by_label("Sink").fill(sink)
    trader.get_by_role("button", name="Look up").click()
    price = trader.locator("#path-price").inner_text()
    expected = api(
        closed_market,
        TRADER_A,
        f"/api/v1/auctions/{auction_id}/path-price?source={source}&sink={sink}&class={cls}",
    )
    assert price.replace(",", "") == expected["price"]
    assert trader.locator("#path-terms tbody tr").count() >= 1
    trader.locator("#nodal-chart canvas").first.wait_for()
    shoot(trader, "path-price")


def test_public_reads_posted_results_and_downloads_them(open_market: LiveServer, visit: Any) -> None:
    page = visit(open_market)
    posted = auctions(open_market)["posted"]
    page.goto("/portal")
    page.locator("#auctions").get_by_role("link", name="on_peak").first.click()
    assert page.locator("#awards tbody tr").count() > 1
    assert page.locator("#binding-constraints tbody tr").count() >= 1
    page.locator("#nodal-chart canvas").first.wait_for()
    shoot(page, "public-results")
    assert page.locator("#grid-picture svg circle").count() > 100
    assert (
        page.locator("#grid-picture line.br-binding, #grid-picture line.br-binding-contingency").count() >= 1
    )
    assert_accessible(page)
    shoot(page, "grid", "#grid")
    page.locator("#awards-filters").get_by_label("Participant contains").fill("Trader A")
    page.locator("#awards-filters").get_by_role("button", name="Filter").click()
    names = page.locator("#awards-table tbody tr td:nth-child(1)").all_inner_texts()
    assert names and set(names) == {TRADER_A}
    page.get_by_role("link", name="network model and contingencies").click()
    assert page.locator("#contingencies tbody tr").count() >= 1
    assert_accessible(page)
    for table in ("awards", "nodal_prices", "binding_constraints"):
        r = page.request.get(f"/portal/results/{posted}/on_peak/{table}.csv")
        assert r.ok and r.headers["content-type"].startswith("text/csv") and r.text().count("\n") > 1


def test_lse_opens_its_statement(open_market: LiveServer, visit: Any) -> None:
    page = visit(open_market)
    sign_in(page, LSE, open_market)
    page.get_by_role("link", name="Allocations").click()
    assert page.locator("#allocated-ftrs tbody tr").count() >= 1
    applied = page.locator("#applications tbody tr").first.inner_text()
    assert "ptp_assignment" in applied and "pending" in applied and "189 → 121 5.0" in applied, applied
    applications = page.request.get(page.locator("#applications-csv").get_attribute("href") or "")
    assert applications.ok and len(applications.text().splitlines()) == 2
    settled = page.locator("#distribution tbody tr a")
    assert settled.count() >= 1, page.locator("#distribution").inner_text()
    assert_accessible(page)
    shoot(page, "allocations")
    dist = page.request.get(page.locator("#distribution-csv").get_attribute("href") or "")
    assert dist.ok and len(dist.text().splitlines()) == settled.count() + 1
    page.get_by_role("link", name="Portfolio").click()
    offers = page.locator("a.offer")
    assert offers.count() >= 1, page.locator("main").inner_text()
    assert_accessible(page)
    shoot(page, "portfolio")
    offers.first.click()
    assert page.locator("#side").input_value() == "sell" and page.locator("#mw").input_value()
    page.go_back()
    page.get_by_role("link", name="Allocations").click()
    page.locator("#distribution tbody tr a").last.click()
    assert "Target allocation" in page.locator("#statement-totals").inner_text()
    assert page.locator("#payout-ratio").inner_text().strip()
    page.locator("#statement-chart canvas").first.wait_for()
    assert page.locator("#statement-hours tbody tr").count() > 0
    hours = page.request.get(page.locator("#statement-hours-csv").get_attribute("href") or "")
    assert hours.ok and hours.text().startswith("hour_ending,target_allocation,credit,payout_ratio")
    shoot(page, "statement")


def test_auditor_verifies_the_chain(open_market: LiveServer, visit: Any) -> None:
    page = visit(open_market)
    sign_in(page, AUDITOR, open_market)
    page.get_by_role("link", name="Audit log").click()
    assert "Chain verified" in page.locator("#chain-verdict").inner_text()
    page.get_by_role("button", name="Verify the whole chain now").click()
    assert "walked the whole chain" in page.locator("#chain-check").inner_text()
    assert "Chain verified" in page.locator("#chain-verdict").inner_text()
    page.goto("/portal/audit")
    assert "checked links" in page.locator("#chain-check").inner_text(), "a later view: the new links only"
    page.get_by_label("Action").fill("auction.posted")
    page.get_by_role("button", name="Filter").click()
    actions = page.locator("#audit-entries tbody tr td:nth-child(4)").all_inner_texts()
    assert actions and set(actions) == {"auction.posted"}
    assert_accessible(page)
    shoot(page, "audit")
    csv = page.request.get(page.locator("#audit-csv").get_attribute("href") or "")
    lines = csv.text().splitlines()
    assert csv.ok and len(lines) == len(actions) + 1 and all(",auction.posted," in line for line in lines[1:])


@pytest.mark.parametrize("who", [TRADER_A, TRADER_B, LSE, TO])
def test_every_page_shows_a_participant_only_its_own_private_data(
    open_market: LiveServer, visit: Any, who: str
) -> None:
    ids = auctions(open_market)
    own_bids = {
        b["id"]
        for aid in ids.values()
        for b in api(open_market, who, f"/api/v1/auctions/{aid}/bids?limit=1000")["items"]
    }
    every_bid = {
        b["id"]
        for aid in ids.values()
        for b in api(open_market, OI, f"/api/v1/auctions/{aid}/bids?limit=1000")["items"]
    }
    assert every_bid - own_bids, "others have bids to hide"
    own_holdings = api(open_market, who, "/api/v1/holdings?limit=1000")["total"]
    page = visit(open_market)
    sign_in(page, who, open_market)
    posted = ids["posted"]
    pages = [
        "/portal",
        *(f"/portal/auctions/{aid}" for aid in ids.values()),
        f"/portal/results/{posted}/on_peak",
        f"/portal/results/{posted}/off_peak",
        f"/portal/path-price?auction_id={posted}&period_class=on_peak&source=189&sink=121",
        f"/portal/results/{posted}/network",
        "/portal/networks",
        "/portal/allocations",
        *(["/portal/portfolio"] if who != TO else []),
        *(f"/portal/auctions/{aid}?sort=price&dir=desc" for aid in ids.values()),
    ]
    for url in pages:
        page.goto(url)
        assert_accessible(page)
        element_ids = page.locator("[id^=bid-]").evaluate_all("es => es.map(e => e.id)")
        shown = {int(i.split("-")[1]) for i in element_ids if re.fullmatch(r"bid-\d+", i)}
        assert shown <= own_bids, (url, shown - own_bids)
    for private in ("/portal/participants", "/portal/audit", "/portal/audit.csv"):
        response = page.goto(private)
        assert response is not None and response.status == 403, private
    me = api(open_market, who, "/api/v1/participants/me")["id"]
    allocated = page.request.get("/portal/allocations/holdings.csv").text().splitlines()
    holder = allocated[0].split(",").index("holder_id")
    assert {line.split(",")[holder] for line in allocated[1:]} <= {str(me)}
    page.goto("/portal")
    rows = page.locator("#my-holdings tbody tr")
    assert rows.count() == max(own_holdings, 1)
    statement = page.goto("/portal/statement")
    assert statement is not None and statement.status in (200, 404)
    if statement.status == 200:
        link = page.get_by_role("link", name="The API's CSV of the hours").get_attribute("href") or ""
        assert f"/statements/{me}/" in link


def test_operator_pages_for_participants_and_networks(open_market: LiveServer, visit: Any) -> None:
    page = visit(open_market)
    sign_in(page, OI, open_market)
    page.get_by_role("link", name="Participants").click()
    assert page.locator("#participants tbody tr").count() >= 6
    assert_accessible(page)
    shoot(page, "participants")
    create = page.locator("#create-participant")
    create.get_by_label("Name").fill("Browser Trading")
    create.get_by_label("Credit limit $").fill("1000.00")
    create.get_by_role("button", name="Create and issue a key").click()
    key = page.get_by_label("API key").input_value()
    assert key.startswith("ftr_")
    me = json.loads(
        urllib.request.urlopen(
            urllib.request.Request(
                open_market.url + "/api/v1/participants/me", headers={"Authorization": f"Bearer {key}"}
            ),
            timeout=15,
        ).read()
    )
    assert me["name"] == "Browser Trading"

    newcomer = visit(open_market)
    newcomer.goto("/portal/sign-in")
    newcomer.get_by_label("API key issued by the OI").fill(key)
    newcomer.get_by_role("button", name="Sign in").click()
    newcomer.locator("#signed-in-as").filter(has_text="Browser Trading").wait_for()
    asked: list[str] = []
    page.on("dialog", lambda d: asked.append(d.message))  # the fixture's handler accepts it
    page.goto("/portal/participants")
    prefix = key.split("_")[1]
    page.get_by_role("button", name=f"Revoke key {prefix} of Browser Trading").click()
    assert "revoked" in page.locator("#revoked-key").inner_text()
    assert asked and asked[0].startswith(f"Revoke API key {prefix} of Browser Trading?")
    assert "revoked" in page.locator(f"#key-{prefix}").inner_text()
    assert_accessible(page)
    newcomer.goto("/portal/portfolio")
    assert "/portal/sign-in" in newcomer.url
    assert newcomer.locator("#signed-in-as").count() == 0
    page.get_by_role("link", name="Networks").click()
    page.locator("#networks tbody tr").first.get_by_role("link").click()
    assert page.locator("#network-hash").inner_text().strip()
    assert page.locator("#loop-flow-summary tbody tr").count() >= 1
    loop_csv = page.request.get(page.locator("#download-loop-flows").get_attribute("href") or "")
    assert loop_csv.ok and loop_csv.text().startswith("constraint,kind,auctions,")
    assert_accessible(page)
    shoot(page, "network")
    page.locator("#loop-flow-summary-section").scroll_into_view_if_needed()
    shoot(page, "network-loop-flows")
    ids = auctions(open_market)
    page.goto(f"/portal/auctions/{ids['open']}")
    assert_accessible(page)
    page.goto("/portal/audit")
    assert_accessible(page)
    page.get_by_role("link", name="Settlement runs").click()
    runs = page.locator("section[id^=run-]")
    assert runs.count() >= 1, "the demo settled a month"
    assert_accessible(page)
    shoot(page, "settlement-runs")
    href = runs.first.locator("a.ftr-differences").get_attribute("href") or ""
    differences = page.request.get(href)
    assert differences.ok and differences.text().startswith("participant_id,hour_ending,ftr_id")


def test_a_fresh_demo_process_prints_no_solver_banner(demo_build: DemoBuild) -> None:
    """``make demo`` runs ``ftr demo`` in a new process: its clearing and simulator print no HiGHS banner.

    Here (not in tests/app/test_demo.py) because it reads the same build as the journeys: the suite
    runs a file per process (``--dist=loadfile``), so the demo is built once.
    """
    assert demo_build.returncode == 0, demo_build.stderr
    assert "API keys" in demo_build.stdout
    assert "HiGHS" not in demo_build.stdout and "HiGHS" not in demo_build.stderr
