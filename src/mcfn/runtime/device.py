"""Where an agent computes: the torch device of its ``device`` option, and parts that run there.

Parts take and return CPU tensors whatever their device (:func:`on_device`), so the wire, the plan and the agent's
request handling stay device-blind. On CUDA, TF32 is switched off: convolutions and matrix products then compute
in full float32, and split outputs stay within 1e-4 of CPU inference (cuDNN picks other algorithms than the CPU,
so bit equality is not expected).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch


def torch_device(name: str) -> torch.device:
    """The torch device ``name`` (``cpu``, ``cuda`` or ``cuda:N``); ``ValueError`` when torch cannot use it here."""
    import torch

    try:
        device = torch.device(name)
    except RuntimeError:
        raise ValueError(f"unknown device {name!r}; use cpu, cuda or cuda:N") from None
    if device.type not in ("cpu", "cuda"):
        raise ValueError(f"device {name!r}: the runtime computes on cpu or cuda")
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device {name!r} asked for, but torch sees no CUDA device here")
        if (device.index or 0) >= torch.cuda.device_count():
            raise ValueError(f"device {name!r}: torch sees {torch.cuda.device_count()} CUDA devices")
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False
    return device


def on_device(module: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """``module`` moved to ``device``, taking CPU tensors and returning CPU tensors (``module`` itself on the CPU)."""
    from torch import nn

    if device.type == "cpu":
        return module

    class OnDevice(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = module.to(device)

        def forward(self, *args: torch.Tensor) -> Any:
            result = self.inner(*(arg.to(device) for arg in args))
            if isinstance(result, tuple):
                return tuple(value.cpu() for value in result)
            return result.cpu()

    return OnDevice().eval()
