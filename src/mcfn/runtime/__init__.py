"""The real engine (issue 6): split inference in separate processes over an authenticated binary transport.

- :mod:`~mcfn.runtime.wire`: length-prefixed frames, JSON header, raw tensor body (never pickle);
- :mod:`~mcfn.runtime.auth`: cluster-token HMAC challenge–response;
- :mod:`~mcfn.runtime.link`: per-hop bandwidth and delay emulated by the sender;
- :mod:`~mcfn.runtime.channel`: authenticated asyncio TCP connections and servers with timeouts;
- :mod:`~mcfn.runtime.plan`: the STAND-IN split planner (model → chained torch stages) until issue 3's lands;
- :mod:`~mcfn.runtime.agent`: node agents (terminal / edge / cloud), one OS process each, bounded worker pools;
- :mod:`~mcfn.runtime.controller`: adverts into the aware view, stage placement by the core's router, retries;
- :mod:`~mcfn.runtime.cluster`: runtime scenarios (YAML) and a local cluster of agent processes;
- :mod:`~mcfn.runtime.client`: requests to a controller.
"""
