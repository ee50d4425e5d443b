"""``bizops warehouse status|stop``: the project's embedded PostgreSQL servers."""

from __future__ import annotations

from pathlib import Path

import click

from bizops.cli import PROJECT_DIR, handle_errors

ALL = click.option(
    "--all",
    "every",
    is_flag=True,
    help="Every embedded server under the project's .bizops/ (e.g. the tests' and the demo's), "
    "not only .bizops/pg.",
)


def _servers(project_dir: Path, every: bool) -> list[Path]:
    from bizops.warehouse import EMBEDDED_DIR, find_embedded

    if every:
        return find_embedded(Path(project_dir) / ".bizops")
    return [(Path(project_dir) / EMBEDDED_DIR).resolve()]


@click.group()
def warehouse() -> None:
    """The embedded PostgreSQL that bizops starts when no warehouse URL is configured."""


@warehouse.command("status")
@PROJECT_DIR
@ALL
@handle_errors
def warehouse_status(project_dir: Path, every: bool) -> None:
    """Whether the embedded PostgreSQL runs (without starting it), its pid and URL."""
    import os

    from bizops.warehouse import ENV_VAR, embedded_status

    if os.environ.get(ENV_VAR):
        click.echo(f"{ENV_VAR} is set: runs use that warehouse, not an embedded one")
    for pgdata in _servers(project_dir, every):
        server = embedded_status(pgdata)
        if server.pid is not None:
            click.echo(f"{pgdata}\trunning\tpid {server.pid}\t{server.url}")
        elif (pgdata / "postgresql.conf").is_file():
            click.echo(f"{pgdata}\tstopped")
        else:
            click.echo(f"{pgdata}\tnone (created by the first command that needs it)")


@warehouse.command("stop")
@PROJECT_DIR
@ALL
@handle_errors
def warehouse_stop(project_dir: Path, every: bool) -> None:
    """Stop the embedded PostgreSQL (its data is kept; the next command starts it again)."""
    from bizops.warehouse import stop_embedded

    for pgdata in _servers(project_dir, every):
        click.echo(f"{pgdata}\t{'stopped' if stop_embedded(pgdata) else 'was not running'}")


COMMANDS = (warehouse,)
