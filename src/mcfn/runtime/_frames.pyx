# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, auto_pickle=False
""":class:`mcfn.runtime.frames.FrameSocket` in C, for the data plane's hot path (that module's docstring says what
it does differently and why; ``tests/runtime/test_frames.py`` holds the two to the same messages and errors).

Compiled by ``setup.py`` where a C compiler is; ``mcfn.runtime.blocking`` falls back to the reference without it
and under ``MCFN_PURE_PYTHON``. POSIX only: Cython ships no declarations of the socket calls, so they are declared
here from ``<sys/socket.h>``.
"""

cimport numpy as cnp
from cpython.buffer cimport PyBUF_WRITABLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.exc cimport PyErr_CheckSignals, PyErr_SetFromErrno
from cpython.ref cimport Py_INCREF
from libc.errno cimport EAGAIN, EINTR, errno
from libc.math cimport INFINITY, fabs
from libc.stdint cimport uint32_t
from libc.stdlib cimport free
from libc.string cimport memcpy, memmove, memset
from posix.stdlib cimport posix_memalign
from posix.time cimport CLOCK_MONOTONIC, clock_gettime, timespec, timeval
from posix.uio cimport iovec

from mcfn.runtime.wire cimport Message

from mcfn.runtime.channel import answered
from mcfn.runtime.frames import TIMEOUT_SLACK
from mcfn.runtime.link import IDEAL, Pacer
from mcfn.runtime.wire import (
    _SHAPES,
    ALIGNMENT as _ALIGNMENT,
    BODY_ALIGNMENT as _BODY_ALIGNMENT,
    MAGIC,
    MAX_FIELD_COUNT,
    PREFIX_BYTES,
    VERSION,
    FrameError,
    frame_arrays,
    frame_lengths,
    frame_start,
    read_head,
)

cdef extern from "<errno.h>":
    int EWOULDBLOCK

cdef extern from "<sys/socket.h>" nogil:
    ctypedef long ssize_t
    ctypedef unsigned int socklen_t
    struct msghdr:
        iovec *msg_iov
        size_t msg_iovlen
    ssize_t recv(int fd, void *buffer, size_t length, int flags)
    ssize_t sendmsg(int fd, const msghdr *message, int flags)
    int setsockopt(int fd, int level, int name, const void *value, socklen_t length)
    int MSG_WAITALL, SOL_SOCKET, SO_RCVTIMEO, SO_SNDTIMEO

cdef extern from "<arpa/inet.h>" nogil:
    uint32_t ntohl(uint32_t)

cdef extern from "numpy/arrayobject.h":
    # Steals a reference to ``descr``.
    object PyArray_NewFromDescr(
        type subtype, cnp.dtype descr, int nd, cnp.npy_intp *dims, cnp.npy_intp *strides, void *data, int flags,
        object obj,
    )

cnp.import_array()

cdef enum:
    RECEIVING = 0  # a FrameSocket's _bounds slots
    SENDING = 1
    MOST_PARTS = 511  # a frame's prefix and header, then at most 255 tensors, each with its padding
    ALIGNMENT = 16  # wire.ALIGNMENT
    AHEAD_BYTES = 16384  # read ahead: a small frame arrives in one call (a larger one: see _receive)
    BODY_ALIGNMENT = 64  # wire.BODY_ALIGNMENT
cdef int _OPTIONS[2]
_OPTIONS[RECEIVING] = SO_RCVTIMEO
_OPTIONS[SENDING] = SO_SNDTIMEO
cdef bytes _MAGIC = MAGIC
cdef int _VERSION = VERSION
assert PREFIX_BYTES == 12 and 2 * MAX_FIELD_COUNT + 1 == MOST_PARTS
assert _BODY_ALIGNMENT == BODY_ALIGNMENT and _ALIGNMENT == ALIGNMENT
cdef char _PADDING[ALIGNMENT]  # zeros


cdef inline double _monotonic() noexcept nogil:
    """``time.monotonic()`` (CPython's clock on Linux)."""
    cdef timespec now
    clock_gettime(CLOCK_MONOTONIC, &now)
    return now.tv_sec + now.tv_nsec * 1e-9


cdef inline Py_ssize_t _padding(Py_ssize_t nbytes) noexcept:
    """The zero bytes after a tensor of ``nbytes`` in a body."""
    return (ALIGNMENT - nbytes % ALIGNMENT) % ALIGNMENT


cdef inline double _deadline(timeout_s) except? -1:
    """The deadline ``timeout_s`` from now; infinite for ``None``."""
    return INFINITY if timeout_s is None else _monotonic() + <double>timeout_s


cdef int _raise_errno(int error) except -1:
    global errno
    errno = error
    PyErr_SetFromErrno(OSError)
    return -1


