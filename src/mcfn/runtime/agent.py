"""A node agent: one OS process that hosts model stages, runs them on a bounded worker pool, and advertises its
state to the controller.

The agent listens on its own port (loopback unless told otherwise) for ``run`` messages — a stage name, the named
tensors the stage receives and the route of the stages after it (:class:`~mcfn.runtime.messages.Run`) — and
answers at once: ``accepted``, or ``error`` with a reason (unknown stage, wrong tensors, queue full). An accepted
stage is computed, and the tensors it sends (its part's results and those it carries on to later stages,
:mod:`mcfn.runtime.plan`) go straight to the next stage's agent, paced as that hop's emulated link, or, after the
route's last stage, to the controller as the ``result`` with every stage's queue, compute and network time. Once
it has accepted, the agent answers for the request: if its stage raises, or the next agent refuses or cannot be
reached, it tells the controller which node failed and why (``failed``), so the controller can place the request
again. At most ``workers`` stages compute at once (threads: torch
releases the GIL in its kernels); at most ``max_queue`` more wait, and a request beyond that is refused at once
rather than left to miss its deadline. Every ``advert_period_s`` (± jitter, :class:`~mcfn.awareness.AdvertPolicy`)
it tells the controller its backlog in FLOPs, busy workers, measured speed and arrival rate — the L0 metrics of an
:class:`~mcfn.awareness.Advert` — and what each of its stages takes (measured at start, then the median of the
latest runs: :mod:`mcfn.runtime.stage_times`). If the controller goes away (even mid-frame) the agent keeps trying
to register again, so a restarted agent or controller rejoins. An agent of a local cluster exits when its parent
process is gone; a standalone one (``mcfn agent``, on a machine of its own) serves until it is stopped. Its hello
carries the fingerprint of each plan it hosts, so the controller refuses an agent that made its plans from another
scenario.

Deployment (:mod:`mcfn.runtime.deployment`): the agent hosts the stages the scenario gives its node, but holds only
the loaded ones — by default every one, built at start; under a deployment policy those the controller's policy
preloads, within the node's memory (a :class:`~mcfn.runtime.stage_cache.StageCache` over its stages). The controller
(only it: a ``load`` or ``unload`` from any other peer ends the connection) commands the rest: ``load`` builds the
stage's module from its plan and runs it once (the first pass allocates and picks kernels), timed — the real cold
start — and measures its tensors' bytes; ``unload`` drops it. A ``run`` of a stage not loaded is refused. The hello
and every advert say what is loaded and its measured bytes.

Stages travel on the data plane of :mod:`mcfn.runtime.blocking`: the agent serves each connection in a thread of
its own (accepting or refusing a ``run`` there), a worker thread computes the stage and then sends its output on
from that same thread, over a blocking connection, with no hand-over to an event loop on the way (the reason, in
numbers: :mod:`mcfn.runtime.blocking`). The event loop only advertises. Workers beyond ``workers`` only send:
``workers`` of them compute at once, so a slow emulated link never holds a compute slot, and a free slot goes to
the stage whose request ends first (:mod:`mcfn.runtime.slots`); a stage whose request's deadline passed while it
queued is not computed (its controller has answered already), but reported failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mcfn.awareness.advert import AdvertPolicy
from mcfn.deployment import DeploymentPolicy, Item
from mcfn.runtime import loop as event_loop
from mcfn.runtime.auth import CONTROLLER, AgentKeys, AuthError, Peer
from mcfn.runtime.blocking import BlockingChannel, BlockingServer
from mcfn.runtime.channel import RemoteError, connect
from mcfn.runtime.messages import Failed, Load, Loaded, Result, Run, StageReport, parse_fields
from mcfn.runtime.plan import ModelPlan, StagePlan, build_parts, run_part, run_stage
from mcfn.runtime.pool import IDLE_S, BlockingPool
from mcfn.runtime.slots import DeadlineSlots
from mcfn.runtime.stage_cache import StageCache
from mcfn.runtime.stage_times import StageTimes, cached_stage_times, hardware_fingerprint, measure_stage_times
from mcfn.runtime.tls import TlsFiles
from mcfn.runtime.wire import FrameError, Message

if TYPE_CHECKING:
    from torch import nn

#: How a connection to a peer can fail, other than by an ``error`` answer.
_LOST = (OSError, EOFError, TimeoutError, FrameError, AuthError)

log = logging.getLogger(__name__)

#: Weight of the newest period's speed in the measured-speed moving average.
SPEED_SMOOTHING = 0.3
#: Outputs an agent sends on at once beyond those of the requests it holds (each may wait out an emulated link);
#: past that, a computed output waits for a thread.
MAX_SENDING = 32


@dataclass(frozen=True, kw_only=True)
class AgentSpec:
    """Everything an agent process needs (picklable, so it crosses a ``spawn`` boundary): the plans of its
    models and the service ids of the stages it hosts."""

    node_id: str
    tier: str
    plans: tuple[ModelPlan, ...]
    stages: tuple[str, ...]
    controller_host: str
    controller_port: int
    #: The cluster's agent secret (:class:`~mcfn.runtime.auth.AgentKeys`): the agent's key and its peers'.
    agent_secret: str
    host: str = "127.0.0.1"
    workers: int = 1
    max_queue: int = 16
    advert: AdvertPolicy = field(default_factory=lambda: AdvertPolicy(period_s=0.1, jitter_s=0.02))
    slowdown: float = 1.0
    torch_threads: int = 1
    timeout_s: float = 5.0
    #: Seconds the next stage's agent has to accept a stage beyond its input's emulated transfer; then the stage
    #: is reported failed there, and the controller places it elsewhere.
    start_timeout_s: float = 0.25
    #: Seconds a connection to the agent may stay idle before the agent closes it (and ends its thread).
    idle_s: float = IDLE_S
    device: str = "cpu"
    #: Ray resources the agent's actor asks for besides its CPUs (where a Ray launcher places it; a process
    #: launcher ignores them).
    resources: dict[str, float] = field(default_factory=dict)
    #: CPUs the agent's Ray actor asks for.
    cpus: float = 1.0
    #: End when the process that started the agent is gone (an agent of a local cluster); a standalone agent
    #: (``mcfn agent``) serves until it is stopped.
    supervised: bool = True
    #: Measure the hosted stages at start and give the times to the controller (:mod:`mcfn.runtime.stage_times`),
    #: keeping them in folder ``stage_times_cache`` by hardware and plans (``None``: measure at every start).
    measure_stages: bool = True
    stage_times_cache: str | None = None
    #: The agent's TLS files (:mod:`mcfn.runtime.tls`): it serves and connects over TLS; ``None``: plain TCP.
    tls: TlsFiles | None = None
    #: Bytes the loaded stages may hold (the node's memory, under a deployment policy); ``None``: no limit.
    memory_bytes: float | None = None
    #: The stages loaded at start; ``None``: every hosted stage.
    preload: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.workers < 1 or self.max_queue < 0:
            raise ValueError(f"agent {self.node_id}: workers must be >= 1 and max_queue >= 0")
        if not self.cpus >= 0:
            raise ValueError(f"agent {self.node_id}: cpus must be >= 0, got {self.cpus}")
        if not self.slowdown >= 1:
            raise ValueError(f"agent {self.node_id}: slowdown must be >= 1, got {self.slowdown}")
        if self.preload is not None and not set(self.preload) <= set(self.stages):
            raise ValueError(f"agent {self.node_id}: preloads stages it does not host")


class Agent:
    """The agent's state and protocol; :func:`run_agent` runs one in a process."""

    def __init__(self, spec: AgentSpec) -> None:
        self._parent = os.getppid()  # first: a parent that dies while the stages are built must still end the agent
        import torch

        torch.set_num_threads(spec.torch_threads)
        self.spec = spec
        self._keys = AgentKeys(spec.agent_secret)
        self._credential = self._keys.node(spec.node_id)
        hosted = set(spec.stages)
        self._stages = {s.service_id: s for plan in spec.plans for s in plan.stages if s.service_id in hosted}
        self._plan_of = {s.service_id: plan for plan in spec.plans for s in plan.stages if s.service_id in hosted}
        preload = set(spec.stages if spec.preload is None else spec.preload)
        self._prebuilt = {  # the preloaded stages, built once per model
            service: part
            for plan in spec.plans
            if any(s.service_id in preload for s in plan.stages)
            for service, part in build_parts(plan, device=spec.device).items()
            if service in preload
        }
        items = [
            Item(item_id=name, weights_bytes=stage.weights_bytes, activation_bytes=stage.activation_bytes)
            for name, stage in self._stages.items()
        ]
        self._cache = StageCache(
            items,
            {name: self._builder(name) for name in self._stages},
            capacity_bytes=float("inf") if spec.memory_bytes is None else spec.memory_bytes,
            policy=DeploymentPolicy(),  # never evicts by itself: the controller commands every unload
        )
        self._deploying = threading.Lock()  # one load or unload at a time
        _import_builders()
        for name in sorted(preload):
            self._cache.load(name)
        measured = self._measured_stage_times() if spec.measure_stages else {}
        #: Seconds of one run of each hosted stage here, as this agent computes it (its slowdown included).
        self.stage_s = {name: seconds * spec.slowdown for name, seconds in measured.items()}
        self._stage_times = StageTimes(self.stage_s)
        # Threads (made as needed) for every request the agent may hold, computing or queued for it, and for
        # MAX_SENDING more sending outputs on; ``workers`` of them compute at once.
        self._pool = ThreadPoolExecutor(
            max_workers=spec.workers + spec.max_queue + MAX_SENDING, thread_name_prefix=f"agent-{spec.node_id}"
        )
        self._slots = DeadlineSlots(spec.workers)
        self._lock = threading.Lock()  # over the counters below: connection and worker threads update them
        self._waiting = 0
        self._busy = 0
        self._queue_flops = 0.0
        self._arrived_flops = 0.0
        self._speed_flops_per_s = 0.0
        self._done_flops = 0.0
        self._done_s = 0.0
        self._client_tls = None if spec.tls is None else spec.tls.client_context()
        self._peers = BlockingPool(credential=self._credential, idle_s=spec.idle_s, tls=self._client_tls)
        self._controller = (spec.controller_host, spec.controller_port)
        self.port = 0
        #: Set while the controller has this agent registered.
        self.registered = asyncio.Event()
        #: Why the last attempt to register with the controller failed ("" if none did).
        self.unregistered_because = ""

    def _builder(self, name: str) -> Callable[[], nn.Module]:
        """What builds stage ``name``'s module on a load: prebuilt at start, else rebuilt from its plan; then one
        warm-up pass (the first pass of a module allocates and picks kernels, and is slow)."""

        def build() -> nn.Module:
            import torch

            part = self._prebuilt.pop(name, None)
            if part is None:
                part = build_parts(self._plan_of[name], device=self.spec.device)[name]
            stage = self._stages[name]
            with torch.no_grad():
                run_part(part, stage, {t.name: torch.zeros(t.shape) for t in stage.receives})
            return part

        return build

    def _measured_stage_times(self) -> dict[str, float]:
        """The loaded stages' times measured here, or kept from an earlier start on this hardware with these plans."""
        modules = self._cache.modules()
        hosted = sorted(modules)
        stages = {name: self._stages[name] for name in hosted}
        key = "|".join(
            [
                hardware_fingerprint(self.spec.device, self.spec.torch_threads),
                *sorted(plan.fingerprint() for plan in self.spec.plans),
                *hosted,
            ]
        )
        cache = None if self.spec.stage_times_cache is None else Path(self.spec.stage_times_cache)
        times = cached_stage_times(cache, key, lambda: measure_stage_times(modules, stages))
        return times if sorted(times) == hosted else measure_stage_times(modules, stages)

    async def run(self) -> None:
        """Serve stages and advertise until cancelled (or the parent process is gone)."""
        tls = None if self.spec.tls is None else self.spec.tls.server_context()
        server = BlockingServer(self._handle, keys=self._keys.keyring(), host=self.spec.host, port=0, tls=tls)
        self.port = server.address[1]
        try:
            await self._advertise_forever()
        finally:
            server.close()
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._peers.close()

    # --- serving ---------------------------------------------------------------------------------------------
    def _handle(self, channel: BlockingChannel) -> None:
        """In a connection's thread: accept or refuse each ``run`` at once; an accepted one goes on in a worker
        thread (:meth:`_process`). A connection idle for ``idle_s`` is closed, its thread ended."""
        while True:
            try:
                message = channel.receive(timeout_s=self.spec.idle_s)
            except TimeoutError:
                return
            arrived_s = time.time()
            try:
                if message.kind in ("load", "unload"):
                    channel.send(self._deploy(channel.peer, message), timeout_s=self.spec.timeout_s)
                    continue
                run, stage, module = self._accept(message)
            except RemoteError as exc:
                channel.send(Message(kind="error", fields={"reason": exc.reason}), timeout_s=self.spec.timeout_s)
                continue
            deadline = time.monotonic() + run.budget_s
            self._pool.submit(
                self._process, run, stage, module, message.tensors, arrived_s, deadline, time.perf_counter()
            )
            channel.send(Message(kind="accepted"), timeout_s=self.spec.timeout_s)

    def _deploy(self, peer: Peer, message: Message) -> Message:
        """Load or unload a stage on the controller's command (``AuthError`` from anyone else): the answer says
        what the load took and measured, and what is loaded now; :class:`RemoteError` if the stage is not hosted
        here, not loaded (unload) or does not fit (load)."""
        if peer.role != CONTROLLER:
            raise AuthError(f"only the controller may {message.kind} stages; {peer.role} {peer.name!r} may not")
        command = parse_fields(Load, message.kind, message.fields)
        if command.stage not in self._stages:
            raise RemoteError(f"agent {self.spec.node_id} does not host stage {command.stage!r}")
        load_s = 0.0
        with self._deploying:
            try:
                if message.kind == "load":
                    report = self._cache.load(command.stage)
                    load_s, stage_bytes = report.load_s, report.measured_bytes
                else:
                    self._cache.unload(command.stage)
                    stage_bytes = 0
            except (MemoryError, ValueError) as exc:
                raise RemoteError(f"agent {self.spec.node_id}: {exc}") from None
        if load_s > 0:
            self._stage_times.track(command.stage)
            log.info("agent %s loaded %s in %.3f s (%d bytes)", self.spec.node_id, command.stage, load_s, stage_bytes)
        answer = Loaded(
            stage=command.stage,
            load_s=load_s,
            stage_bytes=stage_bytes,
            loaded=tuple(self._cache.loaded()),
            memory_bytes=self._cache.measured_bytes(),
        )
        return Message(kind="loaded", fields=answer.model_dump())

    def _accept(self, message: Message) -> tuple[Run, StagePlan, nn.Module]:
        """The run, its stage and the stage's module if this agent takes it: it hosts the stage and has it loaded,
        the tensors fit, the queue has room (the place is taken here, so that the answer is final); raises
        :class:`RemoteError` saying why not."""
        if message.kind != "run":
            raise RemoteError(f"agent {self.spec.node_id} expects 'run', got {message.kind!r}")
        run = parse_fields(Run, "run", message.fields)
        stage = self._stages.get(run.stage)
        if stage is None:
            raise RemoteError(f"agent {self.spec.node_id} does not host stage {run.stage!r}")
        module = self._cache.get(run.stage)
        if module is None:
            raise RemoteError(f"agent {self.spec.node_id} has not loaded stage {run.stage}")
        expected = {t.name: t.shape for t in stage.receives}
        got = {n: tuple(t.shape) for n, t in message.tensors.items() if t.dtype == np.float32}
        if got != expected or len(got) != len(message.tensors):
            wanted = ", ".join(f"{n} float32{list(shape)}" for n, shape in expected.items())
            having = ", ".join(f"{n} {t.dtype}{list(t.shape)}" for n, t in message.tensors.items()) or "none"
            raise RemoteError(f"stage {run.stage} receives {wanted}; got {having}")
        with self._lock:
            if self._waiting + self._busy >= self.spec.workers + self.spec.max_queue:
                raise RemoteError(f"agent {self.spec.node_id} is busy: queue full")
            self._waiting += 1
            self._queue_flops += stage.flops
            self._arrived_flops += stage.flops
        return run, stage, module

    def _process(
        self,
        run: Run,
        stage: StagePlan,
        module: nn.Module,
        tensors: dict[str, np.ndarray],
        arrived_s: float,
        deadline: float,
        accepted_at: float,
    ) -> None:
        """In a worker thread: compute the stage, then send its output to the next stage's agent or, after the
        last, the result to the controller; a failure on the way is reported to the controller, naming the node
        that failed."""
        try:
            output, queue_s, compute_s = self._compute_queued(stage, module, tensors, accepted_at, deadline)
        except TimeoutError:
            self._report(run.request, self.spec.node_id, f"deadline passed while {stage.service_id} queued")
            return
        except Exception as exc:  # a stage that raises fails its request, not the agent
            log.exception("stage %s failed", stage.service_id)
            self._report(run.request, self.spec.node_id, f"stage {stage.service_id} raised {exc!r}")
            return
        report = StageReport(
            stage=stage.service_id,
            node=self.spec.node_id,
            queue_s=queue_s,
            compute_s=compute_s,
            network_s=arrived_s - run.sent_at_s,
        )
        timings = (*run.timings, report)
        budget_s = deadline - time.monotonic()
        if not run.route:
            result = Result(request=run.request, sent_at_s=time.time(), timings=timings)
            with contextlib.suppress(*_LOST):  # the controller is gone or gave up: its deadline tells the client
                self._peers.request(
                    self._controller,
                    Message(kind="result", fields=result.model_dump(), tensors=output),
                    timeout_s=max(budget_s, self.spec.timeout_s),
                    link=run.reply_link.profile(),
                )
            return
        hop, rest = run.route[0], run.route[1:]
        if budget_s <= 0:
            self._report(run.request, self.spec.node_id, f"deadline exceeded after {stage.service_id}")
            return
        update = {"stage": hop.stage, "budget_s": budget_s, "route": rest, "timings": timings, "sent_at_s": time.time()}
        message = Message(kind="run", fields=run.model_copy(update=update).model_dump(), tensors=output)
        link = hop.link.profile()
        start_s = link.transfer_s(sum(array.nbytes for array in output.values())) + self.spec.start_timeout_s
        try:
            self._peers.request((hop.host, hop.port), message, timeout_s=min(budget_s, start_s), link=link)
        except RemoteError as exc:
            self._report(run.request, hop.node, exc.reason)
        except TimeoutError:
            self._report(run.request, hop.node, f"did not start stage {hop.stage} within {start_s:.3f} s")
        except _LOST as exc:
            self._report(run.request, hop.node, f"connection lost ({type(exc).__name__}: {exc})")

    def _report(self, request: str, node: str, reason: str) -> None:
        """Tell the controller that ``request`` failed at ``node``."""
        failed = Failed(request=request, node=node, reason=reason)
        with contextlib.suppress(*_LOST, RemoteError):
            self._peers.request(
                self._controller, Message(kind="failed", fields=failed.model_dump()), timeout_s=self.spec.timeout_s
            )

    def _compute_queued(
        self, stage: StagePlan, module: nn.Module, tensors: dict[str, np.ndarray], accepted_at: float, deadline: float
    ) -> tuple[dict[str, np.ndarray], float, float]:
        """The stage's output once a compute slot is free, with the seconds it queued (since ``accepted_at``) and
        computed; ``TimeoutError`` instead if the request's ``deadline`` (``time.monotonic``) passed while it
        queued (its controller has answered already: computing it would only delay the requests behind it)."""
        self._slots.acquire(deadline)
        try:
            with self._lock:
                self._waiting -= 1
                self._queue_flops -= stage.flops
                self._busy += 1
            queue_s = time.perf_counter() - accepted_at
            try:
                if time.monotonic() >= deadline:
                    raise TimeoutError(f"deadline passed while {stage.service_id} queued")
                output, compute_s = self._compute(stage, module, tensors)
            finally:
                with self._lock:
                    self._busy -= 1
        finally:
            self._slots.release()
        with self._lock:
            self._done_flops += stage.flops
            self._done_s += compute_s
        self._stage_times.observe(stage.service_id, compute_s)
        return output, queue_s, compute_s

    def _compute(
        self, stage: StagePlan, module: nn.Module, tensors: dict[str, np.ndarray]
    ) -> tuple[dict[str, np.ndarray], float]:
        """The stage's forward pass, slowed down by ``slowdown`` when emulating."""
        started = time.perf_counter()
        output = run_stage(module, stage, tensors)
        compute_s = time.perf_counter() - started
        if self.spec.slowdown > 1:
            time.sleep((self.spec.slowdown - 1) * compute_s)  # an emulated slower processor holds its worker
        return output, compute_s * self.spec.slowdown

    # --- awareness -------------------------------------------------------------------------------------------
    async def _advertise_forever(self) -> None:
        rng = np.random.default_rng()
        policy = self.spec.advert
        while not self._orphaned():
            try:
                channel = await connect(
                    self.spec.controller_host,
                    self.spec.controller_port,
                    credential=self._credential,
                    timeout_s=self.spec.timeout_s,
                    tls=self._client_tls,
                )
                try:
                    await channel.request(self._hello(channel.local_host), timeout_s=self.spec.timeout_s)
                    self.registered.set()
                    while not self._orphaned():
                        await asyncio.sleep(policy.period_s + rng.uniform(-policy.jitter_s, policy.jitter_s))
                        await channel.send(self._advert(policy.period_s), timeout_s=self.spec.timeout_s)
                finally:
                    self.registered.clear()
                    await channel.close()
            except RemoteError as exc:  # refused: say so once (it may run another scenario), and keep trying
                if exc.reason != self.unregistered_because:
                    log.warning("the controller refused agent %s: %s", self.spec.node_id, exc.reason)
                self.unregistered_because = exc.reason
            except _LOST as exc:  # no controller there (yet), or it went away: try again
                self.unregistered_because = f"{type(exc).__name__}: {exc}"
            await asyncio.sleep(policy.period_s)

    def _orphaned(self) -> bool:
        """Whether a supervised agent's parent process is gone (a standalone one is never orphaned)."""
        return self.spec.supervised and os.getppid() != self._parent

    def _hello(self, local_host: str) -> Message:
        """Registration; an agent listening on every interface gives the one that reaches the controller."""
        fields: dict[str, Any] = {
            "node": self.spec.node_id,
            "tier": self.spec.tier,
            "host": local_host if self.spec.host in ("0.0.0.0", "::") else self.spec.host,
            "port": self.port,
            "stages": sorted(self._stages),
            "workers": self.spec.workers,
            "advert_period_s": self.spec.advert.period_s,
            "plans": {plan.model: plan.fingerprint() for plan in self.spec.plans},
            "stage_s": self.stage_s,
            "loaded": self._cache.loaded(),
            "memory_bytes": self._cache.measured_bytes(),
        }
        return Message(kind="hello", fields=fields)

    def _advert(self, period_s: float) -> Message:
        with self._lock:
            arrival, self._arrived_flops = self._arrived_flops / period_s, 0.0
            done_flops, done_s = self._done_flops, self._done_s
            self._done_flops = self._done_s = 0.0
            queue_flops, busy = self._queue_flops, self._busy
        if done_s > 0:  # FLOPs over compute seconds of the period: heavy stages weigh as much as they take
            sample = done_flops / done_s
            old = self._speed_flops_per_s
            self._speed_flops_per_s = sample if old == 0 else (1 - SPEED_SMOOTHING) * old + SPEED_SMOOTHING * sample
        fields = {
            "queue_flops": max(queue_flops, 0.0),
            "busy_workers": busy,
            "speed_flops_per_s": self._speed_flops_per_s,
            "arrival_flops_per_s": arrival,
            "stage_s": self._stage_times.current() if self.spec.measure_stages else {},
            "loaded": self._cache.loaded(),
            "memory_bytes": self._cache.measured_bytes(),
        }
        return Message(kind="advert", fields=fields)


def _import_builders() -> None:
    """Import the code that builds stages (torchvision, the tracer and the splitter) at start, so that a load times
    building its stage, not this process's first import of that code (about a second on a CPU)."""
    import mcfn.models.profile
    import mcfn.partition.execute  # noqa: F401
    from mcfn.models._torchvision import import_torchvision

    import_torchvision()


def run_agent(spec: AgentSpec) -> None:
    """Process entry point: build the stages and serve until killed (on the loop of :mod:`mcfn.runtime.loop`)."""
    event_loop.run(Agent(spec).run())
