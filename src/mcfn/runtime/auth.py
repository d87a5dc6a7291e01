"""Who may connect, and as whom: credentials derived from one cluster secret, proved by HMAC-SHA256
challenge–response, both ways.

Roles. A client may only ask for inferences and status; an agent registers as its node, advertises, and reports
results and failures of the routes it is on; the controller hands stages to agents. Each connects with a key of
its own, derived from the cluster secret ``S`` by HMAC (a key hierarchy, as in the key derivation of RFC 5869's
"expand" step with one block):

- the **client token** ``HMAC(S, "client")``: what ``mcfn serve`` writes to the cluster file for clients; it
  derives nothing else, so a client cannot act as an agent or the controller;
- the **agent secret** ``A = HMAC(S, "agents")``, which every agent holds (:class:`AgentKeys`), and from it the
  **node key** ``HMAC(A, "agent|" + node)`` of each agent and the **controller key** ``HMAC(A, "controller")``
  with which the controller connects to agents.

The controller (:class:`ClusterKeys`) holds ``S`` and checks clients and the scenario's agents; an agent checks the
controller and other agents (the data plane, agent to agent). A connection's peer is the ``(role, name)`` whose key
it proved (:class:`Peer`), and the servers act on it: the controller takes ``hello`` only from the node's own key,
``result`` and ``failed`` only from agents on the route. An agent's key proves it is *an* agent; one agent could
derive another's node key from ``A`` (they share the data plane), so a compromised agent is out of scope, as it is
for a cluster CA that signs every node.

The handshake: the server sends a random nonce; the client answers with its role, name, a nonce of its own and
``HMAC(key, "client" | role | name | server nonce | client nonce)``; the server looks up the key of that role and
name, checks the MAC in constant time and proves it holds the same key with ``HMAC(key, "server" | role | name |
client nonce | server nonce)``. No key crosses the wire, and a recorded answer is useless for another nonce (the
challenge–response of RFC 2104's HMAC, as in CHAP, RFC 1994). There is no encryption: the transport is meant for a
trusted network or loopback.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Collection
from dataclasses import dataclass

NONCE_BYTES = 32
MIN_TOKEN_BYTES = 16
#: The roles a peer can prove.
CLIENT, AGENT, CONTROLLER = "client", "agent", "controller"
#: Longest name a peer may claim (a node id).
MAX_NAME_CHARS = 128


class AuthError(ConnectionError):
    """The peer did not prove the key of the role it claimed (or did not follow the handshake)."""


@dataclass(frozen=True)
class Peer:
    """Who is at the other end of a connection: a role of :data:`CLIENT`, :data:`AGENT`, :data:`CONTROLLER` and,
    for an agent, its node."""

    role: str
    name: str = ""


@dataclass(frozen=True)
class Credential:
    """What a connecting side proves: its :class:`Peer` identity and the key of that identity."""

    peer: Peer
    key: bytes


#: A server's keys: the key of a claimed identity, or ``None`` if it admits no such peer.
Keyring = Callable[[Peer], "bytes | None"]


def check_token(token: bytes) -> bytes:
    """``token`` if it is long enough to be a secret; raises ``ValueError`` otherwise."""
    if len(token) < MIN_TOKEN_BYTES:
        raise ValueError(f"the cluster token must have at least {MIN_TOKEN_BYTES} bytes, got {len(token)}")
    return token


def new_token() -> str:
    """A fresh random cluster secret (64 hex digits)."""
    return secrets.token_hex(32)


def derive(secret: str, label: str) -> str:
    """The key ``HMAC-SHA256(secret, label)`` as hex: one level of the key hierarchy (module docstring)."""
    return hmac.new(secret.encode(), label.encode(), hashlib.sha256).hexdigest()


def client_token(secret: str) -> str:
    """The client token of the cluster whose secret is ``secret``."""
    return derive(secret, CLIENT)


def client_credential(token: str) -> Credential:
    """A client's credential from its client token."""
    return Credential(Peer(CLIENT), token.encode())


class AgentKeys:
    """The keys an agent holds: derived from the agent secret, they admit the controller and every agent."""

    def __init__(self, agent_secret: str) -> None:
        check_token(agent_secret.encode())
        self._secret = agent_secret

    def node(self, node: str) -> Credential:
        """The credential of the agent of ``node``."""
        return Credential(Peer(AGENT, node), derive(self._secret, f"{AGENT}|{node}").encode())

    def controller(self) -> Credential:
        """The controller's credential towards agents."""
        return Credential(Peer(CONTROLLER), derive(self._secret, CONTROLLER).encode())

    def keyring(self) -> Keyring:
        """An agent's server admits the controller and any agent (the data plane)."""

        def key(peer: Peer) -> bytes | None:
            if peer.role == CONTROLLER:
                return self.controller().key
            return self.node(peer.name).key if peer.role == AGENT and peer.name else None

        return key


class ClusterKeys:
    """The keys the controller holds: the cluster secret admits clients (their token) and the agents of
    ``nodes`` (each its node key); :attr:`agents` are the agents' own keys."""

    def __init__(self, secret: str, nodes: Collection[str]) -> None:
        check_token(secret.encode())
        self.client_token = client_token(secret)
        self.agent_secret = derive(secret, "agents")
        self.agents = AgentKeys(self.agent_secret)
        self._nodes = frozenset(nodes)

    def keyring(self) -> Keyring:
        def key(peer: Peer) -> bytes | None:
            if peer.role == CLIENT and not peer.name:
                return self.client_token.encode()
            return self.agents.node(peer.name).key if peer.role == AGENT and peer.name in self._nodes else None

        return key


def new_nonce() -> str:
    return secrets.token_hex(NONCE_BYTES)


def proof(key: bytes, side: str, peer: Peer, first_nonce: str, second_nonce: str) -> str:
    """The HMAC that ``side`` ("client" or "server") of a connection with ``peer`` sends to prove it holds ``key``."""
    message = f"{side}|{peer.role}|{peer.name}|{first_nonce}|{second_nonce}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def verify(key: bytes, side: str, peer: Peer, first_nonce: str, second_nonce: str, mac: object) -> None:
    """Raise :class:`AuthError` unless ``mac`` is ``side``'s proof for these nonces (constant-time compare). A MAC
    of any other type or alphabet (non-ASCII text too) is refused as a wrong one, never raising anything else."""
    expected = proof(key, side, peer, first_nonce, second_nonce).encode()
    given = mac.encode("utf-8", "surrogatepass") if isinstance(mac, str) else b""
    if not hmac.compare_digest(given, expected):
        raise AuthError("authentication failed: wrong key")
