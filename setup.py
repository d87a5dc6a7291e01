"""Build hook: compile mcfn's hot modules to C with Cython wherever a C compiler is available.

A module is compiled when an augmenting ``.pxd`` file lies beside its ``.py`` file: the ``.py`` stays the plain
Python reference, and the ``.pxd`` only declares C types for its classes and functions (Cython's "pure Python
mode"). A ``_X.pyx`` module is C from the start (system calls, NumPy's C API) and has a reference ``X.py`` that
mcfn falls back to. Every extension is optional: without Cython or a compiler the build goes on and mcfn runs the same
modules as Python, only slower. ``MCFN_PURE_PYTHON=1`` makes an installed mcfn ignore its compiled modules
(``mcfn._accelerated``), which is how the tests check that both give bit-identical results.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import Extension, setup

SOURCE = Path(__file__).parent / "src"
#: No contraction of a*b+c into one fused multiply-add: the compiled modules must round exactly as Python does.
C_FLAGS = ["-ffp-contract=off"]


def compiled_extensions() -> list[Extension]:
    """One optional extension per ``src/mcfn/**/X.py`` that has an ``X.pxd`` beside it."""
    try:
        from Cython.Build import cythonize
    except ImportError:  # an sdist built without Cython: pure Python
        return []
    import numpy

    sources = [pxd.with_suffix(".py") for pxd in SOURCE.glob("mcfn/**/*.pxd")] + list(SOURCE.glob("mcfn/**/*.pyx"))
    modules = [
        Extension(
            ".".join(source.relative_to(SOURCE).with_suffix("").parts),
            [str(source.relative_to(SOURCE.parent))],
            include_dirs=[numpy.get_include()],
            define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
            extra_compile_args=C_FLAGS,
        )
        for source in sorted(sources)
    ]
    # The .pxd files alone give C types: annotations in the .py files stay documentation, as in plain Python. A
    # module's Python branch of ``if cython.compiled:`` is unreachable compiled, by design: no warning for it.
    directives = {
        "language_level": 3,
        "annotation_typing": False,
        "binding": True,
        "embedsignature": True,
        "warn.unreachable": False,
    }
    compiled = cythonize(modules, compiler_directives=directives, quiet=True)
    for extension in compiled:  # cythonize's extensions do not keep the flag
        extension.optional = True
    return compiled


setup(ext_modules=compiled_extensions())
