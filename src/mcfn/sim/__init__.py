"""Discrete-event simulation: a small domain-free event kernel and generic resources on top of it.

The kernel (:mod:`mcfn.sim.engine`) knows nothing of networks or DNNs; models of the mobile computing-force
network drive the core packages (allocation, routing, ...) from its callbacks.
"""
