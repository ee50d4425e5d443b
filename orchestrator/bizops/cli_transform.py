"""``bizops transform``: build the analytic layer (the shipped dbt project) in the warehouse."""

from __future__ import annotations

from pathlib import Path

import click

from bizops.cli import EXIT_CODES, PROJECT_DIR, handle_errors, load_project


@click.command(epilog=EXIT_CODES)
@PROJECT_DIR
@click.option(
    "--select", "-s", "select", multiple=True,
    help="dbt node selection (repeatable), e.g. staging or +dim_account; default: everything.",
)  # fmt: skip
@click.option("--full-refresh", is_flag=True, help="Rebuild incremental models from scratch.")
@click.option(
    "--schema", default=None, envvar="BIZOPS_TRANSFORM_SCHEMA",
    help="Where the layers land: schemas staging, common and metrics for public, else "
    "<schema>_staging, <schema>_common and <schema>_metrics (env: BIZOPS_TRANSFORM_SCHEMA; "
    "default: bizops.yml transform.schema, else public).",
)  # fmt: skip
@handle_errors
def transform(
    project_dir: Path, select: tuple[str, ...], full_refresh: bool, schema: str | None
) -> None:
    """Run dbt (build: models, then their tests) on the warehouse; dbt's log on stderr."""
    from bizops.transform import transform as run_transform

    result = run_transform(load_project(project_dir, plugins=False), select, full_refresh, schema)
    click.echo(f"bizops transform: {result.summary()}", err=True)


COMMANDS = (transform,)
