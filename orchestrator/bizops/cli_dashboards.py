"""``bizops dashboards up|down|status|export``: Superset with the dashboards of the repo."""

from __future__ import annotations

from pathlib import Path

import click

from bizops.cli import EXIT_CODES, PROJECT_DIR, handle_errors, load_project


@click.group()
def dashboards() -> None:
    """Apache Superset with one dashboard per department, provisioned from the repo's files.

    Secrets come from the environment: BIZOPS_SUPERSET_ADMIN_PASSWORD (required by `up`),
    BIZOPS_SUPERSET_ADMIN_USER (default admin), SUPERSET_SECRET_KEY (default: one generated
    once and kept in .bizops/superset/secret_key, mode 0600).
    """


@dashboards.command("up", epilog=EXIT_CODES)
@PROJECT_DIR
@click.option(
    "--port", default=8088, show_default=True, envvar="BIZOPS_SUPERSET_PORT",
    help="Port to serve on, on 127.0.0.1 (env: BIZOPS_SUPERSET_PORT).",
)  # fmt: skip
@handle_errors
def dashboards_up(project_dir: Path, port: int) -> None:
    """Install Superset into .bizops/superset (first time, or when its pins change), import the
    dashboards (again: updated in place) and serve them in the background."""
    from bizops import superset

    project = load_project(project_dir, plugins=False)
    result = superset.up(project, port)
    verb = "started" if result.started else "already running, dashboards updated"
    click.echo(f"Superset {verb} (pid {result.pid}) in {result.seconds:.0f}s")
    click.echo(f"dashboards: {', '.join(result.dashboards)}")
    click.echo(result.url)


@dashboards.command("down")
@PROJECT_DIR
@handle_errors
def dashboards_down(project_dir: Path) -> None:
    """Stop the project's Superset (its metadata and venv are kept)."""
    from bizops import superset_serve

    stopped = superset_serve.stop(superset_serve.Home.of(project_dir))
    click.echo("Superset stopped" if stopped else "Superset was not running")


@dashboards.command("status")
@PROJECT_DIR
@handle_errors
def dashboards_status(project_dir: Path) -> None:
    """Whether Superset is installed and serving, and where."""
    from bizops import superset_serve

    state = superset_serve.status(project_dir)
    installed = "installed" if state.installed else "not installed"
    if state.pid:
        click.echo(f"running\tpid {state.pid}\t{state.url}\t{installed}")
    else:
        click.echo(f"stopped\t{installed}")


@dashboards.command("export")
@PROJECT_DIR
@click.option(
    "--out", "-o", type=click.Path(dir_okay=False, path_type=Path),
    default=Path("dashboards.zip"), show_default=True, help="Zip file to write.",
)  # fmt: skip
@handle_errors
def dashboards_export(project_dir: Path, out: Path) -> None:
    """Write the dashboards bundle that `up` imports (Superset's v1 export format) to OUT;
    `superset import-dashboards -p OUT` loads it into any Superset."""
    from bizops import superset

    project = load_project(project_dir, plugins=False)
    click.echo(superset.export(project, out))


COMMANDS = (dashboards,)
