"""Runtime benchmarks: ``python benchmarks/runtime.py [--rounds N] [--requests N] [--only SECTION ...]``.

Sections 1b-4 run on the runtime's event loop (:mod:`mcfn.runtime.loop`: uvloop where installed,
``MCFN_EVENT_LOOP=asyncio`` forces the standard one); section 1 runs on each loop there is, one after the other.

1. **Per-hop transport overhead**: a round trip of a float32 tensor through an authenticated
   :class:`~mcfn.runtime.channel.Channel` (frame, binary header, raw body, decoded to an array at the echo and
   back) against a round trip of the same bytes with a 4-byte length prefix over two raw baselines: plain
   blocking sockets (``sendall`` / ``recv_into`` a preallocated buffer; the echo in a process of its own), the raw
   socket round trip that the issue's goal is stated against (a ratio of at most 1.2) and that no event loop
   changes; and asyncio streams on the same event loop as the channel (``StreamReader.readexactly``, the same
   kind of socket; both ends in this process, as the channel's), which show what the loop itself costs. Two more
   times have the echo in a process of its own, as between two agents (the plain baseline's setup): ``loop
   remote``, the event-loop channel to an event-loop echo (each loop then waits in ``epoll`` between frames), and
   ``remote``, the data plane that agents forward stages on (:mod:`mcfn.runtime.blocking`: a blocking channel to
   a server that serves each connection in a thread), the figure a deployment sees and the one the goal is for.
   The five are measured one after the other in runs of ``RUN_ROUNDS`` round trips each (a hop's stream of
   requests: the code and data of a transport stay in the caches between its round trips), on each loop in a run of
   its own (switching loops between round trips lets the CPUs idle and doubles the times), until each has
   ``--rounds``, after a run of each untimed; medians. A ratio is the median over those cycles of the ratio of two
   transports' medians within a cycle (measured moments apart: this VM's slower spells, which come and go over
   seconds, cancel out). The last column has the data plane's ratio with the five taken in turn within every round
   instead: each round trip then starts with caches that the other four filled, as a hop that follows a stage's
   computation does, and costs the more the more code and data it touches. Where other work shares the machine,
   ``taskset -c 1`` (all processes on one CPU) gives steadier ratios, and the least favourable to the framed paths:
   no copy overlaps.
   **1b.** A 3-stage request end to end (resnet18 cut in three, on a phone, an edge server and the cloud agent,
   fast links), with the agents forwarding each stage's output to the next (the runtime's way) and with every
   output relayed through the controller (``Controller.infer(relay=True)``), alternating; median of
   ``--requests`` each.
   **1c.** (``tls``) The data plane's round trip over TLS (:mod:`mcfn.runtime.tls`: mutual TLS 1.3 against a
   cluster CA, the runtime's handshake on top) against plain TCP, to a blocking echo in another process, per size;
   runs of ``RUN_ROUNDS`` of each in turn, the median of the per-cycle ratios; and the time to open a connection
   (once per pooled connection).
2. **Link emulation**: 1 MB sent over an emulated 20 Mbit/s, 5 ms hop, measured against the emulated figure
   (goal: within 10 %), by the event-loop channel and by the data plane.
3. **Predicted vs actual end-to-end latency** of split requests on a local cluster (an edge agent and a cloud
   agent in their own processes; the edge emulates a processor ``EDGE_SLOWDOWN`` times slower), for three zoo
   models at two bandwidths of the WAN link to the cloud, then of every model the example cluster
   (``examples/runtime.yaml``) serves. Each model is cut by the real planner (the optimum of :mod:`mcfn.partition`
   over the edge and cloud tiers, at one speed per model measured here on one CPU thread, so the cut moves with the
   bandwidth) and run by its executable parts. Two ways of predicting compute, compared in the same run:
   ``model``, the plan's FLOPs at one speed per model (``measure_stages: false``: what the controller did before),
   and ``agents``, the times the agents measure for their own stages at start and then from the runs they serve
   (:mod:`mcfn.runtime.stage_times`), with each hop's overhead learnt from the results
   (:mod:`mcfn.runtime.prediction`). ``--requests`` are sent one after another; the median is reported (and the
   fastest request over the prediction, less sensitive to other work on a shared machine), with the actual/predicted
   ratio of the compute and network parts summed over the stages. The zoo models are those whose optimum is a real
   split at these figures (Neurosurgeon's observation: for most CNNs the optimum is all on one side, as the
   activations shrink below the input only late). Goal: every ``agents`` ratio within 0.85-1.15.
4. **Ray actor path vs own transport** (when Ray is installed): a round trip of the same tensor to an echo in
   another process, through a Ray actor call (``ray.get(actor.echo.remote(x))``, local Ray instance) and through
   the data plane that agents forward on (an authenticated blocking channel to a spawned echo server); median of
   ``--rounds``.
5. **Overload** (``overload``): the example cluster (``examples/runtime.yaml``: three agents on this machine,
   emulating processors ``LOAD_SLOWDOWN`` times slower) serving tiny-resnet with its 1 s deadline. Its capacity is
   measured first: from the rate a closed loop reaches (:func:`mcfn.runtime.load.capacity`, four times its
   workers' requests in flight), the open-loop rate doubles until the goodput no longer keeps up
   (:func:`mcfn.runtime.load.saturation`, ``--load-s`` each), and the most goodput seen is the capacity; then
   open-loop Poisson load at 0.5, 1, 1.5 and 2 times it (``--load-s`` each; :func:`mcfn.runtime.load.sweep`):
   goodput (served within the deadline) against capacity, the served requests' p99 against the deadline,
   refusals, and answers later than deadline + 100 ms. The goal at 2x: no late answer, p99 within the deadline,
   goodput >= 90 % of capacity.
6. **Soak** (``soak``): the same cluster at 1.5 times its capacity for ``--soak-s`` seconds while faults come:
   an agent is killed (the cluster restarts it), another stopped for two seconds (SIGSTOP, then SIGCONT); every
   request must still be answered within its deadline + 100 ms, and the cluster's agents all live at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import signal
import socket
import statistics
import struct
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import numpy as np

from mcfn.network.topology.io import read_yaml
from mcfn.runtime import blocking
from mcfn.runtime import loop as event_loop
from mcfn.runtime.auth import ClusterKeys, client_credential
from mcfn.runtime.blocking import BlockingChannel, BlockingServer
from mcfn.runtime.channel import Channel, connect, serve
from mcfn.runtime.client import Client
from mcfn.runtime.cluster import LocalCluster, RuntimeScenario, parse_runtime_scenario
from mcfn.runtime.launch import ProcessLauncher
from mcfn.runtime.link import LinkProfile
from mcfn.runtime.load import LoadReport, capacity, open_loop, saturation, sweep
from mcfn.runtime.models import input_shape
from mcfn.runtime.tls import TlsFiles
from mcfn.runtime.wire import Message, encode

SECRET = "benchmark-token-0123456789abcdef"
KEYS = ClusterKeys(SECRET, ())
CLIENT = client_credential(KEYS.client_token)
SIZES_BYTES = (1_000, 10_000, 100_000, 1_000_000, 10_000_000)
MODELS = ("alexnet", "mobilenet_v2", "efficientnet_b0")
BANDWIDTHS_BPS = (100e6, 20e6)
EDGE_SLOWDOWN = 8.0
#: Section 1: round trips of one transport taken in a row, before the next transport's.
RUN_ROUNDS = 25
#: The sections of the benchmark, in order (``--only``).
SECTIONS = ("transport", "tls", "route", "link", "predictions", "ray", "overload", "soak")
#: Sections 5 and 6: the cluster, the model and the rates (multiples of the measured capacity).
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "runtime.yaml"
LOAD_MODEL = "tiny-resnet"
LOAD_FACTORS = (0.5, 1.0, 1.5, 2.0)
SOAK_FACTOR = 1.5
#: Sections 5-6: how many times slower than this machine the agents compute (asleep), so that the cluster's
#: capacity is its workers', and a client on the same two CPUs can offer twice it (at full speed the load generator,
#: the controller and the agents share the CPUs, and the client cannot offer more than the cluster serves).
LOAD_SLOWDOWN = 20.0
#: Sections 5-6: seconds of load per rate, and of the capacity measurement (``--load-s``).
LOAD_S = 5.0


async def _raw_echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            (n,) = struct.unpack("!I", await reader.readexactly(4))
            writer.write(struct.pack("!I", n) + await reader.readexactly(n))
            await writer.drain()
    except (asyncio.IncompleteReadError, asyncio.CancelledError):
        writer.close()


def _recv_exactly(sock: socket.socket, view: memoryview) -> None:
    while view:
        n = sock.recv_into(view)
        if not n:
            raise EOFError("peer closed")
        view = view[n:]


def _plain_echo(ports: Any) -> None:
    """Echo length-prefixed payloads on one blocking connection, into one preallocated buffer (a process of its
    own: an echo thread here would contend for the interpreter lock with the event loop being measured)."""
    listener = socket.create_server(("127.0.0.1", 0))
    ports.put(listener.getsockname()[1])
    sock, _ = listener.accept()
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buffer = memoryview(bytearray(max(SIZES_BYTES) + 4))
    with sock, contextlib.suppress(EOFError, OSError):
        while True:
            _recv_exactly(sock, buffer[:4])
            (n,) = struct.unpack("!I", buffer[:4])
            _recv_exactly(sock, buffer[4 : 4 + n])
            sock.sendall(buffer[: 4 + n])


async def _channel_echo(channel: Channel) -> None:
    while True:
        message = await channel.receive(timeout_s=60)
        await channel.send(Message(kind="echo", tensors=message.tensors), timeout_s=60)


def _blocking_echo(channel: BlockingChannel) -> None:
    while True:
        message = channel.receive(timeout_s=None)
        channel.send(Message(kind="echo", tensors=message.tensors), timeout_s=60)


def _serve_blocking_echo_forever(ports: Any, tls: TlsFiles | None = None) -> None:
    """The data plane's echo (a process of its own, as an agent), over TLS with ``tls``."""
    server = BlockingServer(_blocking_echo, keys=KEYS.keyring(), tls=None if tls is None else tls.server_context())
    ports.put(server.address[1])
    threading.Event().wait()


