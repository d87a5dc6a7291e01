"""Layer graphs of real DNNs (seed §3.1): the graph type and its JSON, the torch.fx profiler, the zoo.

Public API::

    from mcfn.models import import_torchvision, load_graph, load_zoo_graph, profile_model
    graph = load_zoo_graph("resnet18")          # shipped JSON, no torch needed
    profile = profile_model(module, example, name="mine")   # needs torch
    torchvision = import_torchvision()          # torchvision, even where its compiled operators are missing

Names are imported lazily (PEP 562), so reading a graph does not import torch.
"""

from __future__ import annotations

from mcfn._lazy import lazy_exports

_EXPORTS = {
    "GraphError": "graph",
    "LayerGraph": "graph",
    "Node": "graph",
    "dump_graph": "io",
    "load_graph": "io",
    "parse_graph": "io",
    "import_torchvision": "_torchvision",
    "Profile": "profile",
    "ProfileError": "profile",
    "profile_model": "profile",
    "build_model": "zoo",
    "load_zoo_graph": "zoo",
    "published_top1": "zoo",
    "zoo_names": "zoo",
}

__all__ = sorted(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)
