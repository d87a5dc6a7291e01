"""The cluster file: where a running cluster's controller listens and the client token that admits a client.

``mcfn serve`` writes it (readable by its owner only); ``mcfn infer`` and ``mcfn load`` read it. It holds the
client token only (:mod:`mcfn.runtime.auth`): whoever reads it can ask for inferences, not act as an agent. Where
the environment variable :data:`TOKEN_ENV` holds the cluster secret, the client token is derived from it instead.
For a cluster over TLS (:mod:`mcfn.runtime.tls`) it also names the TLS files a client presents (the cluster CA,
a certificate and key issued by it: ``mcfn serve`` writes the controller's, a client elsewhere its own).
"""

from __future__ import annotations

import json
import os
import ssl
from dataclasses import dataclass
from pathlib import Path

from mcfn.runtime.auth import check_token, client_token
from mcfn.runtime.tls import TlsFiles

#: Environment variable that sets the cluster secret (``mcfn serve`` uses it instead of a fresh random one; agents
#: started by hand, ``mcfn agent``, need it).
TOKEN_ENV = "MCFN_CLUSTER_TOKEN"

#: Where the commands look for the cluster file by default.
DEFAULT_CLUSTER_FILE = Path(".mcfn") / "cluster.json"


@dataclass(frozen=True, kw_only=True)
class ClusterAccess:
    """The controller's address and the client token."""

    host: str
    port: int
    token: str
    tls: TlsFiles | None = None

    def client_context(self) -> ssl.SSLContext | None:
        """The TLS context of a client of this cluster (``None``: plain TCP); ``ValueError`` naming a missing file."""
        return None if self.tls is None else self.tls.client_context()

    def write(self, path: Path) -> None:
        """Write the file with owner-only permissions (created so, never world-readable in between)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            tls = None if self.tls is None else {"ca": self.tls.ca, "cert": self.tls.cert, "key": self.tls.key}
            json.dump({"host": self.host, "port": self.port, "token": self.token, "tls": tls}, handle)
        path.chmod(0o600)

    @classmethod
    def read(cls, path: Path) -> ClusterAccess:
        """Read a cluster file; ``ValueError`` with one line if it is missing or broken."""
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            tls = document.get("tls")
            access = cls(
                host=str(document["host"]),
                port=int(document["port"]),
                token=str(document["token"]),
                tls=None if tls is None else TlsFiles(ca=str(tls["ca"]), cert=str(tls["cert"]), key=str(tls["key"])),
            )
        except FileNotFoundError:
            raise ValueError(f"no cluster file {path}: start a cluster with 'mcfn serve SCENARIO.yaml'") from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"cluster file {path} is unreadable: {exc}") from None
        secret = os.environ.get(TOKEN_ENV)
        token = client_token(check_token(secret.encode()).decode()) if secret else access.token
        check_token(token.encode())
        return cls(host=access.host, port=access.port, token=token, tls=access.tls)
