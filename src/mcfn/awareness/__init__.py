"""Compute awareness (seed §2): nodes' state adverts (period, jitter, loss, bytes) and the router's aware view."""

from mcfn.awareness.advert import ADVERT_BYTES, Advert, AdvertPolicy, Emissions
from mcfn.awareness.view import PROBE_REQUEST_BYTES, AwareView, Estimate

__all__ = ["ADVERT_BYTES", "PROBE_REQUEST_BYTES", "Advert", "AdvertPolicy", "AwareView", "Emissions", "Estimate"]
