"""Identification: node ids name one compute node; a service id names a service with many instances (anycast).

In Computing-Aware Traffic Steering (CATS: RFC 10054, "CATS Problem Statement, Use Cases, and Requirements", and
RFC 10053, "A Framework for CATS", IETF 2026) a client addresses a *service* by one identifier, the CATS Service
ID (CS-ID), and the network chooses which *service contact instance* serves it. :class:`ServiceCatalog` is that
mapping: one service id to the node ids that host an instance of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType


class UnknownIdError(ValueError):
    """A service or node id that is not known; the message lists what is."""


def unknown_id(what: str, name: str, known: Iterable[str]) -> UnknownIdError:
    """The error for an unknown ``what`` (e.g. "service") called ``name``, listing a few valid names."""
    valid = sorted(known)
    shown = ", ".join(valid[:8]) + (f", … ({len(valid)} in all)" if len(valid) > 8 else "")
    return UnknownIdError(f"unknown {what} {name!r}; known: {shown or 'none'}")


@dataclass(frozen=True, slots=True, init=False)
class ServiceCatalog:
    """Service id → the node ids of its instances (anycast: one id, many instances), in a fixed order."""

    instances: Mapping[str, tuple[str, ...]]

    def __init__(self, instances: Mapping[str, Iterable[str]]):
        table: dict[str, tuple[str, ...]] = {}
        for service, nodes in instances.items():
            hosts = tuple(nodes)
            if not hosts:
                raise ValueError(f"service {service!r} has no instances")
            if len(set(hosts)) != len(hosts):
                raise ValueError(f"service {service!r} lists an instance twice: {hosts}")
            table[service] = hosts
        object.__setattr__(self, "instances", MappingProxyType(table))

    def hosts(self, service_id: str) -> tuple[str, ...]:
        """Node ids hosting ``service_id``; raises :class:`UnknownIdError` for an unknown service."""
        try:
            return self.instances[service_id]
        except KeyError:
            raise unknown_id("service", service_id, self.instances) from None

    @property
    def services(self) -> tuple[str, ...]:
        return tuple(self.instances)
