"""The real engine (issue 6): split inference in separate processes over an authenticated binary transport.

- :mod:`~mcfn.runtime.wire`: length-prefixed frames, binary header, named raw tensors as the body (never pickle);
- :mod:`~mcfn.runtime.framing`: frames read from the socket into preallocated buffers (an asyncio buffered protocol);
- :mod:`~mcfn.runtime.deadline`: one lazily re-armed timeout per connection instead of a timer per operation;
- :mod:`~mcfn.runtime.auth`: roles and their keys (client token, agent and controller keys derived from the
  cluster secret), HMAC challenge–response;
- :mod:`~mcfn.runtime.link`: per-hop bandwidth and delay emulated by the sender;
- :mod:`~mcfn.runtime.channel`: authenticated asyncio TCP connections and servers with timeouts;
- :mod:`~mcfn.runtime.loop`: the event loop every entry point runs on (uvloop where installed);
- :mod:`~mcfn.runtime.pool`: reused connections to many peers (controller → agents, agent → agent, client);
- :mod:`~mcfn.runtime.models`: the deployable models (the zoo and a tiny residual network);
- :mod:`~mcfn.runtime.plan`: executable split plans from :mod:`mcfn.partition`, stages passing named tensors;
- :mod:`~mcfn.runtime.timing`: each layer's time on the node playing its tier (measured tables), the work charged;
- :mod:`~mcfn.runtime.device`: parts on the CPU or a CUDA device;
- :mod:`~mcfn.runtime.agent`: node agents (terminal / edge / cloud), one OS process each, bounded worker pools,
  each sending its stage's output straight to the next stage's agent;
- :mod:`~mcfn.runtime.controller`: adverts into the aware view, stage placement by the core's router, routes sent
  to the agents, retries and fail-over, load shedding;
- :mod:`~mcfn.runtime.admission`: refusing at once what the measured service cannot serve within its deadline;
- :mod:`~mcfn.runtime.messages`: the control messages' fields, validated where they enter;
- :mod:`~mcfn.runtime.cluster`: runtime scenarios (YAML) and a cluster: the controller plus one agent per node;
- :mod:`~mcfn.runtime.launch`, :mod:`~mcfn.runtime.ray_launcher`: agents as spawned processes or as Ray actors;
- :mod:`~mcfn.runtime.client`, :mod:`~mcfn.runtime.access`: requests to a controller on one multiplexed
  connection, within their deadline, and how to reach it;
- :mod:`~mcfn.runtime.load`: open-loop load judged by its deadline (goodput, refusals, late answers), capacity,
  the overload curve.
"""
