"""Importing torchvision when its compiled operators are missing.

The pinned torchvision wheel is a CUDA build; on a CPU-only torch its C++ extension does not load, and the import
stops at ``torchvision/_meta_registrations.py`` with "operator torchvision::nms does not exist". mcfn needs only
the model definitions, so declaring the two operators whose fake kernels that file registers (``nms`` and
``qnms``, same schemas as torchvision's ``csrc/ops``) is enough. Applied only when the plain import fails.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

_SCHEMAS = (
    "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms(Tensor qdets, Tensor scores, float iou_threshold) -> Tensor",
)
_declared: list[Any] = []  # keeps the torch.library.Library alive, or its definitions are dropped


def import_torchvision() -> ModuleType:
    """Return the ``torchvision`` module, declaring its missing operators first if the plain import fails."""
    try:
        import torchvision
    except RuntimeError as exc:
        if "torchvision::nms" not in str(exc):
            raise
        _declare_operators()
        import torchvision
    return torchvision


def _declare_operators() -> None:
    import sys

    import torch

    for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
        del sys.modules[name]  # the failed import left half-initialised modules behind
    if not _declared:
        library = torch.library.Library("torchvision", "DEF")
        for schema in _SCHEMAS:
            library.define(schema)
        _declared.append(library)
