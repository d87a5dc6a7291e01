"""Import torchvision even where its wheel's compiled operators do not match the installed torch.

The torchvision wheel available here is a CUDA build; with the CPU torch its C++ extension does not register, and
``import torchvision`` fails with "operator torchvision::nms does not exist" because the Python side registers
fake (meta) kernels for ``nms`` and ``qnms`` that must be declared first. Declaring the two operator schemas with
``torch.library`` lets the import succeed; the models (convolutions, pooling, linear layers) never call them.
"""

from __future__ import annotations

from types import ModuleType


def import_torchvision() -> ModuleType:
    """``torchvision``, declaring its missing detection operators first only when the plain import fails."""
    try:
        import torchvision
    except RuntimeError as exc:
        if "torchvision::nms" not in str(exc):
            raise
        import sys

        import torch

        for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
            del sys.modules[name]
        library = torch.library.Library("torchvision", "DEF")  # deregisters when collected: kept in _KEEP
        library.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
        library.define("qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
        _KEEP.append(library)
        import torchvision
    return torchvision


_KEEP: list[object] = []
