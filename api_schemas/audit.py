"""The audit trail on the wire (read by the OI and auditors)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class AuditEntryPublic(BaseModel):
    chain: str | None = Field(
        default=None, description="the sub-chain of the link (participant:<id>); null: the global chain"
    )
    seq: int
    at: datetime
    actor: str
    action: str
    payload: Any = Field(description="what changed, as recorded (canonical JSON)")
    prev_hash: str
    hash: str


class ChainVerdictPublic(BaseModel):
    ok: bool
    checked: int = Field(description="links verified before the first bad one (all of them when ok)")
    first_bad_seq: int | None
    problem: str | None = Field(
        description="altered, replaced, removed, inserted, unsigned (a signed checkpoint does not match) "
        "or results-changed (stored results differ from the hash in the chain)"
    )
    detail: str
    chain: str | None = Field(default=None, description="the sub-chain of the first bad link; null: global")


class CheckpointPublic(BaseModel):
    """The newest signed head of the audit chain: record it outside the service to check the chain later."""

    seq: int
    hash: str = Field(description="sha256 of the link at seq")
    key_id: str = Field(description="first 16 hex digits of sha256 of the raw Ed25519 public key")
    signature: str = Field(description='Ed25519 signature (hex) of "ftr-audit-checkpoint|<seq>|<hash>"')
    at: datetime


class SubChainHeadPublic(BaseModel):
    """A participant's own chain of bid links, as sealed into the global chain."""

    chain: str = Field(description="participant:<id>")
    seq: int
    hash: str = Field(description="sha256 of that chain's link at seq")


class AuditAnchorPublic(BaseModel):
    """Where a posting or a statement stands in the audit chain: keep it to check the chain later.

    ``link_seq``/``link_hash`` are the global link recording it (``auction.posted``, ``settlement.run``);
    ``sub_chain_heads`` the heads sealed just before that link (yours only, unless you may read all);
    ``checkpoint`` the Ed25519-signed head at that link (null when the service signs none).
    """

    action: str
    link_seq: int
    link_hash: str
    sub_chain_heads: list[SubChainHeadPublic]
    checkpoint: CheckpointPublic | None
