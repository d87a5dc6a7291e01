"""Reading JSON documents at the boundary: one-line errors that name the file and the offending field.

Shared by the layer-graph and tier readers (``mcfn.models.io``, ``mcfn.partition.tiers``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError


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


def first_error(exc: ValidationError) -> str:
    """The first problem of a pydantic validation error as ``field.path[3]: message (N problems in all)``."""
    err = exc.errors(include_url=False)[0]
    loc = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in err["loc"]).lstrip(".")
    message = str(err["msg"]).removeprefix("Value error, ")
    where = f"{loc}: " if loc else ""
    extra = f" ({exc.error_count()} problems in all)" if exc.error_count() > 1 else ""
    return f"{where}{message}{extra}"
