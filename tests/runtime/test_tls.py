"""TLS under the runtime's channels (:mod:`mcfn.runtime.tls`): mutual TLS against the cluster CA, the HMAC roles
on top, and a one-line refusal, at once, for every end that does not belong."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import numpy as np
import pytest

from mcfn.runtime import blocking
from mcfn.runtime.auth import AuthError
from mcfn.runtime.blocking import BlockingServer
from mcfn.runtime.channel import ServerStats, connect, serve
from mcfn.runtime.pool import BlockingPool
from mcfn.runtime.tls import TlsFiles
from mcfn.runtime.wire import Message
from tests.runtime.conftest import CLIENT, KEYS, run
from tests.runtime.test_transport import _echo

pytest.importorskip("cryptography")


@pytest.fixture(scope="module")
def tls(tmp_path_factory) -> dict[str, TlsFiles]:
    """The cluster's files (for ``node``, ``client``) and an intruder's, issued by another CA."""
    from mcfn.runtime.certs import write_cluster_tls

    ours, theirs = tmp_path_factory.mktemp("cluster"), tmp_path_factory.mktemp("other")
    write_cluster_tls(ours, ["node", "client"], hosts=["127.0.0.1"])
    write_cluster_tls(theirs, ["intruder"])

    def files(folder: Path, name: str) -> TlsFiles:
        return TlsFiles(ca=str(folder / "ca.pem"), cert=str(folder / f"{name}.pem"), key=str(folder / f"{name}.key"))

    return {"node": files(ours, "node"), "client": files(ours, "client"), "intruder": files(theirs, "intruder")}


def _blocking_echo(channel: blocking.BlockingChannel) -> None:
    while True:
        message = channel.receive(timeout_s=10)
        channel.send(Message(kind="echo", fields=message.fields, tensors=message.tensors), timeout_s=10)


def test_the_data_plane_carries_tensors_over_tls_and_reuses_the_connection(tls):
    stats = ServerStats()
    x = np.arange(300_000, dtype=np.float32)  # 1.2 MB: many TLS records each way
    with BlockingServer(_blocking_echo, keys=KEYS.keyring(), stats=stats, tls=tls["node"].server_context()) as server:
        pool = BlockingPool(credential=CLIENT, tls=tls["client"].client_context())
        answers = [pool.request(server.address, Message(kind="x", tensors={"x": x}), timeout_s=10) for _ in range(3)]
        pool.close()
    for answer in answers:
        np.testing.assert_array_equal(answer.tensors["x"], x)
    assert (stats.accepted, stats.rejected) == (1, 0)  # one connection, kept between requests


def test_the_event_loop_channels_carry_tensors_over_tls(tls):
    async def scenario():
        server = await serve(_echo, keys=KEYS.keyring(), tls=tls["node"].server_context())
        port = server.sockets[0].getsockname()[1]
        channel = await connect("127.0.0.1", port, credential=CLIENT, timeout_s=5, tls=tls["client"].client_context())
        answer = await channel.request(Message(kind="x", tensors={"x": np.ones(1000, np.float32)}), timeout_s=5)
        await channel.close()
        server.close()
        return answer

    assert run(scenario()).tensors["x"].sum() == 1000


@pytest.mark.parametrize("server_kind", ["event loop", "blocking"])
@pytest.mark.parametrize(
    ("client", "complaint"),
    [
        ("intruder", r"TLS handshake with 127\.0\.0\.1:\d+ failed: certificate verify failed"),  # not our CA
        ("plaintext", r"no challenge from 127\.0\.0\.1:\d+ within 2 s: it expects TLS"),
    ],
)
def test_a_client_outside_the_cluster_ca_is_refused_at_once_with_the_reason(tls, server_kind, client, complaint):
    context = None if client == "plaintext" else tls[client].client_context()

    async def scenario():
        if server_kind == "blocking":
            server = BlockingServer(_blocking_echo, keys=KEYS.keyring(), tls=tls["node"].server_context())
            port = server.address[1]
        else:
            server = await serve(_echo, keys=KEYS.keyring(), tls=tls["node"].server_context())
            port = server.sockets[0].getsockname()[1]
        started = time.perf_counter()
        try:
            with pytest.raises(AuthError, match=complaint) as refused:
                await connect("127.0.0.1", port, credential=CLIENT, timeout_s=10, tls=context)
            with pytest.raises(AuthError, match=complaint):
                await asyncio.to_thread(
                    blocking.connect, "127.0.0.1", port, credential=CLIENT, timeout_s=10, tls=context
                )
        finally:
            server.close()
        return refused.value, time.perf_counter() - started

    error, took_s = run(scenario(), timeout_s=20)
    assert "\n" not in str(error)
    assert took_s < 5.0  # two refusals, each within the 2 s challenge bound at most


def test_a_client_whose_certificate_another_ca_issued_is_refused_by_the_server(tls):
    """The client trusts the cluster CA but presents the intruder's certificate: the server refuses it (counted),
    and both kinds of client say so in one line."""
    stranger = TlsFiles(ca=tls["node"].ca, cert=tls["intruder"].cert, key=tls["intruder"].key).client_context()
    stats = ServerStats()

    async def scenario():
        server = await serve(_echo, keys=KEYS.keyring(), tls=tls["node"].server_context())
        try:
            with pytest.raises(AuthError, match="refused this end's certificate") as refused:
                await connect(
                    "127.0.0.1", server.sockets[0].getsockname()[1], credential=CLIENT, timeout_s=5, tls=stranger
                )
        finally:
            server.close()
        return refused.value

    loop_error = run(scenario())
    with BlockingServer(_blocking_echo, keys=KEYS.keyring(), stats=stats, tls=tls["node"].server_context()) as server:
        with pytest.raises(AuthError, match=r"TLS handshake with 127\.0\.0\.1:\d+ failed") as refused:
            blocking.connect(*server.address, credential=CLIENT, timeout_s=5, tls=stranger)
        deadline = time.monotonic() + 5
        while stats.rejected == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
    assert stats.rejected == 1
    assert "certificate" in stats.last_rejection
    assert "\n" not in str(refused.value) + str(loop_error)


def test_a_tls_client_to_a_plaintext_server_is_told_so(tls):
    server = BlockingServer(_blocking_echo, keys=KEYS.keyring())
    with server, pytest.raises(AuthError, match=r"failed: .*\(does the other end use TLS\?\)"):
        blocking.connect(*server.address, credential=CLIENT, timeout_s=5, tls=tls["client"].client_context())


def test_a_tls_cluster_serves_a_split_request_and_refuses_a_plaintext_client_with_the_reason(tls, tmp_path):
    """Controller, agents and client all over TLS (the stage crosses from edge0 to the cloud agent, the result
    goes back to the controller); a client without TLS gets the reason within the challenge bound."""
    pytest.importorskip("torch")
    from mcfn.runtime.client import Client
    from mcfn.runtime.cluster import LocalCluster, parse_runtime_scenario
    from mcfn.runtime.models import TINY
    from tests.runtime.conftest import CLIENT_TOKEN, SECRET
    from tests.runtime.test_cluster import local_output, scenario_document

    node = tls["node"]
    document = scenario_document(
        models={TINY: {"tiers": ["edge", "cloud"], "split": "balanced", "deadline_s": 10.0}},
        agents=[{"node": "edge0", "models": [TINY]}, {"node": "cloud", "models": [TINY]}],
        tls={"ca": node.ca, "cert": node.cert, "key": node.key},
    )
    runtime = parse_runtime_scenario(document, folder=tmp_path)
    x = np.random.default_rng(4).standard_normal((1, 3, 32, 32)).astype(np.float32)

    async def scenario():
        async with LocalCluster(runtime, token=SECRET) as cluster:
            await cluster.wait_ready(timeout_s=60)
            client = Client(*cluster.address, token=CLIENT_TOKEN, tls=tls["client"].client_context())
            reply = await client.infer(TINY, x)
            status = await client.status()
            await client.close()
            plain = Client(*cluster.address, token=CLIENT_TOKEN, timeout_s=10)
            started = time.perf_counter()
            with pytest.raises(AuthError, match="it expects TLS") as refused:
                await plain.infer(TINY, x)
            await plain.close()
        return reply, status, refused.value, time.perf_counter() - started

    reply, status, refused, took_s = run(scenario(), timeout_s=120)
    assert [stage["node"] for stage in reply.fields["stages"]] == ["edge0", "cloud"]
    assert np.abs(reply.output - local_output(TINY, x)).max() <= 1e-5
    assert all(agent["stage_s"] for agent in status["agents"])  # measured at start, over TLS to the controller
    assert "\n" not in str(refused)
    assert took_s < 3.0


def test_mcfn_tls_writes_a_ca_and_certificates_that_work_and_refuses_to_overwrite_a_ca(tmp_path):
    from tests.runtime.test_cli import mcfn

    written = mcfn("tls", str(tmp_path), "--name", "controller", "--name", "edge0", "--host", "127.0.0.1", "--json")
    assert written.returncode == 0, written.stderr
    files = {Path(f).name for f in json.loads(written.stdout)["files"]}
    assert files == {"ca.pem", "ca.key", "controller.pem", "controller.key", "edge0.pem", "edge0.key"}
    assert (tmp_path / "edge0.key").stat().st_mode & 0o077 == 0
    files = TlsFiles(ca=str(tmp_path / "ca.pem"), cert=str(tmp_path / "edge0.pem"), key=str(tmp_path / "edge0.key"))
    files.server_context()
    again = mcfn("tls", str(tmp_path), "--name", "x")
    assert again.returncode == 2
    assert again.stderr.strip().startswith("error: ")
    assert "a cluster CA is there already" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1
