"""``/api/v1/health``: liveness and database reachability (used by the container healthcheck)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text

from app.deps import SessionDep

router = APIRouter(prefix="/api/v1", tags=["meta"])


class Health(BaseModel):
    status: str
    database: str


@router.get("/health", response_model=Health)
def health(session: SessionDep) -> Health:
    """Unauthenticated: ``ok`` when the database answers."""
    session.exec(text("SELECT 1"))  # type: ignore[call-overload]
    return Health(status="ok", database="ok")
