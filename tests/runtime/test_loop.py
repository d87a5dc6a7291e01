"""The runtime's choice of event loop (:mod:`mcfn.runtime.loop`)."""

from __future__ import annotations

import asyncio
import builtins

import pytest

from mcfn.runtime import loop as event_loop


async def loop_module() -> str:
    return type(asyncio.get_running_loop()).__module__


def test_uvloop_is_chosen_where_installed_and_the_variable_or_an_option_forces_a_loop(monkeypatch):
    pytest.importorskip("uvloop")
    monkeypatch.delenv(event_loop.LOOP_ENV, raising=False)
    assert event_loop.loop_name() == "uvloop"
    assert event_loop.run(loop_module()) == "uvloop"
    monkeypatch.setenv(event_loop.LOOP_ENV, "asyncio")
    assert event_loop.loop_name() == "asyncio"
    assert event_loop.run(loop_module()).startswith("asyncio")
    assert event_loop.run(loop_module(), loop="uvloop") == "uvloop"  # an option beats the variable
    monkeypatch.setenv(event_loop.LOOP_ENV, " UVLoop ")
    assert event_loop.loop_name() == "uvloop"


def test_the_standard_loop_is_the_fallback_without_uvloop(monkeypatch):
    real_import = builtins.__import__

    def no_uvloop(name, *args, **kwargs):
        if name == "uvloop":
            raise ImportError("no uvloop here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_uvloop)
    monkeypatch.delenv(event_loop.LOOP_ENV, raising=False)
    assert event_loop.loop_name() == "asyncio"
    assert event_loop.run(loop_module()).startswith("asyncio")
    with pytest.raises(ValueError, match=r"uvloop was asked for .* not installed"):
        event_loop.loop_name("uvloop")


def test_an_unknown_loop_is_a_clear_error_and_the_coroutine_is_not_left_unawaited(monkeypatch):
    monkeypatch.setenv(event_loop.LOOP_ENV, "trio")
    with pytest.raises(ValueError, match=r"unknown event loop 'trio' .*MCFN_EVENT_LOOP.*known: uvloop, asyncio"):
        event_loop.loop_name()
    coroutine = loop_module()
    with pytest.raises(ValueError, match="unknown event loop"):
        event_loop.run(coroutine)
    assert coroutine.cr_frame is None  # closed: no "never awaited" warning
