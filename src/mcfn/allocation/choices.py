"""Names of the schemes and methods; dependency-free so the CLI can offer them without importing solvers."""

from enum import StrEnum


class Scheme(StrEnum):
    """The seed's schemes (§3.2): the proposed joint optimisation and its three baselines."""

    PROPOSED = "proposed"
    FC = "fc"
    AC = "ac"
    WCR = "wcr"


class Method(StrEnum):
    """Solution methods: the global optimum by mcfn's own interior-point method (``fast``) or by a conic solver
    through cvxpy (``exact``, the reference), or the seed's successive convex approximation (``sca``)."""

    FAST = "fast"
    EXACT = "exact"
    SCA = "sca"