cdef class FrameSocket:
    """Frames in and out of the blocking socket ``sock``, received within ``limits``, sent over the emulated
    ``link`` (its :attr:`pacer`), one thread at a time; the kernel's bounds lie within ``timeout_slack`` (a share
    of the time left) of each deadline. Once an operation has raised, the connection may be mid-frame:
    :attr:`failed` is set."""

    cdef readonly object sock, pacer
    cdef bint _ideal
    cdef public double timeout_slack
    cdef public bint failed
    cdef object _limits
    cdef Py_ssize_t _max_header, _max_body
    cdef double _bounds[2]  # seconds set; 0: none; -1: set again
    cdef char *_ahead  # AHEAD_BYTES read ahead: those from _start to _end are the next to receive
    cdef Py_ssize_t _last_head, _last_frame  # the header and whole frame (prefix included) received last
    cdef object _sent_key, _sent_shape  # the wire._SHAPES key and frame shape of the frame sent last
    cdef Py_ssize_t _start, _end

    def __cinit__(self):
        if posix_memalign(<void **>&self._ahead, BODY_ALIGNMENT, AHEAD_BYTES):  # aligned as the stream (wire)
            raise MemoryError

    def __dealloc__(self):
        free(self._ahead)

    def __init__(self, sock, limits, link=IDEAL):
        self.sock = sock
        self.limits = limits
        self.pacer = Pacer(link)
        self._ideal = link.is_ideal
        self.timeout_slack = TIMEOUT_SLACK
        self.failed = False
        self._bounds[RECEIVING] = self._bounds[SENDING] = 0.0
        self._start = self._end = self._last_head = self._last_frame = 0

    @property
    def pending(self):
        """Bytes read ahead of the messages received (what the peer sent beyond them)."""
        return self._end - self._start

    @property
    def limits(self):
        return self._limits

    @limits.setter
    def limits(self, limits):
        self._max_header = limits.max_header_bytes
        self._max_body = limits.max_body_bytes
        self._limits = limits

    def receive(self, *, timeout_s):
        """The next message; ``EOFError`` when the peer closed before it, :class:`~mcfn.runtime.wire.FrameError`
        for a bad or truncated frame, ``TimeoutError`` after ``timeout_s`` (``None``: never)."""
        try:
            return self._receive(_deadline(timeout_s))
        except BaseException:
            self.failed = True
            raise

    def send(self, message, *, double timeout_s, link=None):
        """Send one message within ``timeout_s``, after its emulated transfer time (``link`` overrides the socket's
        link for it)."""
        try:
            self._send_message(message, _monotonic() + timeout_s, link)
        except BaseException:
            self.failed = True
            raise

    def request(self, message, *, double timeout_s, link=None):
        """Send ``message`` and return the answer, both within ``timeout_s``; an ``error`` answer raises
        :class:`~mcfn.runtime.channel.RemoteError`."""
        cdef double until = _monotonic() + timeout_s
        cdef Message answer
        try:
            self._send_message(message, until, link)
            answer = self._receive(until)
        except BaseException:
            self.failed = True
            raise
        return answered(answer) if answer._kind == "error" else answer

    def fill(self, view, *, timeout_s):
        """Read into all of ``view`` within ``timeout_s``; the bytes read, fewer only if the peer closed."""
        cdef Py_buffer buffer
        cdef Py_ssize_t got
        PyObject_GetBuffer(view, &buffer, PyBUF_WRITABLE)
        try:
            got = self._take_ahead(<char *>buffer.buf, 0, buffer.len)
            return got + self._receive_into(self.sock.fileno(), <char *>buffer.buf + got, buffer.len - got,
                                            buffer.len - got, MSG_WAITALL, _deadline(timeout_s))
        except BaseException:
            self.failed = True
            raise
        finally:
            PyBuffer_Release(&buffer)

    cdef Message _receive(self, double until):
        cdef int fd = self.sock.fileno()
        cdef uint32_t lengths[2]
        # After a frame larger than the read-ahead, read ahead only as far as its header went: the next frame is
        # likely as large, and its body is then received straight into the frame's buffer, not copied there.
        cdef Py_ssize_t ahead = AHEAD_BYTES if self._last_frame <= AHEAD_BYTES else PREFIX_BYTES + self._last_head
        cdef Py_ssize_t got = self._read_ahead(fd, PREFIX_BYTES, min(ahead, AHEAD_BYTES), until)
        if got < PREFIX_BYTES:
            self._start = self._end = 0
            if got == 0:
                raise EOFError("connection closed")
            raise FrameError(f"truncated frame prefix ({got} of {PREFIX_BYTES} bytes)")
        cdef unsigned char *prefix = <unsigned char *>self._ahead + self._start
        memcpy(lengths, prefix + 4, 8)
        cdef Py_ssize_t head = ntohl(lengths[0]), body = ntohl(lengths[1])
        if (prefix[0] != _MAGIC[0] or prefix[1] != _MAGIC[1] or prefix[2] != _VERSION
                or head > self._max_header or body > self._max_body):
            frame_lengths(PyBytes_FromStringAndSize(<char *>prefix, PREFIX_BYTES), 0, self._limits)  # raises
        self._last_head, self._last_frame = head, PREFIX_BYTES + head + body
        cdef cnp.npy_intp size = head + body, room = size + BODY_ALIGNMENT - 1
        frame = cnp.PyArray_EMPTY(1, &room, cnp.NPY_UINT8, 0)  # not zero-filled
        cdef char *data = <char *>cnp.PyArray_DATA(<cnp.ndarray>frame)
        data += -(<size_t>data + head) & (BODY_ALIGNMENT - 1)  # the body starts aligned
        got = self._take_ahead(data, PREFIX_BYTES, size)
        if got < size:
            got += self._receive_into(fd, data + got, size - got, size - got, MSG_WAITALL, until)
            if got < size:
                raise FrameError(f"truncated frame ({got} of {size} bytes)")
        kind, fields, layout = read_head(PyBytes_FromStringAndSize(data, head), body)
        return _message(kind, fields, _tensors(layout.tensors, frame, data + head))

    cdef int _send_message(self, Message message, double deadline, link) except -1:
        cdef iovec parts[MOST_PARTS]
        cdef Py_ssize_t count = 1, size, nbytes
        start, arrays = self._frame_arrays(message)
        parts[0].iov_base = PyBytes_AS_STRING(start)
        parts[0].iov_len = size = PyBytes_GET_SIZE(start)
        for array in arrays:
            parts[count].iov_base = cnp.PyArray_DATA(<cnp.ndarray>array)
            parts[count].iov_len = nbytes = cnp.PyArray_NBYTES(<cnp.ndarray>array)
            count += 1
            if _padding(nbytes):
                parts[count].iov_base = _PADDING
                parts[count].iov_len = _padding(nbytes)
                count += 1
            size += nbytes + _padding(nbytes)
        if not (self._ideal if link is None else link.is_ideal):
            self.pacer.wait(size, link)
        return self._send(self.sock.fileno(), parts, count, deadline)

    cdef Py_ssize_t _read_ahead(self, int fd, Py_ssize_t least, Py_ssize_t most, double until) except -1:
        """Read ahead until at least ``least`` bytes are pending (fewer only if the peer closed), at most ``most``
        if they come at once; the bytes pending."""
        cdef Py_ssize_t pending = self._end - self._start
        if pending < least:
            if self._start:
                memmove(self._ahead, self._ahead + self._start, pending)
                self._start, self._end = 0, pending
            self._end += self._receive_into(fd, self._ahead + pending, least - pending, most - pending, 0, until)
        return self._end - self._start

    cdef Py_ssize_t _take_ahead(self, char *into, Py_ssize_t skip, Py_ssize_t most) noexcept:
        """Drop ``skip`` pending bytes, then move up to ``most`` more into ``into``; the bytes moved."""
        cdef Py_ssize_t taken = min(self._end - self._start - skip, most)
        memcpy(into, self._ahead + self._start + skip, taken)
        self._start += skip + taken
        if self._start == self._end:
            self._start = self._end = 0
        return taken

    cdef Py_ssize_t _receive_into(
        self, int fd, char *into, Py_ssize_t least, Py_ssize_t most, int flags, double until
    ) except -1:
        """Receive at least ``least`` and at most ``most`` bytes into ``into`` (fewer only if the peer closed);
        the bytes received."""
        cdef Py_ssize_t got = 0, n
        cdef int error = 0
        while got < least:
            self._bound(fd, RECEIVING, until)
            with nogil:
                n = recv(fd, into + got, most - got, flags)
                if n < 0:
                    error = errno
            if n > 0:
                got += n
            elif n == 0:
                break
            elif error == EAGAIN or error == EWOULDBLOCK:  # the kernel's bound passed; the deadline may lie further
                self._bounds[RECEIVING] = -1.0  # bound again what is left
            elif error == EINTR:
                PyErr_CheckSignals()
            else:
                _raise_errno(error)
        return got

    cdef tuple _frame_arrays(self, Message message):
        """:func:`~mcfn.runtime.wire.frame_arrays`, its common case in C: a frame of a layout sent lately (last on
        this socket, most often), of C-contiguous arrays in their wire dtypes."""
        tensors = message._tensors
        arrays = list(tensors.values())
        for array in arrays:
            if not cnp.PyArray_CheckExact(array):
                return frame_arrays(message)
        if self._sent_key is not None and _has_layout(self._sent_key, message._kind, tensors, arrays):
            shape = self._sent_shape
        else:
            key = (message._kind, *tensors, *[((<cnp.ndarray>array).dtype, array.shape) for array in arrays])
            shape = _SHAPES.get(key)
            if shape is None:
                return frame_arrays(message)
            self._sent_key, self._sent_shape = key, shape
        for array, sent in zip(arrays, shape.sent):
            if not (sent[1] and cnp.PyArray_IS_C_CONTIGUOUS(<cnp.ndarray>array)):
                return frame_arrays(message)
        fields = message._fields
        return (frame_start(shape, fields) if fields else shape.fieldless), arrays

    cdef int _send(self, int fd, iovec *parts, Py_ssize_t count, double until) except -1:
        """Send all of ``parts``, resuming where a signal or the kernel's bound cut a write short."""
        cdef msghdr message
        cdef ssize_t n
        cdef int error = 0
        memset(&message, 0, sizeof(message))
        message.msg_iov = parts
        message.msg_iovlen = count
        while message.msg_iovlen:
            self._bound(fd, SENDING, until)
            with nogil:
                n = sendmsg(fd, &message, 0)
                if n < 0:
                    error = errno
            if n >= 0:
                _advance(&message, n)
            elif error == EAGAIN or error == EWOULDBLOCK:
                self._bounds[SENDING] = -1.0
            elif error == EINTR:
                PyErr_CheckSignals()
            else:
                _raise_errno(error)
        return 0

    cdef int _bound(self, int fd, int which, double until) except -1:
        """Have the kernel end the next call of kind ``which`` by ``until`` (infinite: never), to within the
        slack; ``TimeoutError`` if it has passed."""
        cdef double bound = self._bounds[which], left
        cdef timeval limit
        if until == INFINITY:
            if bound == 0.0:
                return 0
            left = 0.0
        else:
            left = until - _monotonic()
            if left <= 0:
                raise TimeoutError("deadline exceeded")
            if fabs(left - bound) <= self.timeout_slack * left:
                return 0
        limit.tv_sec = <long>left
        limit.tv_usec = <long>((left - limit.tv_sec) * 1e6)
        if limit.tv_usec == 0 and left != 0:
            limit.tv_usec = 1  # (0, 0) would be no bound at all
        if setsockopt(fd, SOL_SOCKET, _OPTIONS[which], &limit, sizeof(limit)) != 0:
            _raise_errno(errno)
        self._bounds[which] = left
        return 0


