"""Names of the schemes and methods; dependency-free so the CLI can offer them without importing solvers."""

from enum import StrEnum


class Scheme(StrEnum):
    """The seed's schemes (§3.2): the proposed joint optimisation and its three baselines."""

    PROPOSED = "proposed"
    FC = "fc"
    AC = "ac"
    WCR = "wcr"


class Method(StrEnum):
    """Solution methods: the seed's successive convex approximation, or the log-domain global optimum."""

    SCA = "sca"
    EXACT = "exact"
