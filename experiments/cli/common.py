"""What every command shares: the two consoles and the one way a command fails on bad input (exit 2)."""

from __future__ import annotations

from pathlib import Path

import typer
from actlocally.model.errors import InputError
from rich.console import Console
from rich.markup import escape

console = Console()
err_console = Console(stderr=True)


def plain(value: object) -> str:
    """User text (names, labels, paths) for a Rich string: shown as written, never read as markup."""
    return escape(str(value))


def check_output_file(path: Path | None, option: str) -> None:
    """An output file path that can be written: not a folder, its parent not a file (checked before any run)."""
    if path is None:
        return
    if path.is_dir():
        raise InputError(path, option, "is a folder; give a file path for the results")
    parent = next((p for p in path.parents if p.exists()), None)
    if parent is not None and not parent.is_dir():
        raise InputError(path, option, f"cannot be written: {parent} is a file, not a folder")


def fail(err: InputError) -> None:
    """Print one error line (user text is never read as markup) and exit with code 2."""
    err_console.print(f"[bold red]error:[/] {escape(str(err))}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)
