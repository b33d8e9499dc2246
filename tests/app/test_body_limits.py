"""``BodyLimits`` on its own: the deadline covers the body only, never the answer that follows it."""

from __future__ import annotations

import asyncio

from starlette.types import Message, Receive, Scope, Send

from app.limits import BodyLimits

SCOPE: Scope = {"type": "http", "method": "POST", "path": "/x", "headers": []}


async def _run(app: BodyLimits, messages: list[Message]) -> list[Message]:
    sent: list[Message] = []
    queue = list(messages)

    async def receive() -> Message:
        if queue:
            return queue.pop(0)
        await asyncio.sleep(3600)  # a client that stays connected and says nothing more
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        sent.append(message)

    await asyncio.wait_for(app(SCOPE, receive, send), timeout=10)
    return sent


def test_listening_for_a_disconnect_after_the_body_is_not_cut_by_the_deadline() -> None:
    async def slow_answer(scope: Scope, receive: Receive, send: Send) -> None:
        assert (await receive())["type"] == "http.request"
        try:
            message = await asyncio.wait_for(receive(), timeout=0.5)
        except TimeoutError:
            message = {"type": "still-connected"}
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": message["type"].encode()})

    limits = BodyLimits(slow_answer, max_bytes=100, timeout_s=0.05)
    sent = asyncio.run(_run(limits, [{"type": "http.request", "body": b"{}", "more_body": False}]))
    assert sent[0]["status"] == 200 and sent[1]["body"] == b"still-connected"


def test_a_body_that_stops_arriving_gets_408() -> None:
    async def reader(scope: Scope, receive: Receive, send: Send) -> None:
        while (await receive())["type"] == "http.request":
            pass
        await send({"type": "http.response.start", "status": 400, "headers": []})
        await send({"type": "http.response.body", "body": b"the app's answer is dropped"})

    limits = BodyLimits(reader, max_bytes=100, timeout_s=0.05)
    sent = asyncio.run(_run(limits, [{"type": "http.request", "body": b"{", "more_body": True}]))
    assert sent[0]["status"] == 408 and b"request-timeout" in sent[1]["body"]
    assert len(sent) == 2
