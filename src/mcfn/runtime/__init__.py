"""The real engine (issue 6): split inference in separate processes over an authenticated binary transport.

- :mod:`~mcfn.runtime.wire`: length-prefixed frames, JSON header, raw tensor body (never pickle);
- :mod:`~mcfn.runtime.auth`: cluster-token HMAC challenge–response;
- :mod:`~mcfn.runtime.link`: per-hop bandwidth and delay emulated by the sender;
- :mod:`~mcfn.runtime.channel`: authenticated asyncio TCP connections and servers with timeouts.
"""
