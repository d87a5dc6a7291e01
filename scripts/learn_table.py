"""The evaluation table of a learned orchestrator (issue 20) from the ``--json`` summaries of ``mcfn run``.

Usage: ``python scripts/learn_table.py results/learn default load-high ...``: for each scenario name, the summaries
``NAME.json`` and ``NAME-*.json`` in the folder (e.g. a second agent run apart), merged, all on the same held-out seeds.
Prints, per scenario, every policy's mean utility, deadline satisfaction and mean accuracy with 95 % confidence
half-widths (Student t over seeds), and each learned agent's standing against ``compute-aware`` and ``utility-aware``:
whether the two intervals overlap, and the paired per-seed difference (common random numbers) with its interval.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from mcfn.experiments.stats import mean_ci

METRICS = (("mean_utility", "utility"), ("deadline_satisfaction", "deadlines met"), ("mean_accuracy", "accuracy"))
REFERENCES = ("compute-aware", "utility-aware")


def cell(aggregate: dict, metric: str) -> str:
    value = aggregate[metric]
    half = value["ci95"]
    return f"{value['mean']:.4f} ± {half:.4f}" if half is not None else f"{value['mean']:.4f}"


def short(name: str) -> str:
    return f"learned ({Path(name.removeprefix('learned:')).stem})" if name.startswith("learned:") else name


def standing(policies: dict, learned: str, reference: str) -> str:
    ours, theirs = policies[learned], policies[reference]
    a, b = ours["aggregate"]["mean_utility"], theirs["aggregate"]["mean_utility"]
    apart = a["mean"] - a["ci95"] > b["mean"] + b["ci95"] or b["mean"] - b["ci95"] > a["mean"] + a["ci95"]
    gaps = [x["mean_utility"] - y["mean_utility"] for x, y in zip(ours["runs"], theirs["runs"], strict=True)]
    gap = mean_ci(gaps)
    verdict = ("beats" if a["mean"] > b["mean"] else "loses to") if apart else "overlaps"
    return f"{verdict} {reference} (paired difference {gap.mean:+.4f} ± {gap.half_width:.4f})"


def load(folder: Path, name: str) -> dict:
    """The summaries of scenario ``name`` in ``folder``, their policies merged (they must share their seeds)."""
    paths = [folder / f"{name}.json", *sorted(folder.glob(f"{name}-*.json"))]
    documents = [json.loads(path.read_text()) for path in paths]
    merged = documents[0]
    for document in documents[1:]:
        if document["seeds"] != merged["seeds"]:
            raise ValueError(f"{name}: summaries on different seeds ({document['seeds']} vs {merged['seeds']})")
        merged["policies"].update(document["policies"])
    return merged


def main(folder: Path, names: list[str]) -> None:
    for name in names:
        document = load(folder, name)
        policies = document["policies"]
        print(f"\n### {name} (seeds {document['seeds'][0]}–{document['seeds'][-1]})\n")
        print("| policy | " + " | ".join(label for _, label in METRICS) + " |")
        print("|---|" + "---:|" * len(METRICS))
        for policy, entry in policies.items():
            print(f"| {short(policy)} | " + " | ".join(cell(entry["aggregate"], m) for m, _ in METRICS) + " |")
        for learned in (policy for policy in policies if policy.startswith("learned:")):
            lines = [standing(policies, learned, ref) for ref in REFERENCES if ref in policies]
            print(f"\n{short(learned)}: " + "; ".join(lines))


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2:])
