"""What every command shares: the two consoles and the one way a command fails on bad input (exit 2)."""

from __future__ import annotations

import typer
from actlocally.model.errors import InputError
from rich.console import Console
from rich.markup import escape

console = Console()
err_console = Console(stderr=True)


def fail(err: InputError) -> None:
    """Print one error line (user text is never read as markup) and exit with code 2."""
    err_console.print(f"[bold red]error:[/] {escape(str(err))}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)
