"""Where the per-FTR-hour detail files of settlement runs live: one small content-addressed store.

A store stores bytes under their sha256 (``put(bytes) -> key``, or ``put_file(path) -> key`` for a file
written first under ``staging``, hashed while it is read once and moved in, never held in memory), so
the same file is stored once; ``open(key)`` gives a seekable reader (a statement reads only its
holder's row groups) and ``stamp(key)`` the ``(size, mtime_ns)`` a verified hash is cached by
(:mod:`app.settlement.detail_file`). :class:`LocalDirectoryStore` keeps each file as
``<root>/<key[:2]>/<key>.parquet``; it is the default, under the service's data directory
(``FTR_SETTLEMENT_STORE``, default ``data/settlement-detail``). An object store (an ``s3://bucket/prefix``
URL) is the extension point: a class with the same two methods, chosen by :func:`store_for`.

The service registers its store against its database engine (:func:`register_store`), so a request,
a background job and the audit verification of one service all use the same store
(:func:`store_of`); an engine nobody registered (a command such as ``ftr audit verify``) uses
``FTR_SETTLEMENT_STORE`` from the environment, else the default directory.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Protocol

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.engine_registry import EngineRegistry
from app.settings import DEFAULT_DATA_DIR

DEFAULT_STORE = str(DEFAULT_DATA_DIR / "settlement-detail")


CHUNK = 1 << 20


class FileStore(Protocol):
    staging: Path
    """A local directory where a file to be stored is written first (same file system as the store
    when it is local, so :meth:`put_file` is a rename)."""

    def put(self, content: bytes) -> str:
        """Store ``content``; its key (the sha256 hex digest)."""
        ...

    def put_file(self, path: Path) -> str:
        """Store the file at ``path`` (moved in: ``path`` is gone afterwards); its key (sha256)."""
        ...

    def open(self, key: str) -> BinaryIO:
        """A seekable reader of the bytes stored under ``key``; :class:`FileNotFoundError` if none."""
        ...

    def stamp(self, key: str) -> tuple[int, int]:
        """``(size, mtime_ns)`` of the stored file (changes when it is rewritten); FileNotFoundError."""
        ...


def content_key(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def stream_key(reader: BinaryIO) -> str:
    """The sha256 of everything ``reader`` still has, read a chunk at a time."""
    digest = hashlib.sha256()
    while chunk := reader.read(CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


class LocalDirectoryStore:
    """Files under one directory, written atomically (a temporary file renamed into place)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.staging = root

    def path(self, key: str) -> Path:
        if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
            raise ValueError(f"not a content key: {key!r}")
        return self.root / key[:2] / f"{key}.parquet"

    def put(self, content: bytes) -> str:
        key = content_key(content)
        target = self.path(key)
        if target.exists():
            return key
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(content)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return key

    def put_file(self, path: Path) -> str:
        try:
            with path.open("rb") as reader:
                key = stream_key(reader)
            target = self.path(key)
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(path, target)
            return key
        finally:
            path.unlink(missing_ok=True)

    def open(self, key: str) -> BinaryIO:
        return self.path(key).open("rb")

    def stamp(self, key: str) -> tuple[int, int]:
        found = self.path(key).stat()
        return found.st_size, found.st_mtime_ns


def store_for(location: str) -> FileStore:
    """The store at ``location``: a directory path (or ``file://`` URL); other schemes are not built in."""
    if location.startswith("file://"):
        return LocalDirectoryStore(Path(location.removeprefix("file://")))
    if "://" in location:
        raise ValueError(f"no settlement file store for {location!r}: only a directory path is built in")
    return LocalDirectoryStore(Path(location))


_STORES: EngineRegistry[FileStore] = EngineRegistry()


def register_store(engine: Engine, store: FileStore) -> None:
    _STORES.register(engine, store)


def _unregistered() -> FileStore:
    return store_for(os.environ.get("FTR_SETTLEMENT_STORE") or DEFAULT_STORE)


def store_of_engine(engine: Engine) -> FileStore:
    """The store registered for ``engine``, else ``FTR_SETTLEMENT_STORE`` or the default directory."""
    found = _STORES.of_engine(engine)
    return found if found is not None else _unregistered()


def store_of(session: Session) -> FileStore:
    """The store registered for the session's engine (see :func:`store_of_engine`)."""
    found = _STORES.of_session(session)
    return found if found is not None else _unregistered()
