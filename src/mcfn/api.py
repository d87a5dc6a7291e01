"""The small public Python API at the top of the package: one function per thing mcfn does, taking a file path,
a decoded document or a typed value, validating it as the command line does, and returning typed results.

::

    import mcfn

    runs = mcfn.simulate(duration_s=30, policies=["utility-aware", "nearest-edge"], seeds=2)
    plan = mcfn.plan("resnet18", "examples/tiers.json")
    result = mcfn.allocate(mcfn.generate_instance(seed=3))
    decision = mcfn.route("examples/route_snapshot.yaml", "resnet50", "bs0")

Every function raises a :class:`ValueError` subclass naming the bad field or value; none of them prints.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from mcfn.allocation.problem import Instance
    from mcfn.allocation.result import AllocationResult
    from mcfn.models.graph import LayerGraph
    from mcfn.partition.plan import HorizontalPlan
    from mcfn.partition.tiers import Tiers
    from mcfn.routing.router import Route
    from mcfn.scenario import Scenario
    from mcfn.sim.run import RunResult

#: What a simulation compares by default (``mcfn run`` too): every orchestrating and routing policy.
DEFAULT_POLICIES = (
    "utility-aware",
    "utility-nearest-edge",
    "compute-aware",
    "nearest-edge",
    "least-loaded",
    "round-robin",
    "random",
    "cloud-only",
)

Source = str | Path | Mapping[str, Any]
T = TypeVar("T")


def _read(source: Source | T, kind: type[T], parse: Callable[[Any], T], load: Callable[[str | Path], T]) -> T:
    """``source`` itself if it is a ``kind`` already, else parsed from a decoded document, else loaded from a file;
    either way validated, with errors naming the field (and the file)."""
    if isinstance(source, kind):
        return source
    if isinstance(source, Mapping):
        return parse(dict(source))
    return load(source)  # type: ignore[arg-type]


def make_scenario(source: Source | Scenario | None = None, **changes: Any) -> Scenario:
    """A validated simulation scenario: from a YAML file, a decoded document, a :class:`~mcfn.scenario.Scenario`,
    or the embedded default (``None``), with top-level fields replaced by ``changes`` (validated too, e.g.
    ``duration_s=60, seed=7``). Raises :class:`~mcfn.scenario.ScenarioError` naming the first bad field."""
    from mcfn.scenario import Scenario, default_scenario, load_scenario, parse_scenario

    built = default_scenario() if source is None else _read(source, Scenario, parse_scenario, load_scenario)
    return built.model_copy(update=changes) if changes else built


def simulate(
    source: Source | Scenario | None = None,
    *,
    policies: Sequence[str] = DEFAULT_POLICIES,
    uplinks: Sequence[str] = (),
    seeds: int = 1,
    jobs: int = 1,
    **changes: Any,
) -> list[RunResult]:
    """Simulate a scenario (:func:`make_scenario`: file, document, value or the default, with ``changes``) under each
    of ``policies`` (and each uplink policy of ``uplinks``) on ``seeds`` seeds, in ``jobs`` processes; every
    policy sees the same arrivals on a seed. Returns one :class:`~mcfn.sim.run.RunResult` per (policy, seed):
    its per-task ``columns`` and its ``summary``. Write them out with :func:`mcfn.sim.report.write_outputs`."""
    from mcfn.sim.run import compare

    check_policies(policies)
    return compare(make_scenario(source, **changes), list(policies), uplinks=list(uplinks), seeds=seeds, jobs=jobs)


def check_policies(policies: Sequence[str]) -> None:
    """Raise :class:`ValueError` naming the first of ``policies`` that is neither an orchestrating nor a routing
    policy, and the valid names."""
    from mcfn.orchestration.choice import ORCHESTRATED
    from mcfn.orchestration.learned import LEARNED_PREFIX
    from mcfn.orchestration.placement import TERMINAL_POLICIES
    from mcfn.routing import POLICIES

    for name in policies:
        if name.startswith(LEARNED_PREFIX):
            if not Path(name.removeprefix(LEARNED_PREFIX)).is_file():
                raise ValueError(f"policy {name!r}: no such file (train one with 'mcfn learn')")
        elif name not in POLICIES and name not in ORCHESTRATED and name not in TERMINAL_POLICIES:
            valid = ", ".join([*ORCHESTRATED, *POLICIES, *TERMINAL_POLICIES, f"{LEARNED_PREFIX}PATH"])
            raise ValueError(f"unknown policy {name!r}; valid: {valid}")


def plan(
    model: str | Path | LayerGraph,
    tiers: Source | Tiers,
    *,
    latency: str | Path | None = None,
    method: str = "auto",
) -> HorizontalPlan:
    """The latency-optimal split of ``model`` (a zoo name, a layer-graph JSON file or a
    :class:`~mcfn.models.graph.LayerGraph`) over the ordered ``tiers`` (a tiers JSON file, its document or a
    :class:`~mcfn.partition.tiers.Tiers`), exact by a minimum cut (DADS; Hu et al., INFOCOM 2019). With
    ``latency`` (a per-node latency table of ``mcfn profile --measure``) layers cost their measured times, scaled
    to each tier's speed."""
    from mcfn.models.graph import LayerGraph
    from mcfn.models.io import load_graph
    from mcfn.models.zoo import load_zoo_graph, zoo_names
    from mcfn.partition import load_tiers, parse_tiers, plan_horizontal
    from mcfn.partition.tiers import Tiers

    if isinstance(model, LayerGraph):
        graph = model
    elif isinstance(model, str) and model in zoo_names():
        graph = load_zoo_graph(model)
    else:
        graph = load_graph(model)
    chosen = _read(tiers, Tiers, parse_tiers, load_tiers)
    compute_s = None
    if latency is not None:
        from mcfn.models.measure import load_latency_table
        from mcfn.partition.cost import measured_compute_s

        compute_s = measured_compute_s(graph, chosen, load_latency_table(latency).node_latency_s)
    return plan_horizontal(graph, chosen, compute_s=compute_s, method=method)  # type: ignore[arg-type]


