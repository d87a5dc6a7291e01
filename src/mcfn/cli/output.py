"""Printing helpers shared by the commands: JSON on stdout, tables through rich."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Sequence
from itertools import count
from pathlib import Path
from typing import Any

from mcfn.cli.errors import UserInputError


def print_json(document: Any) -> None:
    """Write ``document`` as indented, standard JSON on stdout, followed by a newline; an infinite or NaN number
    (no JSON value) is written as ``null``."""
    json.dump(finite_json(document), sys.stdout, indent=2, allow_nan=False)
    sys.stdout.write("\n")


def finite_json(document: Any) -> Any:
    """``document`` with every infinite or NaN float replaced by ``None`` (JSON's ``null``)."""
    if isinstance(document, float):
        return document if math.isfinite(document) else None
    if isinstance(document, dict):
        return {key: finite_json(value) for key, value in document.items()}
    if isinstance(document, list | tuple):
        return [finite_json(value) for value in document]
    return document


def output_folder(out: Path, names: Sequence[str], *, force: bool) -> Path:
    """The folder a run writes its files ``names`` into: ``out``, unless it holds any of them from an earlier run
    (and not ``force``): then the first ``out-2``, ``out-3``, … beside it that holds none, so that an earlier run's
    outputs are never overwritten silently. Checked before any work starts: ``out`` (or a folder above it) that is
    a file is an error."""
    _check_folder(out)
    if force or not _taken(out, names):
        return out
    return next(free for k in count(2) if not _taken(free := out.with_name(f"{out.name}-{k}"), names))


def output_files(out: Path, names: Sequence[str], *, force: bool) -> None:
    """Refuse to overwrite any of the files ``names`` in folder ``out`` without ``force``; ``out`` (or a folder
    above it) that is a file is an error. Checked before any work starts."""
    _check_folder(out)
    if not force and (taken := _taken(out, names)):
        raise UserInputError(f"--out {out}: {', '.join(taken)} exist already; add --force to overwrite them")


def _check_folder(out: Path) -> None:
    for folder in (out, *out.parents):
        if folder.exists():
            if not folder.is_dir():
                raise UserInputError(f"--out {out}: {folder} is a file, not a folder")
            return


def _taken(out: Path, names: Sequence[str]) -> list[str]:
    return [name for name in names if (out / name).exists()]
