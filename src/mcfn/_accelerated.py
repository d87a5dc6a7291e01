"""Which of mcfn's modules run compiled, and the switch that turns compilation off.

``setup.py`` compiles every module that has an augmenting ``.pxd`` beside it (Cython's pure Python mode). The
import system prefers an extension module over a source file of the same name, so an installed mcfn runs those
modules compiled. Two things follow, and this module handles both:

* ``MCFN_PURE_PYTHON=1`` (set before ``mcfn`` is imported) installs a finder that loads mcfn's modules from their
  ``.py`` sources only: the reference implementation, which the tests hold the compiled one to, bit for bit.
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
    """A path finder for ``mcfn.*`` that sees ``.py`` files and never an extension module."""

    _loaders: ClassVar = [(importlib.machinery.SourceFileLoader, importlib.machinery.SOURCE_SUFFIXES)]

    @classmethod
    def find_spec(cls, fullname, path=None, target=None):
        if not fullname.startswith("mcfn.") or path is None:
            return None
        for entry in path:
            spec = importlib.machinery.FileFinder(entry, *cls._loaders).find_spec(fullname)
            if spec is not None:
                return spec
        return None


def pure_python_requested() -> bool:
    """Whether ``MCFN_PURE_PYTHON`` asks for the Python sources (any value but empty, ``0`` or ``false``)."""
    return os.environ.get(PURE_PYTHON_VARIABLE, "").strip().lower() not in ("", "0", "false")


def install_source_only_finder() -> None:
    """Make every later ``import mcfn.X`` load ``X.py``, never a compiled ``X``; idempotent."""
    if not any(finder is _SourceOnlyFinder for finder in sys.meta_path):
        sys.meta_path.insert(0, _SourceOnlyFinder)


def compilable_modules() -> list[str]:
    """Dotted names of the modules that ``setup.py`` compiles (those with a ``.pxd`` beside their ``.py``)."""
    return [_dotted(pxd) for pxd in sorted(_PACKAGE_ROOT.glob("**/*.pxd"))]


def compiled_modules() -> dict[str, bool]:
    """For each compilable module: whether it runs compiled in this process (imports it)."""
    return {name: _is_extension(importlib.import_module(name).__file__) for name in compilable_modules()}


def stale_modules() -> list[str]:
    """Compilable modules whose built extension is older than their ``.py`` or ``.pxd`` (rebuild: ``make install``)."""
    stale = []
    for pxd in sorted(_PACKAGE_ROOT.glob("**/*.pxd")):
        built = [pxd.with_suffix(suffix) for suffix in importlib.machinery.EXTENSION_SUFFIXES]
        built_s = max((path.stat().st_mtime for path in built if path.exists()), default=None)
        if built_s is not None and built_s < max(pxd.stat().st_mtime, pxd.with_suffix(".py").stat().st_mtime):
            stale.append(_dotted(pxd))
    return stale


def _dotted(pxd: Path) -> str:
    return ".".join(("mcfn", *pxd.relative_to(_PACKAGE_ROOT).with_suffix("").parts))


def _is_extension(path: str | None) -> bool:
    return path is not None and path.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))
