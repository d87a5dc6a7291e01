"""Faults and abuse, without model processes: impersonation, forged results, malformed MACs, connection floods, a
controller that never answers (as a stopped one)."""

from __future__ import annotations

import asyncio
import logging
import queue
import socket
import time

import numpy as np
import pytest

from mcfn.runtime import blocking
from mcfn.runtime.admission import HEADROOM, Admission
from mcfn.runtime.auth import AGENT, AuthError, Credential, Peer
from mcfn.runtime.blocking import BlockingChannel, BlockingServer
from mcfn.runtime.channel import MAX_UNAUTHENTICATED, ServerStats, connect, serve
from mcfn.runtime.client import MARGIN_S, Client
from mcfn.runtime.cluster import LocalCluster, hosted_stages, parse_runtime_scenario
from mcfn.runtime.controller import InferError
from mcfn.runtime.models import TINY
from mcfn.runtime.wire import Message, encode
from tests.runtime.conftest import CLIENT, CLIENT_TOKEN, KEYS, SECRET, run
from tests.runtime.test_cluster import scenario_document

RUNTIME = parse_runtime_scenario(scenario_document())


def _hello(node: str, port: int) -> Message:
    fields = {
        "node": node,
        "tier": "edge",
        "host": "127.0.0.1",
        "port": port,
        "stages": list(hosted_stages(RUNTIME, node)),
        "workers": 1,
        "advert_period_s": 1.0,
        "plans": {TINY: RUNTIME.plans[TINY].fingerprint()},
    }
    return Message(kind="hello", fields=fields)


class _SilentAgent:
    """An agent of ``edge0`` that accepts every stage and computes none: it hands the route ids it sees to the test."""

    def __init__(self) -> None:
        self.routes: queue.Queue[str] = queue.Queue()
        self.server = BlockingServer(self._handle, keys=KEYS.agents.keyring())

    def _handle(self, channel: BlockingChannel) -> None:
        while True:
            message = channel.receive(timeout_s=10)
            self.routes.put(message.fields["request"])
            channel.send(Message(kind="accepted"), timeout_s=5)


def test_a_client_can_neither_register_nor_settle_a_route_nor_pass_as_an_agent():
    controller = LocalCluster(RUNTIME, token=SECRET).controller

    async def scenario():
        server = await controller.start()
        address = server.sockets[0].getsockname()[:2]
        replies = []
        for kind, fields in (("hello", _hello("edge0", 9).fields), ("result", {}), ("failed", {})):
            channel = await connect(*address, credential=CLIENT, timeout_s=5)
            await channel.send(Message(kind=kind, fields=fields), timeout_s=5)
            replies.append((await channel.receive(timeout_s=5)).fields["reason"])
            await channel.close()
        with pytest.raises(AuthError, match="authentication failed"):  # the client token is no agent's key
            await connect(*address, credential=Credential(Peer(AGENT, "edge0"), CLIENT_TOKEN.encode()), timeout_s=5)
        live = controller.live_agents
        server.close()
        await controller.stop()
        return replies, live

    replies, live = run(scenario())
    assert replies == [f"a client may not send {kind!r}" for kind in ("hello", "result", "failed")]
    assert live == ()
    assert controller.stats.rejected == 4


def test_a_second_agent_of_a_live_node_is_refused_and_a_forged_result_is_not_taken():
    """The real edge0 registers and holds every stage; a second hello as edge0 is refused, and edge0 stays. A
    result for edge0's route sent by another agent (who learnt the route's id) is refused; the request ends at its
    deadline with the reason, not with the forged output."""
    controller = LocalCluster(RUNTIME, token=SECRET).controller
    fake = _SilentAgent()

    async def scenario():
        server = await controller.start()
        address = server.sockets[0].getsockname()[:2]
        edge0 = await connect(*address, credential=KEYS.agents.node("edge0"), timeout_s=5)
        await edge0.request(_hello("edge0", fake.server.address[1]), timeout_s=5)
        twin = await connect(*address, credential=KEYS.agents.node("edge0"), timeout_s=5)
        await twin.send(_hello("edge0", 9), timeout_s=5)
        second = await twin.receive(timeout_s=5)
        client = Client(*address, token=CLIENT_TOKEN)
        x = np.zeros((1, 3, 32, 32), np.float32)
        pending = asyncio.create_task(client.infer(TINY, x, deadline_s=1.0))
        route = await asyncio.to_thread(fake.routes.get, timeout=5)
        forger = await connect(*address, credential=KEYS.agents.node("edge1"), timeout_s=5)
        forged = Message(kind="result", fields={"request": route, "sent_at_s": 0.0, "timings": []})
        await forger.send(forged, timeout_s=5)
        forged_answer = await forger.receive(timeout_s=5)
        with pytest.raises(InferError) as failed:
            await pending
        live = controller.live_agents
        for channel in (edge0, twin, forger):
            await channel.close()
        await client.close()
        server.close()
        await controller.stop()
        return second, forged_answer, failed.value, live

    try:
        second, forged_answer, failed, live = run(scenario())
    finally:
        fake.server.close()
    assert (second.kind, second.fields["reason"]) == (
        "error",
        "agent edge0 is already registered and live; a second one is refused",
    )
    assert live == ("edge0",)
    assert forged_answer.kind == "error"
    assert forged_answer.fields["reason"].startswith("agent edge1 does not end route")
    assert "deadline exceeded" in str(failed)


