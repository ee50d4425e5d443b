"""``bizops metrics``: the latest values of the metrics, with their definitions."""

from __future__ import annotations

from pathlib import Path

import click

from bizops.cli import EXIT_CODES, PROJECT_DIR, handle_errors, load_project


@click.command(epilog=EXIT_CODES)
@PROJECT_DIR
@click.argument("names", nargs=-1)
@click.option(
    "--period", "grain", type=click.Choice(["month", "quarter", "fiscal-year"]),
    default="month", show_default=True, help="Period grain (quarters are fiscal quarters).",
)  # fmt: skip
@click.option("--last", default=1, show_default=True, help="How many of the latest periods.")
@click.option(
    "--by", "dimension", default="total", show_default=True,
    help="Breakdown, where the metric has one (e.g. channel).",
)  # fmt: skip
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
    show_default=True, help="Output on stdout.",
)  # fmt: skip
@click.option("--catalog", is_flag=True, help="Print the metric catalog instead of values.")
@click.option(
    "--schema", default=None, envvar="BIZOPS_TRANSFORM_SCHEMA",
    help="The transform schema (as for bizops transform; default: bizops.yml, else public).",
)  # fmt: skip
@handle_errors
def metrics(
    project_dir: Path,
    names: tuple[str, ...],
    grain: str,
    last: int,
    dimension: str,
    fmt: str,
    catalog: bool,
    schema: str | None,
) -> None:
    """The latest values of NAMES (default: every built metric) per period, with the one-line
    definition of each; `--catalog` lists every metric, built or awaiting its source."""
    from bizops import metric_catalog
    from bizops import metrics as lib

    entries = metric_catalog.load()
    if catalog:
        click.echo(lib.catalog_table(entries), nl=False)
        return
    shown, notes = lib.choose(entries, names, grain)
    project = load_project(project_dir, plugins=False)
    from bizops.warehouse import resolve_database_url

    url = resolve_database_url(project.root, project.database_url)
    schema = schema or project.transform_schema or "public"
    values = lib.read(url, schema, shown, grain, last, dimension)
    render = {"table": lib.table, "csv": lib.as_csv, "json": lib.as_json}[fmt]
    if shown:
        click.echo(render(shown, values), nl=False)
    for note in notes:
        click.echo(f"bizops metrics: {note}", err=True)


COMMANDS = (metrics,)
