"""Printing helpers shared by the commands: JSON on stdout, tables through rich."""

from __future__ import annotations

import json
import sys
from typing import Any


def print_json(document: Any) -> None:
    """Write ``document`` as indented JSON on stdout, followed by a newline."""
    json.dump(document, sys.stdout, indent=2)
    sys.stdout.write("\n")
