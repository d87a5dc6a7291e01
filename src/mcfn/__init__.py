"""mcfn: a mobile computing-force network for edge intelligence.

The public API is small (:mod:`mcfn.api`)::

    import mcfn

    runs = mcfn.simulate(duration_s=30, policies=["utility-aware", "nearest-edge"])   # the network simulator
    plan = mcfn.plan("resnet18", "examples/tiers.json")                              # split a DNN over tiers
    result = mcfn.allocate(mcfn.generate_instance(seed=3))                           # seed §3.2's allocation
    decision = mcfn.route("examples/route_snapshot.yaml", "resnet50", "bs0")        # one routing decision

The package mirrors the layers of the seed design paper: ``mcfn.network`` (radio, topology), ``mcfn.compute``,
``mcfn.awareness``, ``mcfn.routing``, ``mcfn.orchestration``, ``mcfn.allocation`` (seed §3.2), ``mcfn.models`` and
``mcfn.partition`` (split deployment), ``mcfn.scenario`` and ``mcfn.sim`` (the simulator), ``mcfn.runtime`` (real
processes), ``mcfn.experiments`` (the seed's figures) and ``mcfn.cli`` (the ``mcfn`` command). Names are imported
lazily, so ``import mcfn`` stays light.
"""

from mcfn import _accelerated
from mcfn._lazy import lazy_exports

if _accelerated.pure_python_requested():
    _accelerated.install_source_only_finder()

__version__ = "0.1.0"

_EXPORTS = dict.fromkeys(("allocate", "generate_instance", "make_scenario", "plan", "route", "simulate"), "api")

__all__ = sorted(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)
