"""Key revocation over HTTP (both databases): the OI revokes a participant's API key, the key is
refused at once by the process that revoked it (even though that process had it cached), the
revocation is audited, and a portal session signed in with the key ends."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI

from app.main import create_app
from app.settings import Settings
from app.web.session_cookie import COOKIE_NAME
from tests.app.conftest import Database, Member, bearer
from tests.app.http import SyncClient, sync_client
from tests.app.test_portal import Visit


def _keys(client: SyncClient, operator_key: str, participant_id: int) -> list[dict[str, object]]:
    r = client.get(f"/api/v1/participants/{participant_id}/keys", headers=bearer(operator_key))
    assert r.status_code == 200, r.text
    return list(r.json())


def test_a_revoked_key_is_refused_at_once_and_audited(
    client: SyncClient, app: FastAPI, operator_key: str, make_participant: Callable[..., Member]
) -> None:
    alice = make_participant(name="Alice")
    second = client.post(f"/api/v1/participants/{alice.id}/keys", headers=bearer(operator_key)).json()
    assert client.get("/api/v1/participants/me", headers=alice.headers).status_code == 200  # now cached
    assert app.state.settings.key_cache_ttl_s > 0
    (first,) = [k for k in _keys(client, operator_key, alice.id) if k["prefix"] != second["prefix"]]
    assert first["revoked_at"] is None

    r = client.delete(f"/api/v1/participants/{alice.id}/keys/{first['prefix']}", headers=bearer(operator_key))
    assert r.status_code == 200, r.text
    assert r.json()["revoked_at"] is not None and "api_key" not in r.json()

    refused = client.get("/api/v1/participants/me", headers=alice.headers)
    assert refused.status_code == 401 and refused.json()["type"].endswith("/unauthenticated")
    assert client.get("/api/v1/participants/me", headers=bearer(second["api_key"])).status_code == 200
    states = {k["prefix"]: k["revoked_at"] is not None for k in _keys(client, operator_key, alice.id)}
    assert states == {first["prefix"]: True, second["prefix"]: False}

    log = client.get("/api/v1/audit-log", params={"action": "key.revoked"}, headers=bearer(operator_key))
    (entry,) = log.json()["items"]
    assert entry["payload"] == {"participant_id": alice.id, "prefix": first["prefix"]}
    assert client.get("/api/v1/audit-log/verify", headers=bearer(operator_key)).json()["ok"] is True


def test_revocation_refusals(
    client: SyncClient, operator_key: str, make_participant: Callable[..., Member]
) -> None:
    alice, bob = make_participant(name="Alice"), make_participant(name="Bob")
    (alice_key,) = _keys(client, operator_key, alice.id)
    prefix = alice_key["prefix"]
    assert (
        client.delete(f"/api/v1/participants/{alice.id}/keys/{prefix}", headers=bob.headers).status_code
        == 403
    )
    assert client.get(f"/api/v1/participants/{alice.id}/keys", headers=bob.headers).status_code == 403
    wrong_owner = client.delete(f"/api/v1/participants/{bob.id}/keys/{prefix}", headers=bearer(operator_key))
    assert wrong_owner.status_code == 404 and prefix in wrong_owner.json()["detail"]
    bad = client.delete(f"/api/v1/participants/{alice.id}/keys/NOT-HEX", headers=bearer(operator_key))
    assert bad.status_code == 422
    assert (
        client.delete(
            f"/api/v1/participants/{alice.id}/keys/{prefix}", headers=bearer(operator_key)
        ).status_code
        == 200
    )
    again = client.delete(f"/api/v1/participants/{alice.id}/keys/{prefix}", headers=bearer(operator_key))
    assert again.status_code == 409 and "already revoked" in again.json()["detail"]
    assert client.get("/api/v1/participants/me", headers=bob.headers).status_code == 200


def test_another_process_refuses_the_key_within_its_cache_time(
    database: Database,
    settings: Settings,
    client: SyncClient,
    operator_key: str,
    make_participant: Callable[..., Member],
) -> None:
    """The bound for other processes: a second app on the same database with caching off sees the
    revocation on its next request (with caching on, at most ``FTR_KEY_CACHE_TTL_S`` later)."""
    alice = make_participant(name="Alice")
    other = create_app(settings.model_copy(update={"key_cache_ttl_s": 0.0}), engine=database.engine)
    with sync_client(other) as second:
        assert second.get("/api/v1/participants/me", headers=alice.headers).status_code == 200
        (key,) = _keys(client, operator_key, alice.id)
        client.delete(f"/api/v1/participants/{alice.id}/keys/{key['prefix']}", headers=bearer(operator_key))
        assert second.get("/api/v1/participants/me", headers=alice.headers).status_code == 401


def test_the_operator_revokes_a_key_on_the_participants_page_and_its_session_ends(
    client: SyncClient, operator_key: str, make_participant: Callable[..., Member]
) -> None:
    alice = make_participant(name="Alice")
    trader = Visit(client)
    trader.sign_in(alice.key)
    assert trader.get("/portal/portfolio").status_code == 200
    (key,) = _keys(client, operator_key, alice.id)

    oi = Visit(client)
    oi.sign_in(operator_key)
    page = oi.get("/portal/participants")
    assert f'id="key-{key["prefix"]}"' in page.text and 'data-confirm="Revoke API key' in page.text
    forged = oi.client.post(
        f"/portal/participants/{alice.id}/keys/{key['prefix']}/revoke",
        data={"csrf": "forged"},
        headers={"Cookie": f"{COOKIE_NAME}={oi.cookie}"},
    )
    assert forged.status_code == 403
    assert client.get("/api/v1/participants/me", headers=alice.headers).status_code == 200
    r = oi.post(f"/portal/participants/{alice.id}/keys/{key['prefix']}/revoke")
    assert r.status_code == 200 and 'id="revoked-key"' in r.text
    assert client.get("/api/v1/participants/me", headers=alice.headers).status_code == 401

    ended = trader.get("/portal/portfolio")
    assert ended.status_code == 303 and ended.headers["location"].startswith("/portal/sign-in")
    again = Visit(client)
    again.get("/portal/sign-in")
    refused = again.post("/portal/sign-in", {"api_key": alice.key, "next": "/portal"})
    assert refused.status_code != 303
