"""A MATPOWER change table (``contab``) uploaded as an auction's contingency set.

The file is read by :func:`network.contab.parse_contab` against the auction's network version; its
form is chosen by the file name's suffix (``.m`` or ``.csv``), else by the media type. The auction
stores the branch-outage contingencies as a ``list`` set plus the file's name, SHA-256 and the count
of generator-outage rows left out (docs/rules.md). A file that cannot be read is refused (422) with
the file, row (line of the file) and column named, in ``errors`` and as problem extensions.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath

from app.errors import FieldError, UploadFormatError, ValidationFailed
from app.networks.outages import network_from_document
from network.contab import ContabError, parse_contab

MEDIA_KINDS: dict[str, str] = {
    "text/csv": "csv",
    "application/csv": "csv",
    "text/x-matlab": "m",
    "text/x-octave": "m",
    "application/x-matlab": "m",
}
"""Media types that say the form on their own; any other (``text/plain``, ``application/octet-stream``)
needs a ``.m`` or ``.csv`` file name."""
MAX_NAME = 255


@dataclass(frozen=True, slots=True)
class ContabFile:
    """A change table read for an auction: its name, digest and what the clearing secures."""

    name: str
    sha256: str
    contingencies: tuple[tuple[str, tuple[str, ...]], ...]
    generator_outages: int


def file_name(raw: str | None, media_type: str) -> str:
    """The upload's base name (never a client's directory), defaulted from the media type."""
    base = PureWindowsPath(PurePosixPath(raw or "").name).name.strip()[:MAX_NAME]
    if base:
        return base
    kind = MEDIA_KINDS.get(media_type)
    return f"contab.{kind}" if kind else "contab"


def read_contab_upload(document: str, raw_name: str | None, data: bytes, media_type: str) -> ContabFile:
    """Read an uploaded change table against a network version's canonical ``document``."""
    name = file_name(raw_name, media_type)
    suffix = PurePosixPath(name).suffix.lower()
    kind = {".m": "m", ".csv": "csv"}.get(suffix) or MEDIA_KINDS.get(media_type)
    if kind is None:
        accepted = ", ".join(sorted(MEDIA_KINDS))
        raise UploadFormatError(
            f"{name}: a change table is a MATPOWER .m function or a .csv file; name it so, or send it as "
            f"one of {accepted}",
            extensions={"file": name, "media_type": media_type},
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed(
            f"{name}: the file is not UTF-8 text",
            errors=[FieldError("file", f"byte {exc.start} is not UTF-8")],
            extensions={"file": name},
        ) from None
    try:
        table = parse_contab(name, text, network_from_document(document), kind=kind)
    except ContabError as exc:
        field = f"file.{exc.column}" if exc.column else "file"
        raise ValidationFailed(
            f"the change table cannot be used: {exc}",
            errors=[FieldError(field, exc.problem, row=exc.line)],
            extensions={"file": exc.file, "row": exc.line, "column": exc.column},
        ) from None
    return ContabFile(
        name=name,
        sha256=hashlib.sha256(data).hexdigest(),
        contingencies=tuple((c.id, c.branch_ids) for c in table.contingencies),
        generator_outages=len(table.generator_outages),
    )
