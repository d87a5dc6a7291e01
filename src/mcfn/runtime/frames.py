"""Whole frames in and out of a blocking socket, each call within a deadline: the I/O under the data plane's
:class:`~mcfn.runtime.blocking.BlockingChannel`.

Reading a frame takes two calls, its prefix and then the rest, each with ``MSG_WAITALL`` (the kernel returns once
all the bytes asked for are there), into a buffer of the frame's own (:func:`~mcfn.runtime.wire.frame_buffer`: not
zero-filled, its body aligned), so each tensor is a view of the bytes the kernel delivered — no copy at any size,
and no more system calls for 10 MB than for 1 KB. The prefix is checked against the frame limits before anything
more is read. Writing is one ``sendmsg`` of the frame's parts (a tensor's part is its own memory).

Every operation has a timeout, and so a deadline (``time.monotonic()`` seconds). The socket stays blocking (a Python
socket timeout would ``poll`` before every call); the kernel bounds each call by ``SO_RCVTIMEO`` / ``SO_SNDTIMEO``,
which is set again only when the time left differs from the bound by more than a slack (:data:`TIMEOUT_SLACK`
of it: a stream of operations under one timeout costs no extra system call), and a bound that ends before the
deadline is set again for what is left, so an operation times out neither early nor more than the slack late.

:class:`FrameSocket` here is the reference. ``_frames.pyx`` beside it is the same class in C, which
:mod:`mcfn.runtime.blocking` uses wherever it was compiled (not under ``MCFN_PURE_PYTHON``): a hop's round trip
between two agents is a few tens of microseconds, and the Python work of this class and of the codec was about
half of it. The C class releases the interpreter lock around each system call (as Python's socket methods do),
keeps the deadline arithmetic in C, and, for a frame whose header the wire's layout caches already hold
(:data:`mcfn.runtime.wire._RECEIVED`, :data:`~mcfn.runtime.wire._SHAPES`: a stage sends the same names and shapes
request after request; the layout sent last on a socket is recognised without even a lookup), builds the tensors
over the frame with NumPy's C API and sends them from their own memory. It also reads ahead: up to 16 KB in one
call, so a small frame takes one system call instead of two, its bytes then copied into the frame's buffer (after a
frame larger than that, only as far as its header went, so a large body still lands in place); what it read of the
next frames waits in :attr:`pending`. Anything else — a header not cached, a frame with fields, a bad or oversized
prefix, a tensor to convert — it hands to the same functions as this class, so both return equal messages and
raise the same errors (``tests/runtime/test_frames.py`` holds them to it).
"""

from __future__ import annotations

import select
import socket
import ssl
import struct
import time

from mcfn.runtime.channel import answered
from mcfn.runtime.link import IDEAL, LinkProfile, Pacer
from mcfn.runtime.wire import (
    PREFIX_BYTES,
    FrameError,
    FrameLimits,
    Message,
    decode,
    encode_parts,
    frame_buffer,
    frame_lengths,
)

#: How far the kernel's bound on a call may lie beyond an operation's deadline, as a share of the time left.
TIMEOUT_SLACK = 0.01
#: A frame up to this size goes to a TLS socket joined into one write (its parts would each be a TLS record).
TLS_JOIN_BYTES = 64 * 1024
#: ``struct timeval``, as ``SO_RCVTIMEO`` and ``SO_SNDTIMEO`` take it.
_TIMEVAL = struct.Struct("@ll")


