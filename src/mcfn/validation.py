"""Validation at the I/O boundary: reading JSON, the strict pydantic base model and one-line error messages.

Every file format mcfn reads (instances, layer graphs, tiers, topologies, scenarios) validates through models
derived from :class:`StrictModel` and reports the first problem with :func:`validation_message`, so all commands
name a bad field the same way: ``tasks[3].accuracy.p: must exceed min_accuracy (0.55) (2 problems in all)``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

T = TypeVar("T")


class StrictModel(BaseModel):
    """Base of the boundary models: unknown fields, NaN and infinities are errors; values are frozen."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)


def validation_message(exc: ValidationError) -> str:
    """pydantic's first error as one line, ``field.path[3].name: message (N problems in all)``."""
    err = exc.errors(include_url=False)[0]
    loc = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in err["loc"]).lstrip(".")
    message = str(err["msg"]).removeprefix("Value error, ")
    extra = f" ({exc.error_count()} problems in all)" if exc.error_count() > 1 else ""
    return f"{loc + ': ' if loc else ''}{message}{extra}"


def read_json(path: str | Path, error: type[ValueError]) -> Any:
    """Decode the JSON file at ``path``; unreadable or malformed files raise ``error`` naming the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise error(f"{path} is not valid JSON: {exc}") from None


def load_json(path: str | Path, parse: Callable[[Any], T], error: type[ValueError]) -> T:
    """Read the JSON file at ``path`` and build its value with ``parse``; every ``error`` names the file."""
    document = read_json(path, error)
    try:
        return parse(document)
    except error as exc:
        raise error(f"{path}: {exc}") from None
