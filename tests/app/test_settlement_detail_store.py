"""The settlement file store: content-addressed keys, atomic writes, the store of an engine."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from app.settlement.detail_store import (
    LocalDirectoryStore,
    content_key,
    register_store,
    store_for,
    store_of_engine,
)


def test_a_file_is_stored_once_under_its_sha256(tmp_path: Path) -> None:
    store = LocalDirectoryStore(tmp_path)
    key = store.put(b"detail")
    assert key == content_key(b"detail") and len(key) == 64
    assert store.put(b"detail") == key
    with store.open(key) as reader:
        assert reader.read() == b"detail"
    assert store.path(key) == tmp_path / key[:2] / f"{key}.parquet"
    assert [p.name for p in tmp_path.rglob("*")] == [key[:2], f"{key}.parquet"]


def test_a_file_is_moved_in_under_its_sha256(tmp_path: Path) -> None:
    store = LocalDirectoryStore(tmp_path / "store")
    content = bytes(range(256)) * 9000  # more than one read chunk
    staged = tmp_path / "staged.parquet"
    staged.write_bytes(content)
    key = store.put_file(staged)
    assert key == content_key(content) and not staged.exists()
    with store.open(key) as reader:
        assert reader.read() == content
    assert store.stamp(key)[0] == len(content)
    again = tmp_path / "again.parquet"
    again.write_bytes(content)
    assert store.put_file(again) == key and not again.exists()
    assert [p.name for p in (tmp_path / "store").rglob("*")] == [key[:2], f"{key}.parquet"]


def test_unknown_and_malformed_keys(tmp_path: Path) -> None:
    store = LocalDirectoryStore(tmp_path)
    with pytest.raises(FileNotFoundError):
        store.open(content_key(b"never stored"))
    with pytest.raises(FileNotFoundError):
        store.stamp(content_key(b"never stored"))
    with pytest.raises(ValueError, match="not a content key"):
        store.open("../../etc/passwd")


def test_locations(tmp_path: Path) -> None:
    assert isinstance(store_for(str(tmp_path)), LocalDirectoryStore)
    local = store_for(f"file://{tmp_path}")
    assert isinstance(local, LocalDirectoryStore) and local.root == tmp_path
    with pytest.raises(ValueError, match="only a directory path"):
        store_for("s3://bucket/prefix")


def test_the_store_of_an_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = sa.create_engine("sqlite://")
    monkeypatch.setenv("FTR_SETTLEMENT_STORE", str(tmp_path / "from-env"))
    unregistered = store_of_engine(engine)
    assert isinstance(unregistered, LocalDirectoryStore) and unregistered.root == tmp_path / "from-env"
    registered = LocalDirectoryStore(tmp_path / "registered")
    register_store(engine, registered)
    assert store_of_engine(engine) is registered
    engine.dispose()
