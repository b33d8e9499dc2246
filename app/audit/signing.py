"""Ed25519 signed checkpoints of the audit chain: the key lives in a file, never in the database.

At each auction state change (window opened or closed, clearing run, posting) and each
settlement run, the service signs the chain's new head ``(seq, hash)``::

    message   = "ftr-audit-checkpoint|<seq>|<hash>"   (UTF-8)
    signature = Ed25519(private key, message)          (hex, 128 characters)
    key_id    = sha256(raw 32-byte public key)[:16]     (hex)

and stores ``(seq, hash, key_id, signature)`` in ``audit_checkpoint``. Someone who can write to
the database but does not hold the key can rewrite history and recompute every hash, but cannot
make signatures for the rewritten heads, nor move a checkpoint to a shorter chain: verification
(:mod:`app.audit_verify`) checks every checkpoint against the chain and the public key.

The key is a PKCS#8 PEM file named by ``FTR_AUDIT_SIGNING_KEY_FILE`` (``ftr audit keygen`` writes
one). Without it no checkpoints are written. The key is attached to the engine at start-up
(:func:`register_signing_key`), so :func:`app.audit.service.record_audit` finds it from the session.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.engine_registry import EngineRegistry

_KEYS: EngineRegistry[Ed25519PrivateKey] = EngineRegistry()


def checkpoint_message(seq: int, head_hash: str) -> bytes:
    return f"ftr-audit-checkpoint|{seq}|{head_hash}".encode()


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def sign_checkpoint(private_key: Ed25519PrivateKey, seq: int, head_hash: str) -> str:
    return private_key.sign(checkpoint_message(seq, head_hash)).hex()


def checkpoint_signed(public_key: Ed25519PublicKey, seq: int, head_hash: str, signature_hex: str) -> bool:
    try:
        public_key.verify(bytes.fromhex(signature_hex), checkpoint_message(seq, head_hash))
    except (InvalidSignature, ValueError):
        return False
    return True


def generate_key_file(path: Path) -> Ed25519PublicKey:
    """Write a new private key (PKCS#8 PEM, mode 0600) to ``path``; refuse to overwrite one."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with path.open("xb") as out:
        path.chmod(0o600)
        out.write(pem)
    return key.public_key()


def load_private_key(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """A public key from a PEM file (a private key file gives its public half)."""
    data = path.read_bytes()
    if b"PRIVATE KEY" in data:
        return load_private_key(path).public_key()
    key = serialization.load_pem_public_key(data)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{path} does not hold an Ed25519 public key")
    return key


def register_signing_key(engine: Engine, key_file: Path | None) -> None:
    """Attach the checkpoint key to ``engine`` (nothing when no key file is configured)."""
    if key_file is not None:
        _KEYS.register(engine, load_private_key(key_file))


def signing_key(session: Session) -> Ed25519PrivateKey | None:
    return _KEYS.of_session(session)
