"""``bizops run`` and ``bizops cron``: run pipelines now, or whichever are due."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from bizops.cli import EXIT_CODES, PROJECT_DIR, handle_errors, load_project

LOG_FORMAT = click.option(
    "--log-format",
    type=click.Choice(["auto", "plain", "json"]),
    default="auto",
    show_default=True,
    envvar="BIZOPS_LOG_FORMAT",
    help="Progress on stderr: auto = live counts on a terminal, timestamped lines otherwise; "
    "json = one JSON object per event (env: BIZOPS_LOG_FORMAT).",
)


def _progress(log_format: str) -> Any:
    from bizops.progress import for_stream

    return for_stream(click.get_text_stream("stderr"), log_format)


def _finish(batch: Any) -> None:
    """Print failures and skips, then exit with the batch's code."""
    for result in batch.results:
        if result.error is not None:
            click.echo(f"bizops: {result.pipeline}: {result.error}", err=True)
    if batch.transform is not None:
        click.echo(f"bizops: transform: {batch.transform.summary()}", err=True)
    for name, teams in batch.digests.items():
        click.echo(f"bizops: {name}: sent {', '.join(teams)} to its Slack webhook", err=True)
    for name, reason in batch.skipped.items():
        click.echo(f"bizops: {name}: skipped ({reason})", err=True)
    for error in batch.errors.values():
        from bizops_core.errors import describe

        click.echo(f"bizops: {describe(error)}", err=True)
    sys.exit(batch.exit_code)


@click.command(epilog=EXIT_CODES)
@PROJECT_DIR
@click.argument("pipelines", nargs=-1)
@click.option("--all", "run_all", is_flag=True, help="Run every pipeline of the project.")
@click.option("--full-refresh", is_flag=True, help="Ignore bookmarks (of --stream only, if given).")
@click.option("--stream", "streams", multiple=True, help="Only this stream (repeatable).")
@click.option("--dry-run", is_flag=True, help="Print commands and config (secrets masked); exit.")
@LOG_FORMAT
@handle_errors
def run(
    project_dir: Path,
    pipelines: tuple[str, ...],
    run_all: bool,
    full_refresh: bool,
    streams: tuple[str, ...],
    dry_run: bool,
    log_format: str,
) -> None:
    """Run PIPELINES (names from bizops.yml) one after the other, or --all."""
    from bizops.ops import run_many
    from bizops.plan import RunOptions
    from bizops_core.errors import ConfigurationError

    project = load_project(project_dir)
    names = sorted(project.pipelines) if run_all else list(pipelines)
    if not names or (run_all and pipelines):
        raise ConfigurationError("name one or more pipelines, or give --all (not both)")
    options = RunOptions(full_refresh=full_refresh, streams=streams, dry_run=dry_run)
    if dry_run:
        from bizops.runner import Runner

        runner = Runner(project, start=False)  # a dry run starts nothing
        for name in names:
            plan = runner.plan(name, options).redacted(project.redactor)
            click.echo(json.dumps(plan, indent=2, default=str))
        return
    _finish(run_many(project, names, options, _progress(log_format)))


@click.command(epilog=EXIT_CODES)
@PROJECT_DIR
@LOG_FORMAT
@handle_errors
def cron(project_dir: Path, log_format: str) -> None:
    """Run every scheduled pipeline that is due, once, then exit (safe to call every minute)."""
    from bizops.ops import cron as run_due

    batch = run_due(load_project(project_dir), _progress(log_format))
    if not batch.results and not batch.errors and not batch.digests:
        click.echo("bizops cron: nothing due", err=True)
    _finish(batch)


COMMANDS = (run, cron)
