"""User-facing errors: one line on stderr and exit status 2, never a traceback."""

from __future__ import annotations


class UserInputError(Exception):
    """Bad input from the user (file, option, value); the message is printed as one line."""


#: Exceptions from the core that mean the user's input was wrong, not that mcfn failed.
def input_error_types() -> tuple[type[BaseException], ...]:
    return (UserInputError, ValueError, FileNotFoundError, PermissionError, IsADirectoryError)