def _round_trips(
    tensor: np.ndarray,
    plain: socket.socket,
    answer: memoryview,
    stream: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    channel: Channel,
    loop_remote: Channel,
    remote: BlockingChannel,
) -> dict[str, Callable[[], Awaitable[Any]]]:
    """One round trip of ``tensor`` by each transport of section 1 (the raw ones with a 4-byte length prefix)."""
    frame = struct.pack("!I", tensor.nbytes) + tensor.tobytes()
    reader, writer = stream

    async def plain_trip() -> None:
        plain.sendall(frame)
        _recv_exactly(plain, answer[: len(frame)])

    async def stream_trip() -> None:
        writer.write(frame)
        await writer.drain()
        (n,) = struct.unpack("!I", await reader.readexactly(4))
        await reader.readexactly(n)

    async def remote_trip() -> None:
        remote.request(Message(kind="echo", tensors={"t": tensor}), timeout_s=60)

    return {
        "plain": plain_trip,
        "stream": stream_trip,
        "framed": lambda: channel.request(Message(kind="echo", tensors={"t": tensor}), timeout_s=60),
        "loop_remote": lambda: loop_remote.request(Message(kind="echo", tensors={"t": tensor}), timeout_s=60),
        "remote": remote_trip,
    }


async def _time_round_trips(
    trips: dict[str, Callable[[], Awaitable[Any]]], rounds: int, in_a_row: int
) -> list[dict[str, float]]:
    """``rounds`` timed round trips of each of ``trips``, taken ``in_a_row`` at a time, one transport after the
    other: per cycle through the transports, each one's median."""
    cycles = []
    for start in range(0, rounds, in_a_row):
        cycle = {}
        for name, trip in trips.items():
            times = []
            for _ in range(min(in_a_row, rounds - start)):
                started = time.perf_counter()
                await trip()
                times.append(time.perf_counter() - started)
            cycle[name] = statistics.median(times)
        cycles.append(cycle)
    return cycles


