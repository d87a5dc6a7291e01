"""The real engine (issue 6): split inference in separate processes over an authenticated binary transport.

- :mod:`~mcfn.runtime.wire`: length-prefixed frames, JSON header, raw tensor body (never pickle);
- :mod:`~mcfn.runtime.auth`: cluster-token HMAC challenge–response;
- :mod:`~mcfn.runtime.link`: per-hop bandwidth and delay emulated by the sender;
- :mod:`~mcfn.runtime.channel`: authenticated asyncio TCP connections and servers with timeouts;
- :mod:`~mcfn.runtime.plan`: the STAND-IN split planner (model → chained torch stages) until issue 3's lands;
- :mod:`~mcfn.runtime.agent`: node agents (terminal / edge / cloud), one OS process each, bounded worker pools;
- :mod:`~mcfn.runtime.controller`: adverts into the aware view, stage placement by the core's router, retries;
- :mod:`~mcfn.runtime.messages`: the control messages' fields, validated where they enter;
- :mod:`~mcfn.runtime.cluster`: runtime scenarios (YAML) and a cluster: the controller plus one agent per node;
- :mod:`~mcfn.runtime.launch`, :mod:`~mcfn.runtime.ray_launcher`: agents as spawned processes or as Ray actors;
- :mod:`~mcfn.runtime.client`, :mod:`~mcfn.runtime.access`: requests to a controller, and how to reach it;
- :mod:`~mcfn.runtime.load`: open-loop load and its latency percentiles.
"""
