"""The handshake's messages (:mod:`mcfn.runtime.auth`'s challenge–response as frames), built and checked here so
that the event-loop channels (:mod:`mcfn.runtime.channel`) and the blocking ones (:mod:`mcfn.runtime.blocking`)
only move them: the server sends a ``challenge``, the client its ``auth`` answer, the server its ``welcome`` (or an
``error``).

Apart from :mod:`mcfn.runtime.auth` because that one is imported where no frame is ever built (reading a cluster
file, ``mcfn.runtime.access``), and frames need NumPy.
"""

from __future__ import annotations

from mcfn.runtime.auth import AuthError, new_nonce, proof, verify
from mcfn.runtime.wire import Message


def challenge() -> Message:
    """The server's first message: a fresh nonce."""
    return Message(kind="challenge", fields={"nonce": new_nonce()})


def answer(token: bytes, challenge: Message) -> Message:
    """The client's answer to the server's ``challenge``: its own nonce and its proof; :class:`AuthError` if the
    server sent no challenge."""
    server_nonce = challenge.fields.get("nonce")
    if challenge.kind != "challenge" or not isinstance(server_nonce, str) or not server_nonce:
        raise AuthError(f"expected a challenge, got {challenge.kind!r}")
    nonce = new_nonce()
    return Message(kind="auth", fields={"nonce": nonce, "mac": proof(token, "client", server_nonce, nonce)})


def welcome(token: bytes, challenge: Message, answer: Message) -> Message:
    """The server's welcome once the client's ``answer`` to ``challenge`` proves the token; :class:`AuthError`
    otherwise."""
    client_nonce = answer.fields.get("nonce")
    if answer.kind != "auth" or not isinstance(client_nonce, str) or not client_nonce:
        raise AuthError(f"expected an auth answer, got {answer.kind!r}")
    server_nonce = challenge.fields["nonce"]
    verify(token, "client", server_nonce, client_nonce, answer.fields.get("mac"))
    return Message(kind="welcome", fields={"mac": proof(token, "server", client_nonce, server_nonce)})


def check_welcome(token: bytes, challenge: Message, answer: Message, welcome: Message) -> None:
    """Raise :class:`AuthError` unless the server's ``welcome`` proves the token (or it refused the client)."""
    if welcome.kind == "error":
        raise AuthError(str(welcome.fields.get("reason", "rejected")))
    verify(token, "server", answer.fields["nonce"], challenge.fields["nonce"], welcome.fields.get("mac"))
