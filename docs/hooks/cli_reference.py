"""MkDocs hook: the command-line reference, rendered from the ``mcfn`` command itself (every command's help)."""

from __future__ import annotations

from typing import Any

MARKER = "<!-- mcfn-cli-reference -->"


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    if MARKER not in markdown:
        return markdown
    import typer

    from mcfn.cli.app import app

    root = typer.main.get_command(app)
    sections = []
    for path, command in _commands(root, "mcfn"):
        with command.make_context(path, ["--help"], resilient_parsing=True, terminal_width=100) as ctx:
            text = command.get_help(ctx)
        sections.append(f"## `{path}`\n\n```text\n{text}\n```\n")
    return markdown.replace(MARKER, "\n".join(sections))


def _commands(command: Any, path: str) -> list[tuple[str, Any]]:
    if not hasattr(command, "commands"):  # a command, not a group (typer may bring its own click classes)
        return [(path, command)]
    found = []
    for name in sorted(command.commands):
        found += _commands(command.commands[name], f"{path} {name}")
    return found
