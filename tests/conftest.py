"""Shared fixtures (small seeded allocation instances) and the check that compiled modules are fresh."""

from __future__ import annotations

import numpy as np
import pytest

from mcfn import _accelerated
from mcfn.allocation.generator import InstanceSpec, generate_instance
from mcfn.allocation.problem import Instance


def pytest_sessionstart(session: pytest.Session) -> None:
    """Refuse to test compiled modules built from older sources than the ones in the tree."""
    if stale := _accelerated.stale_modules():
        pytest.exit(f"compiled modules older than their sources: {', '.join(stale)}; run `make install`", 2)


def make_instance(seed: int = 0, **spec: object) -> Instance:
    """A generated instance with the spec's defaults overridden by ``spec``."""
    return generate_instance(InstanceSpec(**spec), np.random.default_rng(seed))  # type: ignore[arg-type]


@pytest.fixture
def default_instance() -> Instance:
    return make_instance(0)


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run ``mcfn ARGS`` in this process: its exit status, stdout and stderr."""
    from mcfn.cli.app import main

    with pytest.raises(SystemExit) as info:
        main(list(args))
    out, err = capsys.readouterr()
    code = info.value.code
    return code if isinstance(code, int) else 0, out, err


def assert_one_line_error(code: int, err: str, *names: str) -> None:
    """Exit status 2 and one ``error:`` line on stderr naming every one of ``names``, no traceback."""
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    for name in names:
        assert name in lines[0], (name, lines[0])
