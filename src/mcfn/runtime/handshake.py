"""The handshake's messages (:mod:`mcfn.runtime.auth`'s challenge–response as frames), built and checked here so
that the event-loop channels (:mod:`mcfn.runtime.channel`) and the blocking ones (:mod:`mcfn.runtime.blocking`)
only move them: the server sends a ``challenge``, the client its ``auth`` answer (role, name, nonce, proof), the
server its ``welcome`` (or an ``error``).

Apart from :mod:`mcfn.runtime.auth` because that one is imported where no frame is ever built (reading a cluster
file, ``mcfn.runtime.access``), and frames need NumPy.
"""

from __future__ import annotations

from mcfn.runtime.auth import MAX_NAME_CHARS, AuthError, Credential, Keyring, Peer, new_nonce, proof, verify
from mcfn.runtime.wire import Message

#: Seconds a client waits for the server's challenge, which a server sends as soon as it accepts: none by then is a
#: TLS server that waits for a TLS client's hello (:mod:`mcfn.runtime.tls`), or no runtime server at all.
CHALLENGE_S = 2.0


def challenge_wait_s(timeout_s: float) -> float | None:
    """How long a client connecting within ``timeout_s`` waits for the challenge by :data:`CHALLENGE_S` (``None``:
    the connection's own timeout comes first)."""
    return CHALLENGE_S if timeout_s > CHALLENGE_S else None


def no_challenge(where: str) -> AuthError:
    """Why a client got no challenge from ``where`` within :data:`CHALLENGE_S`."""
    return AuthError(
        f"no challenge from {where} within {CHALLENGE_S:g} s: it expects TLS (give the cluster CA and a "
        "certificate), or it is no mcfn server"
    )


def challenge() -> Message:
    """The server's first message: a fresh nonce."""
    return Message(kind="challenge", fields={"nonce": new_nonce()})


def answer(credential: Credential, challenge: Message) -> Message:
    """The client's answer to the server's ``challenge``: who it is, its own nonce and its proof;
    :class:`AuthError` if the server sent no challenge."""
    server_nonce = challenge.fields.get("nonce")
    if challenge.kind != "challenge" or not isinstance(server_nonce, str) or not server_nonce:
        raise AuthError(f"expected a challenge, got {challenge.kind!r}")
    nonce, peer = new_nonce(), credential.peer
    mac = proof(credential.key, "client", peer, server_nonce, nonce)
    return Message(kind="auth", fields={"role": peer.role, "name": peer.name, "nonce": nonce, "mac": mac})


def welcome(keys: Keyring, challenge: Message, answer: Message) -> tuple[Message, Peer]:
    """The server's welcome once the client's ``answer`` to ``challenge`` proves the key of the identity it claims,
    and that identity; :class:`AuthError` otherwise (an identity ``keys`` does not admit included)."""
    fields = answer.fields
    client_nonce, role, name = fields.get("nonce"), fields.get("role"), fields.get("name")
    if answer.kind != "auth" or not isinstance(client_nonce, str) or not client_nonce:
        raise AuthError(f"expected an auth answer, got {answer.kind!r}")
    if not isinstance(role, str) or not isinstance(name, str) or len(name) > MAX_NAME_CHARS:
        raise AuthError("the auth answer names no role and name")
    peer = Peer(role, name)
    key = keys(peer)
    if key is None:
        raise AuthError(f"authentication failed: no {role} {name!r} is admitted here".replace(" ''", ""))
    server_nonce = challenge.fields["nonce"]
    verify(key, "client", peer, server_nonce, client_nonce, fields.get("mac"))
    return Message(kind="welcome", fields={"mac": proof(key, "server", peer, client_nonce, server_nonce)}), peer


def check_welcome(credential: Credential, challenge: Message, answer: Message, welcome: Message) -> None:
    """Raise :class:`AuthError` unless the server's ``welcome`` proves the key (or it refused the client)."""
    if welcome.kind == "error":
        raise AuthError(str(welcome.fields.get("reason", "rejected")))
    verify(
        credential.key,
        "server",
        credential.peer,
        answer.fields["nonce"],
        challenge.fields["nonce"],
        welcome.fields.get("mac"),
    )