def _summary(cycles: list[dict[str, float]], prefix: str = "") -> dict[str, float]:
    """Each transport's median time (``NAME_s``), and its median ratio to the plain socket's time of the same cycle
    (``NAME_ratio``: a pair measured moments apart, so the ratio shrugs off the machine's slower spells) and the
    framed channel's to the stream's (``framed_stream_ratio``); keys prefixed with ``prefix``."""
    summary = {}
    for name in cycles[0]:
        summary[f"{prefix}{name}_s"] = statistics.median(cycle[name] for cycle in cycles)
        summary[f"{prefix}{name}_ratio"] = statistics.median(cycle[name] / cycle["plain"] for cycle in cycles)
    summary[f"{prefix}framed_stream_ratio"] = statistics.median(cycle["framed"] / cycle["stream"] for cycle in cycles)
    return summary


async def transport_overhead(rounds: int, loop: str) -> list[dict[str, float]]:
    """Round-trip times of each size on the running event loop (named ``loop``): framed channel to an echo in
    this process and in another, the data plane to an echo in another, raw asyncio stream, plain blocking socket
    (module docstring)."""
    raw_server = await asyncio.start_server(_raw_echo, "127.0.0.1", 0)
    server = await serve(_channel_echo, keys=KEYS.keyring())
    reader, writer = await asyncio.open_connection("127.0.0.1", raw_server.sockets[0].getsockname()[1])
    channel = await connect("127.0.0.1", server.sockets[0].getsockname()[1], credential=CLIENT, timeout_s=5)
    context = multiprocessing.get_context("spawn")
    ports = context.Queue()
    echo = context.Process(target=_plain_echo, args=(ports,), daemon=True)
    echo.start()
    plain = socket.create_connection(("127.0.0.1", ports.get(timeout=60)))
    loop_echo = context.Process(target=_serve_echo_forever, args=(ports, loop), daemon=True)
    loop_echo.start()
    loop_remote = await connect("127.0.0.1", ports.get(timeout=60), credential=CLIENT, timeout_s=5)
    remote_echo = context.Process(target=_serve_blocking_echo_forever, args=(ports,), daemon=True)
    remote_echo.start()
    remote = blocking.connect("127.0.0.1", ports.get(timeout=60), credential=CLIENT, timeout_s=5)
    plain.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    answer = memoryview(bytearray(max(SIZES_BYTES) + 4))
    rows = []
    for size in SIZES_BYTES:
        tensor = np.zeros(size // 4, dtype=np.float32)
        trips = _round_trips(tensor, plain, answer, (reader, writer), channel, loop_remote, remote)
        row: dict[str, float] = {"bytes": size}
        await _time_round_trips(trips, RUN_ROUNDS, RUN_ROUNDS)  # warm-up: caches, the sockets' buffers, the CPU
        row.update(_summary(await _time_round_trips(trips, rounds, RUN_ROUNDS)))
        row.update(_summary(await _time_round_trips(trips, rounds, 1), prefix="in_turn_"))
        rows.append(row)
    plain.close()
    echo.join(timeout=5)
    await loop_remote.close()
    loop_echo.terminate()
    remote.close()
    remote_echo.terminate()
    await channel.close()
    writer.close()
    for s in (server, raw_server):
        s.close()
    return rows


def tls_overhead(rounds: int) -> tuple[list[dict[str, float]], dict[str, float]]:
    """Section 1c: the data plane's round trip per size over TLS against plain TCP (each to an echo in a process of
    its own; runs of ``RUN_ROUNDS`` of each in turn, per-cycle medians, the median of their ratios), and the median
    time to connect (TCP, then TLS, then the runtime's handshake) of each."""
    from mcfn.runtime.certs import write_cluster_tls

    with tempfile.TemporaryDirectory() as folder:
        write_cluster_tls(Path(folder), ["node"])
        files = TlsFiles(ca=f"{folder}/ca.pem", cert=f"{folder}/node.pem", key=f"{folder}/node.key")
        context = multiprocessing.get_context("spawn")
        ports = context.Queue()
        echoes = [
            context.Process(target=_serve_blocking_echo_forever, args=(ports, tls), daemon=True)
            for tls in (None, files)
        ]
        addresses = []
        for echo in echoes:
            echo.start()
            addresses.append(("127.0.0.1", ports.get(timeout=60)))
        client_tls = files.client_context()

        def dial(kind: str) -> BlockingChannel:
            address = addresses[kind == "tls"]
            return blocking.connect(*address, credential=CLIENT, timeout_s=5, tls=client_tls if kind == "tls" else None)

        connect_s = {}
        for kind in ("plain", "tls"):
            times = []
            for _ in range(20):
                started = time.perf_counter()
                dial(kind).close()
                times.append(time.perf_counter() - started)
            connect_s[kind] = statistics.median(times)
        channels = {kind: dial(kind) for kind in ("plain", "tls")}
        rows = []
        for size in SIZES_BYTES:
            message = Message(kind="echo", tensors={"t": np.zeros(size // 4, dtype=np.float32)})
            cycles = []
            for cycle in range(max(rounds // RUN_ROUNDS, 1) + 1):
                medians = {}
                for kind, channel in channels.items():
                    times = []
                    for _ in range(RUN_ROUNDS):
                        started = time.perf_counter()
                        channel.request(message, timeout_s=60)
                        times.append(time.perf_counter() - started)
                    medians[kind] = statistics.median(times)
                if cycle:  # the first cycle warms up
                    cycles.append(medians)
            rows.append(
                {
                    "bytes": size,
                    "plain_s": statistics.median(c["plain"] for c in cycles),
                    "tls_s": statistics.median(c["tls"] for c in cycles),
                    "ratio": statistics.median(c["tls"] / c["plain"] for c in cycles),
                }
            )
        for channel in channels.values():
            channel.close()
        for echo in echoes:
            echo.terminate()
    return rows, connect_s


AGENTS = ("ue0", "edge0", "cloud")


def route_scenario() -> dict:
    """resnet18 in three stages of about equal FLOPs pinned to a phone, an edge server and the cloud, all on fast
    links (10 Gbit/s, 50 µs), so that what the route costs beyond computing is mostly the transport's own."""
    node = {"kind": "cpu", "peak_flops_per_s": 2e10, "memory_bytes": 8e9, "vm_slots": 1}
    link = {"bandwidth_bps": 1e10, "delay_s": 5e-5}
    return {
        "topology": {
            "nodes": [
                {"id": "bs0", "role": "base_station"},
                {"id": "ue0", "role": "terminal"},
                {"id": "edge0", "role": "edge_server"},
                {"id": "cloud", "role": "cloud"},
            ],
            "links": [{"a": "bs0", "b": other, **link} for other in AGENTS],
        },
        "compute": [
            {"id": n, "tier": t, **node} for n, t in (("ue0", "terminal"), ("edge0", "edge"), ("cloud", "cloud"))
        ],
        "runtime": {
            "ingress": "bs0",
            "models": {"resnet18": {"tiers": ["terminal", "edge", "cloud"], "split": "balanced", "deadline_s": 30.0}},
            "agents": [{"node": n, "models": ["resnet18"]} for n in AGENTS],
        },
    }


async def direct_vs_relay(requests: int) -> dict[str, float]:
    """Median end-to-end seconds of a 3-stage request: agents forwarding vs the controller relaying."""
    runtime = parse_runtime_scenario(route_scenario())
    plan = runtime.plans["resnet18"]
    x = np.random.default_rng(0).standard_normal(plan.input.shape).astype(np.float32)
    times: dict[str, list[float]] = {"direct": [], "relay": []}
    async with LocalCluster(runtime, token=SECRET) as cluster:
        await cluster.wait_ready(timeout_s=180)
        for relay in (False, True):  # warm the connections
            await cluster.controller.infer("resnet18", x, relay=relay)
        for _ in range(requests):
            for name, relay in (("direct", False), ("relay", True)):
                outcome = await cluster.controller.infer("resnet18", x, relay=relay)
                times[name].append(outcome.latency_s)
    crossing = sum(spec.bits for stage in plan.stages[:-1] for spec in stage.sends) / 8
    return {"crossing_bytes": crossing} | {name: statistics.median(samples) for name, samples in times.items()}


async def link_accuracy() -> tuple[float, float, float]:
    """Seconds for 1 MB over 20 Mbit/s, 5 ms and back unpaced: measured on the event-loop channel, on the data
    plane, and emulated."""
    link = LinkProfile(bandwidth_bps=20e6, delay_s=5e-3)
    blob = Message(kind="blob", tensors={"blob": np.zeros(1_000_000, dtype=np.uint8)})
    server = await serve(_channel_echo, keys=KEYS.keyring())
    channel = await connect("127.0.0.1", server.sockets[0].getsockname()[1], credential=CLIENT, timeout_s=5, link=link)
    started = time.perf_counter()
    await channel.send(blob, timeout_s=10)
    await channel.receive(timeout_s=10)
    on_loop = time.perf_counter() - started
    await channel.close()
    server.close()
    with BlockingServer(_blocking_echo, keys=KEYS.keyring()) as threads:
        plane = blocking.connect(*threads.address, credential=CLIENT, timeout_s=5, link=link)
        started = time.perf_counter()
        plane.send(blob, timeout_s=10)
        plane.receive(timeout_s=10)
        on_plane = time.perf_counter() - started
        plane.close()
    return on_loop, on_plane, link.transfer_s(len(encode(blob)))


def model_speed(name: str) -> float:
    """The speed of ``name`` on one CPU thread here (what an agent has): its FLOPs over the median of five whole
    forward passes, after two."""
    import torch

    from mcfn.models.zoo import load_zoo_graph
    from mcfn.runtime.models import build

    torch.set_num_threads(1)
    model, x = build(name, seed=0)
    times = []
    with torch.no_grad():
        for i in range(7):
            started = time.perf_counter()
            model(x)
            if i >= 2:
                times.append(time.perf_counter() - started)
    return load_zoo_graph(name).total_flops / statistics.median(times)


def scenario(model: str, wan_bps: float, flops_per_s: float, *, measure_stages: bool) -> dict:
    """bs0 - edge0 over 1 Gbit/s; bs0 - agg - cloud with the WAN hop at ``wan_bps``; ``model`` planned over the
    edge and cloud tiers at one speed per model, the edge agent emulating a processor ``EDGE_SLOWDOWN`` times
    slower; the agents measure their stages at start (``measure_stages``) or not (the router then charges the
    plan's FLOPs at the nodes' speed)."""

    def node(speed: float) -> dict:
        throughput = dict.fromkeys(("conv", "matmul", "elementwise", "other"), speed)
        return {"kind": "cpu", "throughput_flops_per_s": throughput, "memory_bytes": 8e9, "vm_slots": 1}

    return {
        "topology": {
            "nodes": [
                {"id": "bs0", "role": "base_station"},
                {"id": "edge0", "role": "edge_server"},
                {"id": "agg", "role": "aggregation"},
                {"id": "cloud", "role": "cloud"},
            ],
            "links": [
                {"a": "bs0", "b": "edge0", "bandwidth_bps": 1e9, "delay_s": 1e-3},
                {"a": "bs0", "b": "agg", "bandwidth_bps": 1e9, "delay_s": 1e-3},
                {"a": "agg", "b": "cloud", "bandwidth_bps": wan_bps, "delay_s": 1e-2},
            ],
        },
        "compute": [
            {"id": "edge0", "tier": "edge", **node(flops_per_s / EDGE_SLOWDOWN)},
            {"id": "cloud", "tier": "cloud", **node(flops_per_s)},
        ],
        "runtime": {
            "ingress": "bs0",
            "policy": "optimal",
            "measure_stages": measure_stages,
            "models": {model: {"deadline_s": 10.0}},
            "agents": [
                {"node": "edge0", "models": [model], "slowdown": EDGE_SLOWDOWN},
                {"node": "cloud", "models": [model]},
            ],
        },
    }


async def served(cluster: LocalCluster, client: Client, model: str, requests: int) -> dict[str, object]:
    """Median predicted and actual latency (and their compute and network parts) of ``requests`` of ``model`` in a
    row (medians: other work on this machine slows some requests down)."""
    plan = cluster.runtime.plans[model]
    x = np.random.default_rng(0).standard_normal(plan.input.shape).astype(np.float32)
    await client.infer(model, x)  # warm the connections
    replies = [await client.infer(model, x) for _ in range(requests)]

    def median(key: str) -> float:
        return statistics.median(sum(stage[key] for stage in r.fields["stages"]) for r in replies)

    return {
        "nodes": "/".join(s["node"] for s in replies[-1].fields["stages"]),
        "edge_layers": sum(tier == "edge" for _, tier in plan.assignment) / len(plan.assignment),
        "crossing": "+".join(str(len(stage.sends)) for stage in plan.stages[:-1]) or "-",
        "predicted_s": statistics.median(r.fields["predicted_latency_s"] for r in replies),
        "actual_s": statistics.median(r.fields["latency_s"] for r in replies),
        "best_s": min(r.fields["latency_s"] for r in replies),
        "compute": median("compute_s") / median("predicted_compute_s"),
        "network": median("network_s") / median("predicted_network_s"),
    }


async def predicted_vs_actual(runtime: RuntimeScenario, models: list[str], requests: int) -> list[dict[str, object]]:
    """:func:`served` for each of ``models`` on a local cluster of ``runtime``."""
    async with LocalCluster(runtime, token=SECRET) as cluster:
        await cluster.wait_ready(timeout_s=300)
        client = Client(*cluster.address, token=KEYS.client_token, timeout_s=60)
        try:
            return [await served(cluster, client, model, requests) for model in models]
        finally:
            await client.close()


def _serve_echo_forever(ports: Any, loop: str | None = None) -> None:
    async def main() -> None:
        server = await serve(_channel_echo, keys=KEYS.keyring())
        ports.put(server.sockets[0].getsockname()[1])
        await asyncio.Event().wait()

    event_loop.run(main(), loop=loop)


def _channel_round_trips(port: int, rounds: int) -> list[float]:
    channel = blocking.connect("127.0.0.1", port, credential=CLIENT, timeout_s=10)
    medians = []
    for size in SIZES_BYTES:
        tensor = np.zeros(size // 4, dtype=np.float32)
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            channel.request(Message(kind="echo", tensors={"t": tensor}), timeout_s=60)
            times.append(time.perf_counter() - started)
        medians.append(statistics.median(times))
    channel.close()
    return medians


def ray_vs_channel(rounds: int) -> list[dict[str, float]]:
    """Median round trip to an echo in another process: Ray actor call vs our channel."""
    import os

    import ray

    os.environ.setdefault("RAY_AUTH_MODE", "disabled")  # a private local instance for the benchmark
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)

    class Echo:
        def echo(self, x: np.ndarray) -> np.ndarray:
            return x

    actor = ray.remote(Echo).remote()
    ray.get(actor.echo.remote(np.zeros(1)))
    ray_medians = []
    for size in SIZES_BYTES:
        tensor = np.zeros(size // 4, dtype=np.float32)
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            ray.get(actor.echo.remote(tensor))
            times.append(time.perf_counter() - started)
        ray_medians.append(statistics.median(times))
    ray.shutdown()
    context = multiprocessing.get_context("spawn")
    ports = context.Queue()
    echo = context.Process(target=_serve_blocking_echo_forever, args=(ports,), daemon=True)
    echo.start()
    try:
        channel_medians = _channel_round_trips(ports.get(timeout=60), rounds)
    finally:
        echo.kill()
        echo.join()
    return [
        {"bytes": size, "ray_s": r, "channel_s": c}
        for size, r, c in zip(SIZES_BYTES, ray_medians, channel_medians, strict=True)
    ]


PREDICTION_HEADER = (
    f"{'predicted (ms)':>15} {'actual (ms)':>12} {'actual/pred':>12} {'best/pred':>10} {'compute a/p':>12} "
    f"{'network a/p':>12}"
)


def _prediction_columns(row: dict[str, Any]) -> str:
    ratio = row["actual_s"] / row["predicted_s"]
    return (
        f"{row['predicted_s'] * 1e3:>15.2f} {row['actual_s'] * 1e3:>12.2f} {ratio:>12.2f} "
        f"{row['best_s'] / row['predicted_s']:>10.2f} {row['compute']:>12.2f} {row['network']:>12.2f}"
    )


def report_predictions(requests: int) -> None:
    """Section 3: predicted vs actual latency of each model and bandwidth, with and without the agents' stage
    times; then every model of the example cluster."""
    print(
        f"3. predicted vs actual end-to-end latency, real plans (optimal over edge and cloud, edge "
        f"{EDGE_SLOWDOWN:g}x slower; policy optimal); compute charged as the plan's FLOPs at one speed per model "
        f"(model) or as the stage times the agents measured at start (agents)"
    )
    print(
        f"{'WAN':>10} {'model':>16} {'timing':>7} {'GFLOP/s':>8} {'placement':>12} {'edge layers':>11} "
        f"{'tensors':>8} {PREDICTION_HEADER}"
    )
    ratios = []
    for model in MODELS:
        speed = model_speed(model)
        for bandwidth in BANDWIDTHS_BPS:
            for timing in ("model", "agents"):
                runtime = parse_runtime_scenario(scenario(model, bandwidth, speed, measure_stages=timing == "agents"))
                (row,) = event_loop.run(predicted_vs_actual(runtime, [model], requests))
                if timing == "agents":
                    ratios.append(row["actual_s"] / row["predicted_s"])
                print(
                    f"{bandwidth / 1e6:>6g} Mb/s {model:>16} {timing:>7} {speed / 1e9:>8.1f} {row['nodes']:>12} "
                    f"{row['edge_layers']:>11.0%} {row['crossing']:>8} {_prediction_columns(row)}",
                    flush=True,
                )
    runtime = parse_runtime_scenario(read_yaml(EXAMPLE, ValueError), folder=EXAMPLE.parent)
    models = sorted(runtime.plans)
    rows = event_loop.run(predicted_vs_actual(runtime, models, requests))
    print(f"   the example cluster ({EXAMPLE.name}, agents' stage times):")
    print(f"{'model':>16} {'placement':>18} {'stages':>6} {PREDICTION_HEADER}")
    for model, row in zip(models, rows, strict=True):
        ratios.append(row["actual_s"] / row["predicted_s"])
        stages = len(runtime.plans[model].stages)
        print(f"{model:>16} {row['nodes']:>18} {stages:>6} {_prediction_columns(row)}")
    inside = sum(0.85 <= r <= 1.15 for r in ratios)
    print(f"   with the agents' stage times: {inside} of {len(ratios)} within 0.85-1.15 (goal: all)")


def report_transport(rounds: int) -> None:
    """Section 1: per-hop transport overhead on each event loop."""
    print(
        f"1. per-hop transport overhead: round trip on loopback, framed channel (echo in this process; loop remote: "
        f"to an event-loop echo in another; remote: the data plane to a threaded echo in another) vs the same bytes "
        f"over a plain blocking socket and over a raw asyncio stream on the same event loop ({rounds} rounds, "
        f"{RUN_ROUNDS} of a transport in a row, then the next transport's; medians, ratios: median over those runs "
        f"of the ratio of their medians; in turn: each round trip after one of every other transport)"
    )
    print(
        f"{'bytes':>10} {'loop':>8} {'plain (ms)':>11} {'stream (ms)':>12} {'framed (ms)':>12} {'loop remote':>12} "
        f"{'remote (ms)':>12} {'framed/plain':>13} {'/stream':>8} {'loop remote/plain':>18} {'remote/plain':>13} "
        f"{'in turn: remote/plain':>22}"
    )
    for loop in event_loop.available_loops():
        for row in event_loop.run(transport_overhead(rounds, loop), loop=loop):
            print(
                f"{row['bytes']:>10} {loop:>8} {row['plain_s'] * 1e3:>11.3f} {row['stream_s'] * 1e3:>12.3f} "
                f"{row['framed_s'] * 1e3:>12.3f} {row['loop_remote_s'] * 1e3:>12.3f} {row['remote_s'] * 1e3:>12.3f} "
                f"{row['framed_ratio']:>13.2f} {row['framed_stream_ratio']:>8.2f} "
                f"{row['loop_remote_ratio']:>18.2f} {row['remote_ratio']:>13.2f} {row['in_turn_remote_ratio']:>22.2f}"
            )


def report_tls(rounds: int) -> None:
    """Section 1c: what TLS adds to a hop of the data plane."""
    rows, connect_s = tls_overhead(rounds)
    print(
        "1c. TLS on the data plane: round trip to a blocking echo in another process, TLS 1.3 (mutual, ECDSA P-256) "
        "vs plain TCP, same frames and handshake on top; medians"
    )
    print(f"{'bytes':>10} {'plain (ms)':>11} {'TLS (ms)':>9} {'TLS/plain':>10}")
    for row in rows:
        print(f"{row['bytes']:>10} {row['plain_s'] * 1e3:>11.3f} {row['tls_s'] * 1e3:>9.3f} {row['ratio']:>10.2f}")
    print(
        f"   connect (TCP + TLS + the runtime's handshake): plain {connect_s['plain'] * 1e3:.2f} ms, TLS "
        f"{connect_s['tls'] * 1e3:.2f} ms (once per pooled connection)"
    )


def report_route(requests: int) -> None:
    """Section 1b: a 3-stage route, agents forwarding vs the controller relaying."""
    route = event_loop.run(direct_vs_relay(requests))
    print(
        f"1b. 3-stage resnet18 request (phone / edge / cloud agents, {route['crossing_bytes'] / 1e6:.2f} MB crossing "
        f"the cuts), end to end (median): agents forwarding {route['direct'] * 1e3:.2f} ms, relayed through the "
        f"controller {route['relay'] * 1e3:.2f} ms ({route['relay'] / route['direct']:.2f}x)"
    )


def report_link() -> None:
    """Section 2: link emulation accuracy."""
    on_loop, on_plane, emulated = event_loop.run(link_accuracy())
    print(
        f"2. 1 MB over 20 Mbit/s + 5 ms (emulated {emulated * 1e3:.1f} ms): event-loop channel {on_loop * 1e3:.1f} ms "
        f"(error {on_loop / emulated - 1:+.1%}), data plane {on_plane * 1e3:.1f} ms "
        f"(error {on_plane / emulated - 1:+.1%})"
    )


def report_ray(rounds: int) -> None:
    """Section 4: a Ray actor call vs the runtime's channel, when Ray is installed."""
    try:
        import ray  # noqa: F401
    except ImportError:
        print("4. Ray is not installed (pip install 'mcfn[ray]'): Ray actor path not measured")
        return
    print("4. Ray actor call vs own data plane, round trip to an echo in another process (median)")
    print(f"{'bytes':>10} {'ray (ms)':>10} {'channel (ms)':>13} {'ray/channel':>12}")
    for row in ray_vs_channel(rounds):
        ratio = row["ray_s"] / row["channel_s"]
        print(f"{row['bytes']:>10} {row['ray_s'] * 1e3:>10.3f} {row['channel_s'] * 1e3:>13.3f} {ratio:>12.2f}")


async def _example_cluster(
    work: Callable[[LocalCluster, Client, np.ndarray, float, float], Awaitable[Any]], capacity_s: float
) -> Any:
    """``work(cluster, client, input, deadline_s, capacity_per_s)`` on the example cluster, its agents emulating
    processors :data:`LOAD_SLOWDOWN` times slower, its capacity measured over ``capacity_s``."""
    document = read_yaml(EXAMPLE, ValueError)
    for agent in document["runtime"]["agents"]:
        agent["slowdown"] = LOAD_SLOWDOWN
    runtime = parse_runtime_scenario(document, folder=EXAMPLE.parent)
    deadline_s = runtime.deadlines_s[LOAD_MODEL]
    x = np.random.default_rng(0).standard_normal(input_shape(LOAD_MODEL)).astype(np.float32)
    async with LocalCluster(runtime, token=SECRET) as cluster:
        await cluster.wait_ready(timeout_s=180)
        client = Client(*cluster.address, token=cluster.keys.client_token)
        try:
            workers = sum(entry.workers for entry in runtime.agents)
            args = {"model": LOAD_MODEL, "inputs": x, "deadline_s": deadline_s}
            closed = await capacity(client, **args, duration_s=capacity_s, in_flight=4 * workers)
            rng = np.random.default_rng(3)
            rate = await saturation(client, **args, start_per_s=closed, duration_s=capacity_s, rng=rng)
            return await work(cluster, client, x, deadline_s, rate)
        finally:
            await client.close()


async def overload(duration_s: float) -> tuple[float, list[LoadReport]]:
    async def work(cluster: LocalCluster, client: Client, x: np.ndarray, deadline_s: float, rate: float) -> Any:
        rates = [f * rate for f in LOAD_FACTORS]
        rng = np.random.default_rng(1)
        args = {"model": LOAD_MODEL, "inputs": x, "deadline_s": deadline_s, "duration_s": duration_s, "rng": rng}
        return rate, await sweep(client, **args, rates_per_s=rates)

    return await _example_cluster(work, duration_s)


async def soak(duration_s: float, capacity_s: float) -> tuple[float, LoadReport, dict[str, Any]]:
    async def work(cluster: LocalCluster, client: Client, x: np.ndarray, deadline_s: float, rate: float) -> Any:
        launcher = cluster.launcher
        assert isinstance(launcher, ProcessLauncher)

        async def faults() -> None:
            await asyncio.sleep(duration_s / 3)
            os.kill(launcher.pid("edge1"), signal.SIGKILL)  # a crash: the cluster restarts it
            await asyncio.sleep(duration_s / 3)
            stopped = launcher.pid("cloud")
            os.kill(stopped, signal.SIGSTOP)  # a hang
            await asyncio.sleep(2.0)
            os.kill(stopped, signal.SIGCONT)

        injected = asyncio.create_task(faults())
        rng = np.random.default_rng(2)
        args = {"model": LOAD_MODEL, "inputs": x, "deadline_s": deadline_s, "rng": rng}
        report = await open_loop(client, **args, rate_per_s=SOAK_FACTOR * rate, duration_s=duration_s)
        await injected
        await cluster.wait_ready(timeout_s=60)
        return rate, report, {"restarts": dict(cluster.restarts), "live": cluster.controller.live_agents}

    return await _example_cluster(work, capacity_s)


def report_overload(duration_s: float) -> None:
    """Section 5: the overload curve."""
    rate, reports = event_loop.run(overload(duration_s))
    print(
        f"5. overload: {LOAD_MODEL} on {EXAMPLE.name} (agents {LOAD_SLOWDOWN:g}x slower), capacity {rate:.1f} "
        "requests/s (saturated goodput)"
    )
    print(
        f"{'offered/cap':>11} {'rate/s':>8} {'goodput/s':>10} {'good/cap':>9} {'p99 (ms)':>9} {'deadline':>9} "
        f"{'refused':>8} {'late':>5} {'other failures':>15}"
    )
    for factor, report in zip(LOAD_FACTORS, reports, strict=True):
        other = sum(report.failures.values()) - report.refused
        p99 = report.latency_s.get("p99", float("nan")) * 1e3
        print(
            f"{factor:>11.2f} {report.rate_per_s:>8.1f} {report.goodput_per_s:>10.1f} "
            f"{report.goodput_per_s / rate:>9.2f} {p99:>9.1f} {report.deadline_s * 1e3:>9.0f} {report.refused:>8} "
            f"{report.late:>5} {other:>15}"
        )
    last = reports[-1]
    met = last.late == 0 and last.latency_s.get("p99", 0.0) <= last.deadline_s and last.goodput_per_s >= 0.9 * rate
    print(
        f"   at 2x: late {last.late}, p99 {last.latency_s.get('p99', 0.0) * 1e3:.0f} ms, goodput/capacity "
        f"{last.goodput_per_s / rate:.2f}: goal {'met' if met else 'NOT met'}"
    )


def report_soak(duration_s: float, capacity_s: float) -> None:
    """Section 6: load and faults together."""
    rate, report, after = event_loop.run(soak(duration_s, capacity_s))
    print(
        f"6. soak: {duration_s:g} s at {SOAK_FACTOR:g}x capacity ({SOAK_FACTOR * rate:.1f}/s), edge1 killed, cloud "
        f"stopped for 2 s: sent {report.sent}, served {report.served} ({report.on_time} in time), refused "
        f"{report.refused}, other failures {sum(report.failures.values()) - report.refused}, late {report.late}; "
        f"restarts {after['restarts']}, live at the end {list(after['live'])}"
    )
    for reason, count in report.failures.items():
        print(f"   {count:>6} {reason}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--requests", type=int, default=5)
    parser.add_argument("--load-s", type=float, default=LOAD_S, help="Sections 5-6: seconds per rate.")
    parser.add_argument("--soak-s", type=float, default=60.0, help="Section 6: seconds of load and faults.")
    parser.add_argument(
        "--only", action="append", choices=SECTIONS, help="Run this section only (repeat for several; default: all)."
    )
    args = parser.parse_args()
    reports = {
        "transport": lambda: report_transport(args.rounds),
        "tls": lambda: report_tls(args.rounds),
        "route": lambda: report_route(args.requests),
        "link": report_link,
        "predictions": lambda: report_predictions(args.requests),
        "ray": lambda: report_ray(args.rounds),
        "overload": lambda: report_overload(args.load_s),
        "soak": lambda: report_soak(args.soak_s, args.load_s),
    }
    print(
        f"event loop: {event_loop.loop_name()} (${event_loop.LOOP_ENV}=asyncio|uvloop picks one; section 1 runs "
        f"{' and '.join(event_loop.available_loops())})\n"
    )
    for name in args.only or SECTIONS:
        reports[name]()
        print()


if __name__ == "__main__":
    main()