@pytest.mark.parametrize("mac", ["é" * 64, "\udcff", 7, None, "ab" * 32])
def test_a_malformed_mac_is_refused_as_a_wrong_one_counted_and_logs_nothing(mac, caplog):
    """Non-ASCII text, a lone surrogate, a number, nothing, and a well-formed wrong one; on both servers."""
    stats = ServerStats()

    async def silent(channel):
        await channel.receive(timeout_s=5)

    def answer(sock: socket.socket) -> bytes:
        sock.recv(4096)
        sock.sendall(encode(Message(kind="auth", fields={"role": "client", "name": "", "nonce": "cd", "mac": mac})))
        return sock.recv(4096)

    async def scenario():
        server = await serve(silent, keys=KEYS.keyring(), stats=stats)
        port = server.sockets[0].getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            reply = await asyncio.to_thread(answer, sock)
        server.close()
        return reply

    with caplog.at_level(logging.DEBUG), BlockingServer(lambda channel: None, keys=KEYS.keyring()) as threads:
        reply = run(scenario())
        with socket.create_connection(threads.address, timeout=5) as sock:
            threaded_reply = answer(sock)
    for answered, counts in ((reply, stats), (threaded_reply, threads.stats)):
        assert b"authentication failed: wrong key" in answered
        assert (counts.accepted, counts.rejected) == (0, 1)
    assert not [record for record in caplog.records if record.exc_info]


def test_a_connection_flood_is_capped_before_authentication_and_a_member_still_gets_in():
    flood = 3 * MAX_UNAUTHENTICATED
    stats = ServerStats()

    async def echo(channel):
        message = await channel.receive(timeout_s=5)
        await channel.send(message, timeout_s=5)

    async def scenario():
        server = await serve(echo, keys=KEYS.keyring(), stats=stats, handshake_timeout_s=5)
        port = server.sockets[0].getsockname()[1]
        idle = await asyncio.to_thread(_open, ("127.0.0.1", port), flood)
        await asyncio.sleep(0.2)
        refused_while_flooded = stats.rejected
        for sock in idle:
            sock.close()
        await asyncio.sleep(0.2)
        member = await connect("127.0.0.1", port, credential=CLIENT, timeout_s=5)
        echoed = await member.request(Message(kind="ping"), timeout_s=5)
        await member.close()
        server.close()
        return refused_while_flooded, echoed

    refused, echoed = run(scenario())
    assert refused >= flood - MAX_UNAUTHENTICATED
    assert echoed.kind == "ping"

    with BlockingServer(lambda channel: channel.receive(timeout_s=5), keys=KEYS.keyring()) as threads:
        idle = _open(threads.address, flood)
        time.sleep(0.3)
        refused_threads = threads.stats.rejected
        for sock in idle:
            sock.close()
        time.sleep(0.2)
        member = blocking.connect(*threads.address, credential=CLIENT, timeout_s=5)
        member.close()
    assert refused_threads >= flood - MAX_UNAUTHENTICATED


def _open(address: tuple[str, int], count: int) -> list[socket.socket]:
    """``count`` connections to ``address`` that say nothing."""
    return [socket.create_connection(address, timeout=5) for _ in range(count)]


def test_a_controller_that_never_answers_costs_a_client_its_deadline_and_the_margin():
    """A listening socket that nobody serves stands for a stopped (SIGSTOP) controller: the kernel completes the
    TCP handshake, then nothing comes."""
    with socket.create_server(("127.0.0.1", 0)) as stopped:

        async def scenario():
            client = Client(*stopped.getsockname()[:2], token=CLIENT_TOKEN)
            started = time.perf_counter()
            with pytest.raises(InferError) as failed:
                await client.infer(TINY, np.zeros((1, 3, 32, 32), np.float32), deadline_s=0.3)
            waited = time.perf_counter() - started
            await client.close()
            return failed.value, waited

        failed, waited = run(scenario())
    assert "no answer from the controller at 127.0.0.1:" in str(failed)
    assert 0.3 <= waited < 0.3 + MARGIN_S + 0.1


def test_admission_admits_while_a_server_is_free_then_by_the_measured_service():
    now = [0.0]
    admission = Admission(servers=2, clock=lambda: now[0])
    admission.start()
    admission.start()
    assert admission.predicted_s() == 0.0  # nothing measured yet: no grounds to refuse
    for _ in range(11):  # eleven served in 50 ms each, 20 ms apart: 50 per second, 2.5 at once
        admission.start()
        admission.finish(0.05)
        now[0] += 0.02
    admission.finish(None)  # one not served counts in no rate
    admission.start()
    assert admission.predicted_s() == pytest.approx(0.05 * 3 / 2.5)  # a third joins two: 2.5 served at once
    for _ in range(2):
        admission.start()
    # four in flight: a fifth waits its turn among the 2.5 the cluster serves at once
    assert admission.predicted_s() == pytest.approx(0.05 * 5 / 2.5)
    assert admission.admits(0.101 / HEADROOM)
    assert not admission.admits(0.099 / HEADROOM)
    now[0] += 2.0  # an idle spell longer than the window: nothing measured, nothing refused
    assert admission.predicted_s() == 0.0
