"""User-facing errors: one line on stderr and exit status 2, never a traceback; and the checks of options that
typer's types cannot express (finite numbers, options that belong to another option)."""

from __future__ import annotations

import math

import click
import typer


class UserInputError(Exception):
    """Bad input from the user (file, option, value); the message is printed as one line."""


#: Exceptions from the core that mean the user's input was wrong, not that mcfn failed.
def input_error_types() -> tuple[type[BaseException], ...]:
    return (UserInputError, ValueError, FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError)


def finite(value: float | None) -> float | None:
    """A typer callback: the option's value must be a finite number (``inf`` and ``nan`` parse as floats)."""
    if value is not None and not math.isfinite(value):
        raise typer.BadParameter(f"must be a finite number, got {value}")
    return value


def given(ctx: click.Context, *names: str) -> list[str]:
    """The options among ``names`` (parameter names) that the command line set, as ``--option-name``s."""
    return [
        "--" + name.replace("_", "-")
        for name in names
        if getattr(ctx.get_parameter_source(name), "name", None) == "COMMANDLINE"  # typer may bring its own click
    ]


def require(ctx: click.Context, switch: str, on: bool, *names: str) -> None:
    """Refuse options that only mean something with ``switch`` (``--measure``, ``--generate``) when it is off."""
    if not on and (stray := given(ctx, *names)):
        verb = "applies" if len(stray) == 1 else "apply"
        raise UserInputError(f"{', '.join(stray)} only {verb} with {switch}; add {switch} or drop them")