cdef inline void _advance(msghdr *message, Py_ssize_t sent) noexcept:
    """Drop the first ``sent`` bytes from ``message``'s parts."""
    while message.msg_iovlen and <size_t>sent >= message.msg_iov[0].iov_len:
        sent -= message.msg_iov[0].iov_len
        message.msg_iov += 1
        message.msg_iovlen -= 1
    if message.msg_iovlen:
        message.msg_iov[0].iov_base = <char *>message.msg_iov[0].iov_base + sent
        message.msg_iov[0].iov_len -= sent


cdef bint _has_layout(tuple key, kind, dict tensors, list arrays):
    """Whether a message of ``kind`` with these tensors (their ``arrays``) has the layout of ``key``, a key of
    :data:`~mcfn.runtime.wire._SHAPES` (compared in place: building the message's own key takes longer)."""
    cdef Py_ssize_t count = len(arrays), index = 1, axis
    cdef cnp.ndarray array
    if len(key) != 1 + 2 * count or key[0] != kind:
        return False
    for name in tensors:
        if key[index] != name:
            return False
        index += 1
    for array in arrays:
        dtype, shape = <tuple>key[index]
        if array.dtype is not dtype or len(shape) != array.ndim:
            return False
        for axis in range(array.ndim):
            if array.shape[axis] != <cnp.npy_intp>shape[axis]:
                return False
        index += 1
    return True


cdef Message _message(kind, fields, tensors):
    """``Message(kind=kind, fields=fields, tensors=tensors)``, its fields set in C."""
    cdef Message message = Message.__new__(Message)
    message._kind, message._fields, message._tensors = kind, fields, tensors
    return message


cdef dict _tensors(tuple layout, frame, char *body):
    """The tensors that ``layout`` describes as arrays over ``body``, which ``frame`` owns."""
    cdef cnp.npy_intp dims[MOST_PARTS]
    cdef Py_ssize_t offset = 0
    cdef int ndim, axis
    tensors = {}
    for name, wire, shape, nbytes in layout:
        ndim = len(shape)
        for axis in range(ndim):
            dims[axis] = shape[axis]
        Py_INCREF(wire)
        array = PyArray_NewFromDescr(cnp.ndarray, <cnp.dtype>wire, ndim, dims, NULL, body + offset, cnp.NPY_ARRAY_WRITEABLE, None)
        Py_INCREF(frame)
        cnp.PyArray_SetBaseObject(<cnp.ndarray>array, frame)
        tensors[name] = array
        offset += nbytes + _padding(nbytes)
    return tensors
