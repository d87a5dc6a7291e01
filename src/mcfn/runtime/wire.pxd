# C declarations for wire.py, compiled by setup.py (Cython pure Python mode); wire.py is the reference. A message
# is built several times per hop, and _frames.pyx reads and writes its slots as C struct fields.

cimport cython


@cython.final
cdef class Message:
    cdef readonly object _kind
    cdef readonly object _fields
    cdef readonly object _tensors
