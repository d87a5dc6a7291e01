"""Which of mcfn's modules run compiled, and the switch that turns compilation off.

``setup.py`` compiles every module that has an augmenting ``.pxd`` beside it (Cython's pure Python mode). The
import system prefers an extension module over a source file of the same name, so an installed mcfn runs those
modules compiled. It also compiles each ``.pyx`` module: C from the start, with a Python reference module that
mcfn imports instead wherever the ``.pyx`` one is missing (``mcfn.runtime._frames``, ``mcfn.runtime.frames``).
Two things follow, and this module handles both:

* ``MCFN_PURE_PYTHON=1`` (set before ``mcfn`` is imported) installs a finder that loads mcfn's modules from their
  ``.py`` sources only, and finds no ``.pyx`` module at all: the reference implementation, which the tests hold
  the compiled one to, bit for bit.
* An extension built before its source was edited would silently run the old code. :func:`stale_modules` lists
  such modules; the test suite refuses to run with any (``make install`` rebuilds them).

A compiled module may branch on ``cython.compiled`` where its Python form would otherwise loop in Python; Cython
is needed to build mcfn only, so such a module imports ``cython`` as ``try: import cython`` and falls back to
:data:`uncompiled` without it.
"""

from __future__ import annotations

import importlib.machinery
import os
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import ClassVar

PURE_PYTHON_VARIABLE = "MCFN_PURE_PYTHON"
_PACKAGE_ROOT = Path(__file__).parent
#: What a module sees as ``cython`` where Cython is not installed (the ``cython`` module says the same uncompiled).
uncompiled = SimpleNamespace(compiled=False)


class _SourceOnlyFinder(importlib.machinery.PathFinder):
    """A path finder for ``mcfn.*`` that sees ``.py`` files and never an extension module: a module that exists
    compiled only is not found."""

    _loaders: ClassVar = [(importlib.machinery.SourceFileLoader, importlib.machinery.SOURCE_SUFFIXES)]

    @classmethod
    def find_spec(cls, fullname, path=None, target=None):
        if not fullname.startswith("mcfn.") or path is None:
            return None
        for entry in path:
            spec = importlib.machinery.FileFinder(entry, *cls._loaders).find_spec(fullname)
            if spec is not None:
                return spec
        raise ModuleNotFoundError(f"{fullname} has no Python source ({PURE_PYTHON_VARIABLE} is set)", name=fullname)


def pure_python_requested() -> bool:
    """Whether ``MCFN_PURE_PYTHON`` asks for the Python sources (any value but empty, ``0`` or ``false``)."""
    return os.environ.get(PURE_PYTHON_VARIABLE, "").strip().lower() not in ("", "0", "false")


def install_source_only_finder() -> None:
    """Make every later ``import mcfn.X`` load ``X.py``, never a compiled ``X``; idempotent."""
    if not any(finder is _SourceOnlyFinder for finder in sys.meta_path):
        sys.meta_path.insert(0, _SourceOnlyFinder)


def compilable_modules() -> list[str]:
    """Dotted names of the modules that ``setup.py`` compiles (a ``.pxd`` beside their ``.py``, or a ``.pyx``)."""
    return [_dotted(path) for path in _compiled_sources()]


def compiled_modules() -> dict[str, bool]:
    """For each compilable module: whether it runs compiled in this process (imports it)."""
    return {name: _runs_compiled(name) for name in compilable_modules()}


def stale_modules() -> list[str]:
    """Compilable modules whose built extension is older than their ``.py``, ``.pxd`` or ``.pyx`` (rebuild:
    ``make install``)."""
    stale = []
    for path in _compiled_sources():
        built = [path.with_suffix(suffix) for suffix in importlib.machinery.EXTENSION_SUFFIXES]
        built_s = max((path.stat().st_mtime for path in built if path.exists()), default=None)
        sources = [path] if path.suffix == ".pyx" else [path, path.with_suffix(".py")]
        if built_s is not None and built_s < max(source.stat().st_mtime for source in sources):
            stale.append(_dotted(path))
    return stale


def _compiled_sources() -> list[Path]:
    """The ``.pxd`` and ``.pyx`` files that make a module compiled."""
    return sorted([*_PACKAGE_ROOT.glob("**/*.pxd"), *_PACKAGE_ROOT.glob("**/*.pyx")])


def _runs_compiled(name: str) -> bool:
    try:
        return _is_extension(importlib.import_module(name).__file__)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        return False  # a compiled-only module that was not built, or is hidden by MCFN_PURE_PYTHON


def _dotted(path: Path) -> str:
    return ".".join(("mcfn", *path.relative_to(_PACKAGE_ROOT).with_suffix("").parts))


def _is_extension(path: str | None) -> bool:
    return path is not None and path.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))
