"""The real engine (issue 6): split inference in separate processes over an authenticated binary transport.

- :mod:`~mcfn.runtime.wire`: length-prefixed frames, JSON header, named raw tensors as the body (never pickle);
- :mod:`~mcfn.runtime.auth`: cluster-token HMAC challenge–response;
- :mod:`~mcfn.runtime.link`: per-hop bandwidth and delay emulated by the sender;
- :mod:`~mcfn.runtime.channel`: authenticated asyncio TCP connections and servers with timeouts;
- :mod:`~mcfn.runtime.models`: the deployable models (the zoo and a tiny residual network);
- :mod:`~mcfn.runtime.plan`: executable split plans from :mod:`mcfn.partition`, stages passing named tensors;
- :mod:`~mcfn.runtime.timing`: each layer's time on the node playing its tier (measured tables), the work charged;
- :mod:`~mcfn.runtime.device`: parts on the CPU or a CUDA device;
- :mod:`~mcfn.runtime.agent`: node agents (terminal / edge / cloud), one OS process each, bounded worker pools;
- :mod:`~mcfn.runtime.controller`: adverts into the aware view, stage placement by the core's router, retries;
- :mod:`~mcfn.runtime.messages`: the control messages' fields, validated where they enter;
- :mod:`~mcfn.runtime.cluster`: runtime scenarios (YAML) and a cluster: the controller plus one agent per node;
- :mod:`~mcfn.runtime.launch`, :mod:`~mcfn.runtime.ray_launcher`: agents as spawned processes or as Ray actors;
- :mod:`~mcfn.runtime.client`, :mod:`~mcfn.runtime.access`: requests to a controller, and how to reach it;
- :mod:`~mcfn.runtime.load`: open-loop load and its latency percentiles.
"""
