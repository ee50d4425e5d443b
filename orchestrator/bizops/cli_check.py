"""``bizops check``: the warehouse's data-quality checks, their failures with example rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from bizops.cli import EXIT_CODES, PROJECT_DIR, handle_errors, load_project


@click.command(epilog=EXIT_CODES)
@PROJECT_DIR
@click.option(
    "--schema", default=None, envvar="BIZOPS_TRANSFORM_SCHEMA",
    help="Where the transform's layers are (as bizops transform --schema; env: "
    "BIZOPS_TRANSFORM_SCHEMA; default: bizops.yml transform.schema, else public).",
)  # fmt: skip
@click.option(
    "--examples", default=3, show_default=True, type=click.IntRange(0, 100),
    help="How many example rows to show per failed check.",
)  # fmt: skip
@handle_errors
def check(project_dir: Path, schema: str | None, examples: int) -> None:
    """Run the data-quality checks: every dbt test of the analytic layer (keys,
    relationships, accepted values), the reconciliations (Zuora invoices raw vs
    fct_invoice_payment, CrmIds that resolve to no Salesforce account) and the sources'
    freshness. Prints each failure with its count and example rows; recorded in run history
    as the pipeline 'check'."""
    from bizops.check import check as run_check
    from bizops_core.errors import ChecksFailed

    try:
        result = run_check(load_project(project_dir, plugins=False), schema, examples)
    except ChecksFailed as error:
        _report(error.result)
        raise
    _report(result)
    click.echo(f"bizops check: {result.summary()}", err=True)


def _report(result: Any) -> None:
    for finding in (*result.failures, *result.warnings):
        label = "FAIL" if finding.failed else "WARN"
        count = "" if finding.count is None else f" {finding.count} row(s):"
        click.echo(f"{label} {finding.kind} {finding.name}:{count} {finding.message}")
        for row in finding.examples:
            click.echo("    " + ", ".join(f"{key}={value}" for key, value in row.items()))


COMMANDS = (check,)
