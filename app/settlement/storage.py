"""Storing an input set: immutable, content-hashed, versioned per (year, month, kind)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from app.settlement.input_kinds import InputKind
from app.settlement.repository import SettlementRepository
from app.settlement.tables import SettlementInputSet
from app.settlement.upload import CanonicalTable


@dataclass(frozen=True, slots=True)
class StoredContent:
    """What an input set row records of its content: the canonical CSV (compressed) or a file."""

    content_hash: str
    row_count: int
    columns: tuple[str, ...]
    content: bytes
    source_format: str
    file_key: str | None = None
    file_sha256: str | None = None

    @classmethod
    def of_table(cls, table: CanonicalTable) -> StoredContent:
        return cls(
            table.content_hash,
            len(table.frame),
            tuple(table.frame.columns),
            table.compressed(),
            table.source_format,
        )


def _same(latest: SettlementInputSet, content: StoredContent) -> bool:
    if latest.content_hash == content.content_hash:
        return True
    return content.file_sha256 is not None and latest.file_sha256 == content.file_sha256


def find_or_add_input_set(
    session: Session,
    year: int,
    month: int,
    kind: InputKind,
    table: CanonicalTable | StoredContent,
    uploaded_by: int | None,
    now: datetime,
) -> tuple[SettlementInputSet, bool]:
    """The latest set of the kind if its content is identical (``False``), else a new version (``True``).

    A file-backed set is identical to the latest when either its content hash or its file's hash is
    (a set migrated to a file keeps its historic content hash, that of its canonical CSV)."""
    content = StoredContent.of_table(table) if isinstance(table, CanonicalTable) else table
    repo = SettlementRepository(session)
    latest = repo.latest_input(year, month, kind.value)
    if latest is not None and _same(latest, content):
        return latest, False
    entry = SettlementInputSet(
        year=year,
        month=month,
        kind=kind.value,
        version=(latest.version if latest is not None else 0) + 1,
        content_hash=content.content_hash,
        row_count=content.row_count,
        columns=",".join(content.columns),
        content=content.content,
        source_format=content.source_format,
        file_key=content.file_key,
        file_sha256=content.file_sha256,
        uploaded_by_id=uploaded_by,
        created_at=now,
    )
    repo.add(entry)
    return entry, True
