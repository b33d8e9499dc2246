"""API keys: ``ftr_<prefix>_<secret>``, stored as HMAC-SHA256(server secret, key).

The prefix (public, unique) finds the row; the HMAC is compared in constant time. Keys carry
192 bits of randomness, so a fast keyed hash is enough (no password stretching needed), and the
clear key is shown once, at creation.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

KEY_SCHEME = "ftr"


@dataclass(frozen=True, slots=True)
class NewApiKey:
    prefix: str
    secret_key: str
    key_hash: str


def hash_api_key(key: str, pepper: str) -> str:
    return hmac.new(pepper.encode(), key.encode(), hashlib.sha256).hexdigest()


def generate_api_key(pepper: str) -> NewApiKey:
    prefix = secrets.token_hex(6)
    key = f"{KEY_SCHEME}_{prefix}_{secrets.token_urlsafe(24)}"
    return NewApiKey(prefix=prefix, secret_key=key, key_hash=hash_api_key(key, pepper))


def key_prefix(key: str) -> str | None:
    """The lookup prefix of a presented key, or ``None`` if it is not shaped like one of ours."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_SCHEME or len(parts[1]) != 12:
        return None
    return parts[1]


def key_matches(key: str, stored_hash: str, pepper: str) -> bool:
    return hmac.compare_digest(hash_api_key(key, pepper), stored_hash)
