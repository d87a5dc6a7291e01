"""Optional TLS (the standard library's :mod:`ssl`) under the runtime's channels, for links that leave the host.

The runtime's handshake (:mod:`mcfn.runtime.auth`) proves who a peer is — a client, or the agent of a given node —
but sends everything in the clear (:mod:`mcfn.runtime.channel`). With TLS every connection of a cluster — clients
to the controller, the controller to its agents, agents to the next stage's agent and to the controller — runs
over mutually authenticated TLS: each side presents a certificate issued by the cluster's CA and checks the
other's against that CA only (not the system's), so a peer without a certificate of this cluster is refused
before a frame is read, and the wire is encrypted. The HMAC roles stay on top, unchanged: TLS proves that a peer
belongs to the cluster, the runtime's keys which role and node it plays. Host names are not checked (agents are
addressed by the IP they advertise; which node a peer is, the keys prove).

:class:`TlsFiles` names the PEM files (the CA's certificate, this end's certificate and key) and is what crosses a
process boundary (an :class:`ssl.SSLContext` does not pickle); :meth:`TlsFiles.server_context` and
:meth:`TlsFiles.client_context` make the contexts. ``mcfn tls`` writes a CA and one certificate per node
(:mod:`mcfn.runtime.certs`).

The event-loop channels take the context as asyncio does (the transport encrypts). The data plane's frame socket
reads raw file descriptors (``MSG_WAITALL``, in C), which an :class:`ssl.SSLSocket` cannot; on a TLS connection a
:class:`~mcfn.runtime.blocking.BlockingChannel` uses :class:`~mcfn.runtime.frames.TlsFrameSocket` instead: the
reference frame socket with reads and writes through the TLS layer, bounded by the socket's own timeout.
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass
from pathlib import Path

from mcfn.runtime.auth import AuthError


@dataclass(frozen=True, kw_only=True)
class TlsFiles:
    """PEM files of one end of a cluster's TLS: ``ca``, the cluster CA's certificate that every peer's must chain
    to; ``cert`` and ``key``, this end's certificate (issued by that CA) and private key."""

    ca: str
    cert: str
    key: str

    def server_context(self) -> ssl.SSLContext:
        """A server's context: TLS 1.2 or later, a client certificate from the cluster CA required. No session
        tickets: an idle pooled connection must read nothing (a ticket would make it look closed)."""
        context = self._context(ssl.Purpose.CLIENT_AUTH)
        context.num_tickets = 0
        return context

    def client_context(self) -> ssl.SSLContext:
        """A client's context: the server's certificate must come from the cluster CA; this end's is presented."""
        return self._context(ssl.Purpose.SERVER_AUTH)

    def _context(self, purpose: ssl.Purpose) -> ssl.SSLContext:
        for role, path in (("CA certificate", self.ca), ("certificate", self.cert), ("key", self.key)):
            if not Path(path).is_file():
                raise ValueError(f"TLS {role} {path}: no such file")
        context = ssl.create_default_context(purpose, cafile=self.ca)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.check_hostname = False
        context.verify_mode = ssl.CERT_REQUIRED
        try:
            context.load_cert_chain(self.cert, self.key)
        except (ssl.SSLError, OSError) as exc:
            raise ValueError(f"TLS certificate {self.cert} with key {self.key}: {reason(exc)}") from None
        return context


def reason(exc: BaseException) -> str:
    """One line saying why a TLS operation failed (OpenSSL's verification message or reason where it has one)."""
    if isinstance(exc, ssl.SSLCertVerificationError) and exc.verify_message:
        return f"certificate verify failed: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError) and exc.reason:
        return exc.reason.lower().replace("_", " ")
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def refused(exc: BaseException, where: str) -> AuthError:
    """The :class:`AuthError` a failed TLS handshake with ``where`` raises: one line, with a hint when the other
    end speaks plain TCP."""
    hint = " (does the other end use TLS?)" if "wrong version" in reason(exc) or "record" in reason(exc) else ""
    return AuthError(f"TLS handshake with {where} failed: {reason(exc)}{hint}")


def wrap_client(sock: socket.socket, context: ssl.SSLContext, *, where: str, timeout_s: float) -> ssl.SSLSocket:
    """``sock`` after a client TLS handshake within ``timeout_s``; :class:`AuthError` if it fails."""
    sock.settimeout(timeout_s)
    try:
        return context.wrap_socket(sock)
    except ssl.SSLError as exc:
        sock.close()
        raise refused(exc, where) from None


def wrap_server(sock: socket.socket, context: ssl.SSLContext, *, timeout_s: float) -> ssl.SSLSocket:
    """``sock`` after a server TLS handshake within ``timeout_s``; :class:`AuthError` if it fails (the caller
    counts it as a refused connection)."""
    sock.settimeout(timeout_s)
    try:
        return context.wrap_socket(sock, server_side=True)
    except ssl.SSLError as exc:
        raise refused(exc, "a client") from None
