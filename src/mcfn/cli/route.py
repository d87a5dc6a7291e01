"""``mcfn route``: explain one routing decision of a scenario: the candidates, their predicted latency, the choice."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from mcfn.cli.errors import UserInputError
from mcfn.cli.output import print_json

if TYPE_CHECKING:
    from mcfn.routing.costs import CandidateCosts
    from mcfn.routing.router import Route
    from mcfn.routing.scenario import Scenario


def route_command(
    scenario: Path = typer.Argument(
        ...,
        metavar="SNAPSHOT",
        help="Routing snapshot YAML (docs/formats/routing-snapshot.md; examples/route_snapshot.yaml).",
    ),
    service: str = typer.Option(..., "--service", help="Service id to route (anycast: any of its instances)."),
    ingress: str = typer.Option(..., "--from", help="Base station where the request enters."),
    policy: str = typer.Option(
        "compute-aware", help="Routing policy, e.g. compute-aware, nearest-edge, cloud-only (a wrong name lists all)."
    ),
    deadline_s: float | None = typer.Option(None, "--deadline-s", help="Override the service's deadline (s)."),
    seed: int = typer.Option(0, help="Random seed of the 'random' policy."),
    as_json: bool = typer.Option(False, "--json", help="Print the decision as JSON instead of a table."),
) -> None:
    """Explain how a request for SERVICE entering at a base station is routed.

    Example: 'mcfn route examples/route_snapshot.yaml --service resnet50 --from bs0'.
    """
    import numpy as np

    from mcfn.routing.policies import make_policy
    from mcfn.routing.scenario import load_scenario

    loaded = load_scenario(scenario)
    request = loaded.request(service, ingress, deadline_s=deadline_s)
    chooser = make_policy(policy, np.random.default_rng(seed))
    costs, route = loaded.router().explain(request, chooser, now_s=loaded.now_s)
    if not math.isfinite(route.latency_s):
        raise UserInputError(
            f"{scenario}: no instance of {service} can be reached from {ingress} (no path in the topology to any "
            f"of {', '.join(loaded.fleet.nodes[j].node_id for j in costs.nodes.tolist())})"
        )
    document = decision_document(loaded, costs, route, policy)
    if as_json:
        print_json(document)
    else:
        _print_table(document)


def decision_document(scenario: Scenario, costs: CandidateCosts, route: Route, policy: str) -> dict[str, Any]:
    """The decision as a JSON-ready dict: every candidate's predicted split, then the choice and why."""
    ages = scenario.view.age_s(scenario.now_s, costs.nodes)
    candidates = [
        {
            "node": scenario.fleet.nodes[j].node_id,
            "tier": scenario.fleet.nodes[j].tier.value,
            "network_s": float(costs.network_s[k]),
            "queue_s": float(costs.queue_s[k]),
            "compute_s": float(costs.compute_s[k]),
            "latency_s": float(costs.total_s[k]),
            "feasible": bool(costs.feasible[k]),
            "advert_age_s": float(ages[k]) if math.isfinite(ages[k]) else None,
        }
        for k, j in enumerate(costs.nodes.tolist())
    ]
    return {
        "service": route.service_id,
        "policy": policy,
        "now_s": scenario.now_s,
        "deadline_s": route.budget_s,
        "candidates": candidates,
        "choice": {
            "node": route.node_id,
            "path": list(route.path),
            "network_s": route.network_s,
            "queue_s": route.queue_s,
            "compute_s": route.compute_s,
            "latency_s": route.latency_s,
            "meets_deadline": route.meets_deadline,
            "cloud_fallback": route.cloud_fallback,
            "reason": route.reason,
        },
    }


def _print_table(document: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    choice = document["choice"]
    title = f"{document['service']} / {document['policy']}: deadline {document['deadline_s'] * 1e3:g} ms"
    table = Table(title=title, title_justify="left")
    for name in ("node", "tier", "network (ms)", "queue (ms)", "compute (ms)", "latency (ms)", "meets", "advert age"):
        table.add_column(name, justify="left" if name in ("node", "tier") else "right")
    for c in document["candidates"]:
        age = "never" if c["advert_age_s"] is None else f"{c['advert_age_s'] * 1e3:.0f} ms"
        table.add_row(
            ("* " if c["node"] == choice["node"] else "  ") + c["node"],
            c["tier"],
            *(f"{c[key] * 1e3:.3f}" for key in ("network_s", "queue_s", "compute_s", "latency_s")),
            "yes" if c["feasible"] else "no",
            age,
            style="bold" if c["node"] == choice["node"] else None,
        )
    console = Console()
    console.print(table)
    verdict = "meets" if choice["meets_deadline"] else "MISSES"
    console.print(
        f"choice: {choice['node']} via {' > '.join(choice['path'])}, {choice['latency_s'] * 1e3:.3f} ms "
        f"({verdict} the deadline)"
    )
    if choice["reason"]:
        console.print(f"cloud: {choice['reason']}")
