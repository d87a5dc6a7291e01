"""The torchvision import works around the CUDA wheel's missing operators, and only when needed."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest.importorskip("torch")

from mcfn.models import _torchvision

FRESH_PROCESS = """
try:
    import torchvision
    plain = "plain-import-works"
except RuntimeError as exc:
    plain = "missing-nms" if "torchvision::nms" in str(exc) else "other"
from mcfn.models._torchvision import import_torchvision
print(plain, import_torchvision().models.resnet18(weights=None).fc.out_features)
"""


def test_import_recovers_after_the_plain_import_failed() -> None:
    # A fresh process, so the failed plain import (with the pinned CUDA wheel) really happens first.
    done = subprocess.run([sys.executable, "-c", FRESH_PROCESS], capture_output=True, text=True, check=True)
    plain, classes = done.stdout.split()
    assert plain in ("missing-nms", "plain-import-works")
    assert classes == "1000"


def test_other_import_errors_are_not_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    def fake(name, *args, real=__import__, **kwargs):
        if name == "torchvision":
            raise RuntimeError("something else broke")
        return real(name, *args, **kwargs)

    monkeypatch.setattr("builtins.__import__", fake)
    with pytest.raises(RuntimeError, match="something else broke"):
        _torchvision.import_torchvision()
