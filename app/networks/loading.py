"""Parse an uploaded network model with the ``network`` package and fingerprint it.

MATPOWER ``.m`` text goes through ``network.matpower.load_matpower`` (which reads a path, so the
bytes are written to a temporary file first); our JSON through ``network.json_format``. The
stored document is the canonical JSON dump (sorted keys, no spaces), and the content hash is its
SHA-256: a version's identity does not depend on whitespace or key order in the upload.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from app.errors import FieldError, ValidationFailed


class NetworkFormat(StrEnum):
    MATPOWER = "matpower"
    JSON = "json"


@dataclass(frozen=True, slots=True)
class ParsedNetwork:
    name: str
    document: str
    content_hash: str
    n_buses: int
    n_branches: int
    pricing_points: tuple[tuple[str, str], ...]
    """(point id, kind): every bus (OA 7.2.2: any bus with a posted LMP) plus the defined aggregates."""


UNREADABLE_PARSER_ERROR = re.compile(r"not a readable MATPOWER case \(.*\)$", re.DOTALL)
UNREADABLE = (
    "not a readable MATPOWER case (expected the text of a MATLAB function that sets mpc.baseMVA, mpc.bus, "
    "mpc.gen and mpc.branch)"
)
"""What an upload the MATPOWER parser cannot read is told, in place of the parser library's own
exception (its class and message are internals of a third-party library, not a fault of the file a
user can act on)."""


def _load(fmt: NetworkFormat, content: bytes) -> Any:
    # The loaders raise ValueError subclasses (network.errors.NetworkError) naming the bad element;
    # they (pandas, matpowercaseframes) load on the first upload, not at every start of the CLI.
    from network.json_format import load_network_json
    from network.matpower import load_matpower

    if fmt is NetworkFormat.JSON:
        try:
            data = json.loads(content)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValidationFailed(
                "the network file is not valid JSON", errors=[FieldError("body.file", str(exc))]
            ) from exc
        return load_network_json(data)
    with tempfile.TemporaryDirectory(prefix="ftr-network-") as tmp:
        path = Path(tmp) / "case.m"
        path.write_bytes(content)
        try:
            return load_matpower(path)
        except Exception as exc:  # the parser names the file it read: never say where the server keeps it
            message = str(exc).replace(str(path), "the uploaded file").replace(tmp, "")
            raise ValueError(UNREADABLE_PARSER_ERROR.sub(UNREADABLE, message)) from None


def parse_network(fmt: NetworkFormat, content: bytes, name: str | None) -> ParsedNetwork:
    """Parse and canonicalise an upload; a bad model is a 422 naming the problem."""
    from network.json_format import dump_network_json

    try:
        net = _load(fmt, content)
        dumped = dump_network_json(net)
    except ValidationFailed:
        raise
    except Exception as exc:  # untrusted input: whatever the parser trips on, the file cannot be read
        raise ValidationFailed(
            f"the {fmt.value} network model cannot be read: {exc}", errors=[FieldError("body.file", str(exc))]
        ) from exc
    document = json.dumps(dumped, sort_keys=True, separators=(",", ":"), allow_nan=False)
    points: dict[str, str] = {bus: "bus" for bus in net.bus_ids}
    for point in net.pricing_points:
        points[point.id] = str(point.kind)
    return ParsedNetwork(
        name=name or net.name,
        document=document,
        content_hash=hashlib.sha256(document.encode()).hexdigest(),
        n_buses=net.n_buses,
        n_branches=net.n_branches,
        pricing_points=tuple(sorted(points.items())),
    )
