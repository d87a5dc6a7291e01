"""Regenerate the zoo's layer graphs (``src/mcfn/models/zoo/*.json``) from torchvision's model definitions.

Usage: ``.venv/bin/python scripts/build_zoo.py [NAME ...]`` (all zoo models when no name is given). Needs the
``torch`` extra. Random weights: only shapes and operations matter, and the output is deterministic.
"""

from __future__ import annotations

import sys
from pathlib import Path

from mcfn.models.io import graph_to_text
from mcfn.models.profile import profile_model
from mcfn.models.zoo import ZOO, build_model, example_input, zoo_entry

ZOO_DIR = Path(__file__).resolve().parents[1] / "src" / "mcfn" / "models" / "zoo"


def main(names: list[str]) -> None:
    for name in names or list(ZOO):
        zoo_entry(name)
        graph = profile_model(build_model(name), example_input(name), name=name).graph
        path = ZOO_DIR / f"{name}.json"
        path.write_text(graph_to_text(graph), encoding="utf-8")
        print(f"{path}: {len(graph.nodes)} nodes, {graph.total_flops / 1e9:.3f} GFLOP")


if __name__ == "__main__":
    main(sys.argv[1:])
