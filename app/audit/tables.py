"""Tables ``audit_log`` (the hash chain, :mod:`app.audit_chain`) and ``audit_head`` (its last link).

``audit_log`` rows are :class:`app.audit_chain.AuditEntry` links: ``payload`` is the canonical
JSON text of what changed. The head (``seq``, ``hash``) is stored apart, in the single row of
``audit_head`` (id 1), and moved in the same transaction as each append: cutting the newest
entries off the log is then visible as a mismatch with the head. Appends take the head row's
lock, so links are numbered without gaps or repeats.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

import app.tables_base  # noqa: F401  (the naming convention must be set before any table)
from app.db_types import UTCDateTime


class AuditLog(SQLModel, table=True):
    __tablename__ = "audit_log"

    seq: int = Field(sa_column=sa.Column(sa.BigInteger, primary_key=True, autoincrement=False))
    at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    actor: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    action: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, index=True))
    payload: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    prev_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))


class AuditHead(SQLModel, table=True):
    __tablename__ = "audit_head"
    __table_args__ = (sa.CheckConstraint("id = 1", name="single_row"),)

    id: int = Field(sa_column=sa.Column(sa.Integer, primary_key=True, autoincrement=False))
    seq: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))


class AuditCheckpoint(SQLModel, table=True):
    """A head of the chain signed with the service's Ed25519 key (:mod:`app.audit.signing`)."""

    __tablename__ = "audit_checkpoint"

    seq: int = Field(sa_column=sa.Column(sa.BigInteger, primary_key=True, autoincrement=False))
    hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    key_id: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    signature: str = Field(sa_column=sa.Column(sa.String(128), nullable=False))
    at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))


class AuditSubLog(SQLModel, table=True):
    """A link of a participant's own chain (its bids and offers): the same hashing as ``audit_log``,
    numbered from 1 per ``chain``; the heads are sealed into ``audit_log`` at each state change."""

    __tablename__ = "audit_sub_log"

    chain: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    seq: int = Field(sa_column=sa.Column(sa.BigInteger, primary_key=True, autoincrement=False))
    at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    actor: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    action: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    payload: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    prev_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))


class AuditSubHead(SQLModel, table=True):
    """The last link ``(seq, hash)`` of each sub-chain (its row lock orders that chain's appends)."""

    __tablename__ = "audit_sub_head"

    chain: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    seq: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
