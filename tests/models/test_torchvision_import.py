"""The torchvision import works around the CUDA wheel's missing operators, and only when needed."""

from __future__ import annotations

import sys

import pytest

pytest.importorskip("torch")

from mcfn.models import _torchvision


def test_import_torchvision_gives_model_definitions() -> None:
    torchvision = _torchvision.import_torchvision()
    assert callable(torchvision.models.resnet18)


def test_workaround_recovers_from_the_missing_operator(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def failing_import(real=__import__):
        def fake(name, *args, **kwargs):
            if name == "torchvision" and not calls:
                calls.append(name)
                raise RuntimeError("operator torchvision::nms does not exist")
            return real(name, *args, **kwargs)

        return fake

    monkeypatch.setattr("builtins.__import__", failing_import())
    torchvision = _torchvision.import_torchvision()
    assert calls == ["torchvision"]
    assert "torchvision" in sys.modules
    assert torchvision.models is not None


def test_other_import_errors_are_not_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    def fake(name, *args, real=__import__, **kwargs):
        if name == "torchvision":
            raise RuntimeError("something else broke")
        return real(name, *args, **kwargs)

    monkeypatch.setattr("builtins.__import__", fake)
    with pytest.raises(RuntimeError, match="something else broke"):
        _torchvision.import_torchvision()
