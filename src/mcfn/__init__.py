"""mcfn: a mobile computing-force network for edge intelligence.

The package mirrors the layers of the seed design paper (see ``ARCHITECTURE.md`` in the shared docs):
``mcfn.network`` (radio, topology), ``mcfn.allocation`` (joint bandwidth / compute / compression allocation,
seed §3.2), ``mcfn.experiments`` (the seed's figures) and ``mcfn.cli`` (the ``mcfn`` command).
"""

from mcfn import _accelerated

if _accelerated.pure_python_requested():
    _accelerated.install_source_only_finder()

__version__ = "0.1.0"
