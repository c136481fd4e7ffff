"""`actlocally serve`: the web explorer (Shiny for Python) on this machine or a council's intranet."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from actlocally.experiments.cli.common import err_console, fail
from actlocally.model.errors import InputError
from rich.markup import escape


def serve(
    host: Annotated[str, typer.Option(help="address to listen on (0.0.0.0 for an intranet)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="port to listen on")] = 8050,
    outputs: Annotated[Path, typer.Option(help="outputs root: finished comparisons are read from, and runs "
                                          "written to, OUTPUTS/<name>/")] = Path("outputs"),
    workers: Annotated[int, typer.Option(min=0, help="LocalCluster worker processes per run; 0 runs in-process")]
    = 2,
    scheduler: Annotated[str | None, typer.Option(help="address of an existing Dask scheduler, tcp://host:port")]
    = None,
    posterior: Annotated[str, typer.Option(help="parameters per replicate: 'auto', 'none', or an area name / "
                                           "posterior .nc (as for `compare`)")] = "auto",
) -> None:
    """Start the web explorer: compose a scenario, run it against its baseline, compare and download results."""
    import uvicorn
    from actlocally.experiments.explorer.app import make_app
    from actlocally.experiments.explorer.runs import RunSettings

    if outputs.exists() and not outputs.is_dir():
        fail(InputError(outputs, "--outputs", "is a file; give a folder for the comparisons"))
    problem = _cannot_listen(host, port)
    if problem:
        fail(InputError(None, "--port", f"cannot listen on {host}:{port} ({problem}); choose another --port or "
                        "--host"))
    outputs.mkdir(parents=True, exist_ok=True)
    app = make_app(RunSettings(outputs=outputs.resolve(), workers=workers, scheduler=scheduler, posterior=posterior))
    err_console.print(escape(f"actlocally explorer on http://{host}:{port}/ (outputs in {outputs}; Ctrl-C stops it)"),
                      highlight=False)
    uvicorn.run(app, host=host, port=port, log_level="warning")


def _cannot_listen(host: str, port: int) -> str:
    """Why the server could not listen on host:port (in use, no such address), or '' if it can."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        with socket.socket(infos[0][0], socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(infos[0][4])
    except OSError as err:
        return err.strerror or str(err)
    return ""
