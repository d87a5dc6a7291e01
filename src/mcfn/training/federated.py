"""Real federated training with Flower, each round timed on the (simulated) mobile network.

:class:`NetworkAwareFedAvg` is Flower's ``FedAvg`` (McMahan et al., AISTATS 2017: the server averages the clients'
weights in proportion to their samples) whose ``configure_fit`` does what a mobile edge's server does before a round
(FedCS, Nishio & Yonetani, IEEE ICC 2019): it asks every client which terminal it is (``get_properties``, once),
collects the terminals' resource reports from the network, lets a selection policy of
:mod:`mcfn.training.selection` choose, has the network run the round (:class:`RoundNetwork`: download, local
training, the shared uplinks, edge and cloud aggregation, dropouts and the deadline), and sends training
instructions only to the chosen terminals whose updates arrive in time: a straggler's or dropout's work never
reaches the aggregate, exactly as if it had been computed and lost. ``aggregate_fit`` is FedAvg's own.

:func:`run_federated` drives the strategy in this process (:class:`~mcfn.training.clients.InProcessProxy`:
no Ray), the loop of Flower's server (configure, fit, aggregate, evaluate) without its transport; with ``ray=True``
it hands the same strategy and clients to Flower's simulation engine (``flwr.simulation.run_simulation``), whose
clients run in Ray actors, on a local Ray or the cluster at ``ray_address``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from flwr.common import FitIns, GetPropertiesIns, ndarrays_to_parameters
from flwr.server.client_manager import ClientManager, SimpleClientManager
from flwr.server.client_proxy import ClientProxy
from flwr.server.strategy import FedAvg

from mcfn.training import model as mlp
from mcfn.training.clients import InProcessProxy, TerminalClient
from mcfn.training.data import Dataset, dirichlet_partition
from mcfn.training.selection import Estimate, selection
from mcfn.training.spec import FederatedSpec, RoundRecord


class RoundTimingLike(Protocol):
    """What a simulated round reports (:class:`mcfn.sim.fl_rounds.RoundTiming`)."""

    round_s: float
    arrived_s: dict[int, float]
    dropped: dict[int, str]
    stragglers: tuple[int, ...]
    battery: tuple[int, ...]
    energy_j: float


class RoundNetwork(Protocol):
    """The network a round runs on (:class:`mcfn.sim.fl_rounds.FederatedRounds`)."""

    def estimates(self, work_flops: Sequence[float]) -> list[Estimate]: ...

    def run_round(
        self, chosen: Sequence[int], work_flops: Sequence[float], *, deadline_s: float
    ) -> RoundTimingLike: ...


class NetworkAwareFedAvg(FedAvg):
    """FedAvg whose rounds are chosen by a selection policy and timed on a :class:`RoundNetwork` (module docstring).
    ``work_flops[c]``: terminal ``c``'s local training work; ``on_round(round, chosen, timing)`` hears every simulated
    round."""

    def __init__(
        self,
        *,
        spec: FederatedSpec,
        network: RoundNetwork,
        work_flops: Sequence[float],
        on_round: Callable[[int, tuple[int, ...], Any], None],
        **fedavg: Any,
    ) -> None:
        super().__init__(**fedavg)
        self.spec = spec
        self.network = network
        self.work_flops = list(work_flops)
        self.on_round = on_round
        self._select = selection(spec.selection)
        self._rng = np.random.default_rng([spec.seed, 1])
        self._terminal: dict[str, int] = {}

    def configure_fit(
        self, server_round: int, parameters: Any, client_manager: ClientManager
    ) -> list[tuple[ClientProxy, FitIns]]:
        proxies = client_manager.all()
        for cid, proxy in proxies.items():  # the resource request's first part: which terminal are you
            if cid not in self._terminal:
                reply = proxy.get_properties(GetPropertiesIns(config={}), timeout=None, group_id=server_round)
                self._terminal[cid] = int(reply.properties["terminal"])
        reports = self.network.estimates(self.work_flops)
        chosen = self._select(reports, self.spec.per_round, self.spec.deadline_s, self._rng)
        timing = self.network.run_round(chosen, self.work_flops, deadline_s=self.spec.deadline_s)
        self.on_round(server_round, tuple(chosen), timing)
        config = {"round": server_round, "epochs": self.spec.local_epochs}
        fit = FitIns(parameters, config)
        return [(proxy, fit) for cid, proxy in sorted(proxies.items()) if self._terminal[cid] in timing.arrived_s]


@dataclass
class FederatedRun:
    """What a run recorded, round by round (filled as it goes)."""

    spec: FederatedSpec
    progress: Callable[[int], None] | None = None
    records: list[RoundRecord] = field(default_factory=list)
    _pending: dict[int, tuple[tuple[int, ...], Any]] = field(default_factory=dict)
    clock_s: float = 0.0

    def timed(self, server_round: int, chosen: tuple[int, ...], timing: Any) -> None:
        self._pending[server_round] = (chosen, timing)

    def evaluated(self, server_round: int, loss: float, accuracy: float) -> None:
        if server_round == 0:
            self.records.append(RoundRecord(0, (), (), (), (), 0.0, 0.0, accuracy, loss))
            return
        chosen, timing = self._pending.pop(server_round)
        self.clock_s += timing.round_s
        self.records.append(
            RoundRecord(
                round=server_round,
                chosen=chosen,
                aggregated=tuple(sorted(timing.arrived_s)),
                dropped=tuple(sorted(timing.dropped)),
                stragglers=tuple(timing.stragglers),
                round_s=timing.round_s,
                clock_s=self.clock_s,
                accuracy=accuracy,
                loss=loss,
                battery=tuple(timing.battery),
                energy_j=timing.energy_j,
            )
        )
        if self.progress is not None:
            self.progress(server_round)


def terminals(spec: FederatedSpec, data: Dataset) -> list[TerminalClient]:
    """The clients: terminal ``c`` holds the ``c``-th Dirichlet share of the training set."""
    arch = architecture(spec, data)
    return [
        TerminalClient(terminal=c, x=data.x_train[part], y=data.y_train[part], arch=arch, seed=spec.seed)
        for c, part in enumerate(_partition(spec, data))
    ]


def _partition(spec: FederatedSpec, data: Dataset) -> list[np.ndarray]:
    return dirichlet_partition(data.y_train, spec.clients, spec.concentration, np.random.default_rng([spec.seed, 0]))


def data_bits(spec: FederatedSpec, data: Dataset) -> list[float]:
    """Bits of each terminal's training data as uploaded for edge-side training: its samples at the dataset's
    bits a sample, times ``spec.data_compression``."""
    return [len(part) * data.bits_per_sample * spec.data_compression for part in _partition(spec, data)]


def architecture(spec: FederatedSpec, data: Dataset) -> mlp.Architecture:
    return mlp.Architecture(features=data.features, classes=data.classes, hidden=spec.hidden)


def update_bits(spec: FederatedSpec, data: Dataset) -> float:
    """Bits of one model update (or of the global model): every weight as float32."""
    return 32.0 * architecture(spec, data).parameters


def _mean_loss(metrics: list[tuple[int, dict[str, Any]]]) -> dict[str, Any]:
    """The clients' training losses averaged by their samples (FedAvg's weighting)."""
    samples = sum(n for n, _ in metrics)
    return {"loss": sum(n * float(m["loss"]) for n, m in metrics) / samples} if samples else {}


def _strategy(spec: FederatedSpec, data: Dataset, clients: list[TerminalClient], network: RoundNetwork,
              run: FederatedRun) -> NetworkAwareFedAvg:  # fmt: skip
    arch = clients[0].arch
    test_net = mlp.build(arch, np.random.default_rng(spec.seed))

    def evaluate(server_round: int, weights: list[np.ndarray], config: dict[str, Any]) -> tuple[float, dict]:
        mlp.set_weights(test_net, weights)
        loss, accuracy = mlp.evaluate(test_net, data.x_test, data.y_test)
        run.evaluated(server_round, loss, accuracy)
        return loss, {"accuracy": accuracy}

    work = [len(c.y) * spec.local_epochs * arch.flops_per_sample for c in clients]
    initial = mlp.get_weights(mlp.build(arch, np.random.default_rng([spec.seed, 2])))
    return NetworkAwareFedAvg(
        spec=spec,
        network=network,
        work_flops=work,
        on_round=run.timed,
        fraction_evaluate=0.0,
        min_fit_clients=1,
        min_available_clients=1,
        min_evaluate_clients=0,
        evaluate_fn=evaluate,
        fit_metrics_aggregation_fn=_mean_loss,
        initial_parameters=ndarrays_to_parameters(initial),
    )


def run_federated(
    spec: FederatedSpec,
    data: Dataset,
    network: RoundNetwork,
    *,
    progress: Callable[[int], None] | None = None,
    ray: bool = False,
    ray_address: str | None = None,
) -> FederatedRun:
    """Train ``spec.rounds`` rounds, in this process (Flower's strategy calling the clients through
    :class:`InProcessProxy`) or, with ``ray``, on Flower's Ray simulation engine; ``progress(round)`` after each."""
    clients = terminals(spec, data)
    run = FederatedRun(spec, progress=progress)
    strategy = _strategy(spec, data, clients, network, run)
    if ray or ray_address is not None:
        _on_ray(spec, clients, strategy, ray_address)
        return run
    manager = SimpleClientManager()
    for client in clients:
        manager.register(InProcessProxy(str(client.terminal), client.to_client()))
    parameters = strategy.initialize_parameters(manager)
    strategy.evaluate(0, parameters)
    for server_round in range(1, spec.rounds + 1):
        instructions = strategy.configure_fit(server_round, parameters, manager)
        results = [(proxy, proxy.fit(ins, timeout=None, group_id=server_round)) for proxy, ins in instructions]
        if results:
            aggregated, _ = strategy.aggregate_fit(server_round, results, [])
            if aggregated is not None:
                parameters = aggregated
        strategy.evaluate(server_round, parameters)
    return run


def _on_ray(
    spec: FederatedSpec, clients: list[TerminalClient], strategy: NetworkAwareFedAvg, address: str | None
) -> None:
    """Flower's simulation engine: the server loop in this process, each client in a Ray actor (one CPU each),
    client ``c`` being partition ``c`` of the engine's supernodes."""
    from flwr.client import ClientApp
    from flwr.server import ServerApp, ServerConfig
    from flwr.simulation import run_simulation

    def client_fn(context: Any) -> Any:
        return clients[int(context.node_config["partition-id"])].to_client()

    init: dict[str, Any] = {"include_dashboard": False}
    if address is not None:
        init["address"] = address
    run_simulation(
        server_app=ServerApp(config=ServerConfig(num_rounds=spec.rounds), strategy=strategy),
        client_app=ClientApp(client_fn=client_fn),
        num_supernodes=spec.clients,
        backend_config={"client_resources": {"num_cpus": 1}, "init_args": init},
    )
