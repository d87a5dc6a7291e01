"""Discrete-event simulation: a small domain-free event kernel, and the mobile computing-force network on it.

- :mod:`~mcfn.sim.engine`: the kernel (time-ordered heap of callbacks, deterministic ties, named seeded streams);
  :mod:`~mcfn.sim.resources`, :mod:`~mcfn.sim.queueing`, :mod:`~mcfn.sim.theory`: a FIFO server pool, the
  M/M/c validation model and its Erlang C reference;
- :mod:`~mcfn.sim.sharing`: rate-sharing stations with one pending completion each (links, uplinks, VMs);
- :mod:`~mcfn.sim.world`: the static world built from a scenario with the core constructors;
- :mod:`~mcfn.sim.access`, :mod:`~mcfn.sim.wired`, :mod:`~mcfn.sim.servers`, :mod:`~mcfn.sim.failures`: the
  radio access (mobility, handover, OFDMA uplinks), the wired network, compute nodes with their adverts, failures;
- :mod:`~mcfn.sim.model`: the life of a task, routed by :mod:`mcfn.routing` on the stale aware view;
- :mod:`~mcfn.sim.records`, :mod:`~mcfn.sim.summary`, :mod:`~mcfn.sim.run`, :mod:`~mcfn.sim.report`: columnar
  per-task records, summaries, runs and policy comparisons, CSV/JSON/PNG outputs.

The kernel knows nothing of networks or DNNs; the models drive the core packages (routing, awareness, compute,
network) from its callbacks and never copy their logic.
"""
