"""Cluster membership: HMAC-SHA256 challenge–response with a shared cluster token, both ways.

The server sends a random nonce; the client answers ``HMAC(token, "client" | server nonce | client nonce)`` and a
nonce of its own; the server checks it in constant time and proves itself with ``HMAC(token, "server" | client
nonce | server nonce)``. The token never crosses the wire and a recorded answer is useless for another nonce
(the challenge–response pattern of RFC 2104's HMAC, as in CHAP, RFC 1994). There is no encryption: the
transport is meant for a trusted network or loopback, and the token only keeps strangers out.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

NONCE_BYTES = 32
MIN_TOKEN_BYTES = 16


class AuthError(ConnectionError):
    """The peer did not prove knowledge of the cluster token (or did not follow the handshake)."""


def check_token(token: bytes) -> bytes:
    """``token`` if it is long enough to be a secret; raises ``ValueError`` otherwise."""
    if len(token) < MIN_TOKEN_BYTES:
        raise ValueError(f"the cluster token must have at least {MIN_TOKEN_BYTES} bytes, got {len(token)}")
    return token


def new_token() -> str:
    """A fresh random cluster token (64 hex digits)."""
    return secrets.token_hex(32)


def new_nonce() -> str:
    return secrets.token_hex(NONCE_BYTES)


def proof(token: bytes, role: str, first_nonce: str, second_nonce: str) -> str:
    """The HMAC that ``role`` ("client" or "server") sends to prove it knows ``token``."""
    message = f"{role}|{first_nonce}|{second_nonce}".encode()
    return hmac.new(token, message, hashlib.sha256).hexdigest()


def verify(token: bytes, role: str, first_nonce: str, second_nonce: str, mac: object) -> None:
    """Raise :class:`AuthError` unless ``mac`` is ``role``'s proof for these nonces (constant-time compare)."""
    if not isinstance(mac, str) or not hmac.compare_digest(mac, proof(token, role, first_nonce, second_nonce)):
        raise AuthError("authentication failed: wrong cluster token")
