"""A cluster's TLS material (:mod:`mcfn.runtime.tls`): a CA of its own and one certificate per node, issued by it.

:func:`write_cluster_tls` writes ``ca.pem`` (the CA's certificate, given to every end) and, per name, ``NAME.pem``
and ``NAME.key`` (its certificate and private key, the key readable by its owner only); the CA's key
``ca.key`` stays beside them to issue more (:func:`issue`). Keys are ECDSA P-256 (NIST FIPS 186-4; TLS 1.2 and 1.3
both offer it); certificates are valid for ``days``. A node's certificate names its node in the common name and
carries the host names and addresses it is reached at as subject alternative names, although the runtime checks
only that a certificate chains to the cluster CA (:mod:`mcfn.runtime.tls`: which node a peer is, its keys prove).
Needs the ``cryptography`` package (the ``tls`` extra).
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

#: Files of the CA in a cluster's TLS folder.
CA_CERT, CA_KEY = "ca.pem", "ca.key"


def write_cluster_tls(folder: Path, names: Sequence[str], *, hosts: Sequence[str] = (), days: int = 365) -> list[Path]:
    """A new CA in ``folder`` and a certificate for each of ``names`` (reached at ``hosts``); the files written.
    ``ValueError`` if ``folder`` already holds a CA (it would orphan the certificates issued by it)."""
    x509, _, _ = _cryptography()
    if (folder / CA_KEY).exists():
        raise ValueError(f"{folder / CA_KEY} exists: a cluster CA is there already (use another folder)")
    if not names:
        raise ValueError("name at least one node (or client) to issue a certificate to")
    folder.mkdir(parents=True, exist_ok=True)
    key = _new_key()
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "mcfn cluster CA")])
    ca = _certificate(name, name, key.public_key(), key, days=days, ca=True, hosts=())
    written = [_write_key(folder / CA_KEY, key), _write_cert(folder / CA_CERT, ca)]
    for node in names:
        written += issue(folder, node, hosts=hosts, days=days)
    return written


def issue(folder: Path, name: str, *, hosts: Sequence[str] = (), days: int = 365) -> list[Path]:
    """A certificate for ``name`` issued by the CA in ``folder``, and its key: ``NAME.pem``, ``NAME.key``."""
    x509, serialization, _ = _cryptography()
    if not name or "/" in name or name.startswith("."):
        raise ValueError(f"a certificate name must be a plain file name, got {name!r}")
    ca_key = serialization.load_pem_private_key((folder / CA_KEY).read_bytes(), password=None)
    ca = x509.load_pem_x509_certificate((folder / CA_CERT).read_bytes())
    key = _new_key()
    subject = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, name)])
    cert = _certificate(subject, ca.subject, key.public_key(), ca_key, days=days, ca=False, hosts=hosts)
    return [_write_key(folder / f"{name}.key", key), _write_cert(folder / f"{name}.pem", cert)]


def _cryptography() -> tuple[Any, Any, Any]:
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
    except ImportError:
        raise ValueError("making TLS certificates needs the cryptography package: pip install 'mcfn[tls]'") from None
    return x509, serialization, hashes


def _new_key() -> Any:
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(ec.SECP256R1())


def _certificate(subject: Any, issuer: Any, public_key: Any, signer: Any, *, days: int, ca: bool, hosts: Sequence[str]):
    x509, _, hashes = _cryptography()
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        usage = x509.KeyUsage(False, False, False, False, False, True, True, False, False)  # cert and CRL signing
        builder = builder.add_extension(usage, critical=True)
    else:
        usage = x509.ExtendedKeyUsage(
            [x509.oid.ExtendedKeyUsageOID.SERVER_AUTH, x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]
        )
        builder = builder.add_extension(usage, critical=False)
        if hosts:
            builder = builder.add_extension(x509.SubjectAlternativeName([_general_name(h) for h in hosts]), False)
    return builder.sign(signer, hashes.SHA256())


def _general_name(host: str) -> Any:
    x509, _, _ = _cryptography()
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def _write_key(path: Path, key: Any) -> Path:
    _, serialization, _ = _cryptography()
    data = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # the owner's only, from the start
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
    return path


def _write_cert(path: Path, cert: Any) -> Path:
    _, serialization, _ = _cryptography()
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path
