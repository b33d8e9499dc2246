"""Slow and stalled clients against a live server (real sockets, uvicorn in a thread).

Unauthenticated requests are refused before their body is read and never hold an in-flight slot;
an authenticated body that stalls gets 408 at its deadline; a stalled upload holds no database
lock (on SQLite every other request went on waiting for it, then failed with 500). Every wait is
bounded by a socket timeout.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from app.clock import FixedClock
from app.db import transaction
from app.main import create_app
from app.participants.roles import Role
from app.participants.service import ParticipantService
from app.settings import Environment, Settings
from tests.app.conftest import (
    JANUARY_2027_OPENS,
    TEST_SECRET,
    Database,
    Member,
    empty_tables,
    three_bus_json,
)

SOCKET_TIMEOUT_S = 15.0
BODY_TIMEOUT_S = 1.0
MAX_REQUEST_BYTES = 64 * 1024


@dataclass(frozen=True)
class Live:
    app: FastAPI
    url: str
    port: int


@pytest.fixture
def live_settings() -> Settings:
    return Settings(
        env=Environment.TEST,
        secret_key=TEST_SECRET,
        database_url="sqlite://",
        body_timeout_s=BODY_TIMEOUT_S,
        max_request_bytes=MAX_REQUEST_BYTES,
        sqlite_write_wait_s=1.0,
    )


@pytest.fixture
def live(database: Database, live_settings: Settings, clock: FixedClock) -> Iterator[Live]:
    empty_tables(database.engine)
    application = create_app(live_settings, clock=clock, engine=database.engine)
    server = uvicorn.Server(
        uvicorn.Config(application, host="127.0.0.1", port=0, log_level="warning", timeout_keep_alive=5)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + SOCKET_TIMEOUT_S
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield Live(application, f"http://127.0.0.1:{port}", port)
    finally:
        server.should_exit = True
        thread.join(timeout=SOCKET_TIMEOUT_S)
        application.state.jobs.wait_idle(timeout=60)
        assert not thread.is_alive(), "the server did not stop"


@pytest.fixture
def http(live: Live) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=SOCKET_TIMEOUT_S) as c:
        yield c


@pytest.fixture
def oi_key(live: Live, live_settings: Settings, clock: FixedClock) -> str:
    with transaction(live.app.state.engine) as session:
        service = ParticipantService(session, live_settings.secret_key)
        oi = service.create(name="The OI", role=Role.OPERATOR, credit_limit_cents=0, now=clock.now())
        return service.issue_key(oi, now=clock.now()).secret_key


@pytest.fixture
def trader(http: httpx.Client, oi_key: str) -> Member:
    body = {"name": "stalled-trader", "role": "trader", "credit_limit": "1000000.00"}
    r = http.post("/api/v1/participants", json=body, headers={"Authorization": f"Bearer {oi_key}"})
    assert r.status_code == 201, r.text
    key = r.json()["key"]["api_key"]
    return Member(id=r.json()["participant"]["id"], key=key, headers={"Authorization": f"Bearer {key}"})


def open_auction(http: httpx.Client, oi_key: str, clock: FixedClock) -> int:
    """The January 2027 auction on the three-bus network, open, the clock inside its window."""
    oi = {"Authorization": f"Bearer {oi_key}"}
    files = {"file": ("case.json", three_bus_json())}
    r = http.post("/api/v1/networks", data={"format": "json"}, files=files, headers=oi)
    assert r.status_code == 201, r.text
    body = {"year": 2027, "month": 1, "network_version_id": r.json()["id"]}
    r = http.post("/api/v1/auctions", json=body, headers=oi)
    assert r.status_code == 201, r.text
    auction_id: int = r.json()["id"]
    assert http.post(f"/api/v1/auctions/{auction_id}/open", headers=oi).status_code == 200
    clock.set(JANUARY_2027_OPENS.replace(hour=6))
    return auction_id


def stalled_request(
    port: int, path: str, headers: dict[str, str], declared: int, sent: bytes
) -> socket.socket:
    """Send the head of a POST and ``sent`` of its ``declared``-byte body, then nothing more."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=SOCKET_TIMEOUT_S)
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {declared}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + sent)
    return sock


def read_status(sock: socket.socket) -> tuple[int, bytes]:
    """The status code and what arrived of the response (until the server closes or times out)."""
    data = b""
    with contextlib.suppress(TimeoutError):
        while chunk := sock.recv(65536):
            data += chunk
    assert data.startswith(b"HTTP/1.1 "), data[:100]
    return int(data.split(b" ", 2)[1]), data


class TestStalledClients:
    def test_stalled_unauthenticated_bodies_do_not_block_an_authenticated_read(
        self, live: Live, http: httpx.Client, oi_key: str
    ) -> None:
        count = live.app.state.settings.max_concurrent_requests
        stalled = [
            stalled_request(
                live.port,
                "/api/v1/participants",
                {"Content-Type": "application/json"} | ({"Authorization": "Bearer ftr_bad"} if i % 2 else {}),
                declared=10_000,
                sent=b'{"na',
            )
            for i in range(count)
        ]
        try:
            r = http.get("/api/v1/participants/me", headers={"Authorization": f"Bearer {oi_key}"})
            assert r.status_code == 200, r.text
            for sock in stalled:
                status, response = read_status(sock)
                assert status == 401 and b"application/problem+json" in response
        finally:
            for sock in stalled:
                sock.close()

    def test_a_stalled_authenticated_body_times_out_with_408(
        self, live: Live, http: httpx.Client, oi_key: str
    ) -> None:
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {oi_key}"}
        sock = stalled_request(live.port, "/api/v1/participants", headers, declared=10_000, sent=b'{"na')
        try:
            status, response = read_status(sock)
        finally:
            sock.close()
        assert status == 408, response
        assert b"request-timeout" in response and f"{BODY_TIMEOUT_S:g} s".encode() in response

    def test_a_body_over_the_cap_is_refused_while_streaming(self, live: Live, oi_key: str) -> None:
        cap = live.app.state.settings.max_request_bytes
        sock = socket.create_connection(("127.0.0.1", live.port), timeout=SOCKET_TIMEOUT_S)
        head = (
            "POST /api/v1/participants HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
            f"Content-Type: application/json\r\nAuthorization: Bearer {oi_key}\r\n\r\n"
        )
        chunk = b"x" * (cap // 4)
        try:
            sock.sendall(head.encode())
            for _ in range(5):  # one chunk past the cap, with no declared length; then nothing more
                sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            status, response = read_status(sock)
        finally:
            sock.close()
        assert status == 413 and str(cap).encode() in response

    def test_a_stalled_upload_holds_no_lock_on_other_writers(
        self,
        live: Live,
        http: httpx.Client,
        oi_key: str,
        trader: Member,
        clock: FixedClock,
    ) -> None:
        auction_id = open_auction(http, oi_key, clock)
        headers = {"Content-Type": "text/csv"} | trader.headers
        sock = stalled_request(
            live.port, f"/api/v1/auctions/{auction_id}/bids/bulk", headers, declared=10_000, sent=b"period_"
        )
        try:
            body = {"period_class": "on_peak", "source": "1", "sink": "3", "mw": "1.0", "price": "1.00"}
            r = http.post(f"/api/v1/auctions/{auction_id}/bids", json=body, headers=trader.headers)
            assert r.status_code == 201, r.text
            status, _ = read_status(sock)
            assert status == 408
        finally:
            sock.close()
