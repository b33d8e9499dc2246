"""``/healthz``, ``/readyz`` and ``/metrics``: for load balancers and Prometheus, not part of the API."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from app.observability import metrics_text, readiness

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is alive (touches nothing else)."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """200 when the database answers and is migrated to head; 503 otherwise."""
    state = readiness(request.app.state.engine)
    return JSONResponse(state, status_code=200 if state["ready"] else 503)


@router.get("/metrics")
def metrics(request: Request) -> Response:
    body, media_type = metrics_text(request.app.state.engine, request.app.state.clock.now())
    return Response(body, media_type=media_type)