def generate_instance(seed: int = 0, **spec: Any) -> Instance:
    """An allocation instance of the spec's default scenario (10 terminals × 2 tasks; ``spec`` overrides any
    field of :class:`~mcfn.allocation.generator.InstanceSpec`), drawn from ``seed``."""
    import numpy as np

    from mcfn.allocation.generator import InstanceSpec
    from mcfn.allocation.generator import generate_instance as generate

    if seed < 0:
        raise ValueError(f"seed must be at least 0, got {seed}")
    return generate(InstanceSpec(**spec), np.random.default_rng(seed))


def allocate(
    instance: Source | Instance, *, scheme: str = "proposed", method: str = "fast", admission: bool = True
) -> AllocationResult:
    """One base station's joint bandwidth / compute / compression allocation (seed §3.2) of ``instance`` (an
    instance JSON file, its document or an :class:`~mcfn.allocation.problem.Instance`): the global optimum by
    ``fast`` (mcfn's interior-point method) or ``exact`` (a conic solve), or the seed's SCA (``sca``)."""
    from mcfn.allocation.io import load_instance, parse_instance
    from mcfn.allocation.problem import Instance
    from mcfn.allocation.solve import allocate as solve

    return solve(
        _read(instance, Instance, parse_instance, load_instance), scheme=scheme, method=method, admission=admission
    )


def route(snapshot: Source, service: str, ingress: str, *, policy: str = "compute-aware", seed: int = 0) -> Route:
    """How a request for ``service`` entering at base station ``ingress`` is routed in a routing snapshot (a YAML
    file or its document: topology, compute nodes, services and the adverts heard at ``now_s``) under ``policy``:
    the chosen instance, its path and predicted network, queueing and compute time."""
    import numpy as np

    from mcfn.routing.policies import make_policy
    from mcfn.routing.scenario import Scenario as Snapshot
    from mcfn.routing.scenario import load_scenario, parse_scenario

    loaded = _read(snapshot, Snapshot, parse_scenario, load_scenario)
    request = loaded.request(service, ingress)
    chooser = make_policy(policy, np.random.default_rng(seed))
    return loaded.router().explain(request, chooser, now_s=loaded.now_s)[1]