class FrameSocket:
    """Frames in and out of the blocking socket ``sock``, received within ``limits``, sent over the emulated
    ``link`` (its :attr:`pacer`), one thread at a time; the kernel's bounds lie within ``timeout_slack`` (a share
    of the time left) of each deadline. Once an operation has raised, the connection may be mid-frame:
    :attr:`failed` is set."""

    #: Bytes read ahead of the messages received: never any here (the compiled class reads ahead).
    pending = 0

    def __init__(self, sock: socket.socket, limits: FrameLimits, link: LinkProfile = IDEAL) -> None:
        self.sock = sock
        self.limits = limits
        self.pacer = Pacer(link)
        self._ideal = link.is_ideal
        self.timeout_slack = TIMEOUT_SLACK
        self.failed = False
        self._prefix = memoryview(bytearray(PREFIX_BYTES))
        self._bounds = {socket.SO_RCVTIMEO: 0.0, socket.SO_SNDTIMEO: 0.0}  # seconds set; 0: none; -1: set again

    def receive(self, *, timeout_s: float | None) -> Message:
        """The next message; ``EOFError`` when the peer closed before it, :class:`~mcfn.runtime.wire.FrameError`
        for a bad or truncated frame, ``TimeoutError`` after ``timeout_s`` (``None``: never)."""
        try:
            return self._receive(None if timeout_s is None else time.monotonic() + timeout_s)
        except BaseException:
            self.failed = True
            raise

    def send(self, message: Message, *, timeout_s: float, link: LinkProfile | None = None) -> None:
        """Send one message within ``timeout_s``, after its emulated transfer time (``link`` overrides the socket's
        link for it)."""
        try:
            self._send(message, time.monotonic() + timeout_s, link)
        except BaseException:
            self.failed = True
            raise

    def request(self, message: Message, *, timeout_s: float, link: LinkProfile | None = None) -> Message:
        """Send ``message`` and return the answer, both within ``timeout_s``; an ``error`` answer raises
        :class:`~mcfn.runtime.channel.RemoteError`."""
        deadline = time.monotonic() + timeout_s
        try:
            self._send(message, deadline, link)
            answer = self._receive(deadline)
        except BaseException:
            self.failed = True
            raise
        return answered(answer)

    def fill(self, view: memoryview, *, timeout_s: float | None) -> int:
        """Read into all of ``view`` within ``timeout_s``; the bytes read, fewer only if the peer closed."""
        try:
            return self._fill(view, None if timeout_s is None else time.monotonic() + timeout_s)
        except BaseException:
            self.failed = True
            raise

    def _receive(self, deadline: float | None) -> Message:
        got = self._fill(self._prefix, deadline)
        if got < PREFIX_BYTES:
            if got == 0:
                raise EOFError("connection closed")
            raise FrameError(f"truncated frame prefix ({got} of {PREFIX_BYTES} bytes)")
        head, body = frame_lengths(self._prefix, 0, self.limits)
        frame = frame_buffer(head, body)
        got = self._fill(frame, deadline)
        if got < head + body:
            raise FrameError(f"truncated frame ({got} of {head + body} bytes)")
        return decode(bytes(frame[:head]), frame[head:])

    def _send(self, message: Message, deadline: float, link: LinkProfile | None) -> None:
        parts = encode_parts(message)
        size = sum(map(len, parts))
        if not (self._ideal if link is None else link.is_ideal):
            self.pacer.wait(size, link)
        self._bound(socket.SO_SNDTIMEO, deadline)
        try:
            sent = self.sock.sendmsg(parts)
        except BlockingIOError:  # the kernel's bound passed before a byte went; the deadline may lie a little further
            self._bounds[socket.SO_SNDTIMEO] = -1.0
            sent = 0
        if sent < size:  # a signal or the kernel's bound cut the write short
            self._send_rest(parts, sent, deadline)

    def _fill(self, view: memoryview, deadline: float | None) -> int:
        got = 0
        while got < len(view):
            self._bound(socket.SO_RCVTIMEO, deadline)
            try:
                n = self.sock.recv_into(view[got:] if got else view, 0, socket.MSG_WAITALL)
            except BlockingIOError:  # the kernel's bound passed; the deadline may lie a little further
                self._bounds[socket.SO_RCVTIMEO] = -1.0  # bound again what is left
                continue
            if n == 0:
                break
            got += n
        return got

    def _send_rest(self, parts: list[bytes | memoryview], sent: int, deadline: float) -> None:
        """Send what is left of ``parts`` after their first ``sent`` bytes."""
        for part in parts:
            if sent >= len(part):
                sent -= len(part)
                continue
            view, sent = memoryview(part)[sent:], 0
            while view:
                self._bound(socket.SO_SNDTIMEO, deadline)
                try:
                    view = view[self.sock.send(view) :]
                except BlockingIOError:
                    self._bounds[socket.SO_SNDTIMEO] = -1.0

    def _bound(self, option: int, deadline: float | None) -> None:
        """Have the kernel end the next call through ``option`` by ``deadline`` (``None``: never), to within the
        slack; ``TimeoutError`` if it has passed."""
        bound = self._bounds[option]
        if deadline is None:
            if bound == 0.0:
                return
            left = 0.0
        else:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("deadline exceeded")
            if abs(left - bound) <= self.timeout_slack * left:
                return
        seconds = int(left)
        micros = max(int((left - seconds) * 1e6), 1 if left else 0)  # (0, 0) would be no bound at all
        self.sock.setsockopt(socket.SOL_SOCKET, option, _TIMEVAL.pack(seconds, micros))
        self._bounds[option] = left


class TlsFrameSocket(FrameSocket):
    """:class:`~mcfn.runtime.frames.FrameSocket` on an :class:`ssl.SSLSocket`: the same frames and deadlines, read
    and written through the TLS layer (no ``MSG_WAITALL``, no kernel bounds: each call is bounded by the socket's
    timeout, set to what the deadline leaves)."""

    def _fill(self, view: memoryview, deadline: float | None) -> int:
        got = 0
        while got < len(view):
            self._timeout(deadline)
            n = self.sock.recv_into(view[got:] if got else view)
            if n == 0:
                break
            got += n
        return got

    def _send(self, message: Message, deadline: float, link: LinkProfile | None) -> None:
        parts = encode_parts(message)
        size = sum(map(len, parts))
        if not (self._ideal if link is None else link.is_ideal):
            self.pacer.wait(size, link)
        if size <= TLS_JOIN_BYTES:  # one TLS record and one segment, not one per part
            parts = [b"".join(parts)]
        for part in parts:
            self._timeout(deadline)
            self.sock.sendall(part)

    def _timeout(self, deadline: float | None) -> None:
        if deadline is None:
            self.sock.settimeout(None)
            return
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("deadline exceeded")
        self.sock.settimeout(left)


def idle_and_open(sock: ssl.SSLSocket) -> bool:
    """Whether a TLS connection is idle and open: nothing buffered, nothing to read (servers send no tickets, so
    anything readable is the peer closing or talking out of turn)."""
    if sock.pending():
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable
