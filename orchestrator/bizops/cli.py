"""The ``bizops`` command line: thin click commands over the library (imports are lazy so
``bizops --help`` starts fast)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

PROJECT_DIR = click.option(
    "--project-dir",
    "-p",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    envvar="BIZOPS_PROJECT_DIR",
    help="Folder holding bizops.yml (env: BIZOPS_PROJECT_DIR).",
)

EXIT_CODES = """
Exit codes: 0 success, 1 unexpected error, 2 configuration error, 3 the tap failed,
4 the target failed, 5 the pipeline is already running, 6 interrupted.
"""


def _fail(error: Exception) -> None:
    from bizops_core.errors import BizOpsError, describe

    code = error.exit_code if isinstance(error, BizOpsError) else 1
    click.echo(f"bizops: {describe(error)}", err=True)
    sys.exit(code)


def _load(project_dir: Path) -> Any:
    from bizops.project import load

    return load(project_dir)


@click.group(help="Run Singer tap|target pipelines with state, locks and run history.")
@click.version_option(package_name="bizops")
@click.option("--log-level", default="INFO", show_default=True, envvar="BIZOPS_LOG_LEVEL")
def main(log_level: str) -> None:
    from bizops_core import log

    log.setup(log_level.upper())


@main.command(epilog=EXIT_CODES)
@PROJECT_DIR
@click.argument("pipelines", nargs=-1, required=True)
def run(project_dir: Path, pipelines: tuple[str, ...]) -> None:
    """Run PIPELINES (names from bizops.yml) one after the other."""
    from bizops_core.errors import BizOpsError

    try:
        from bizops.runner import Runner

        runner = Runner(_load(project_dir))
        for name in pipelines:
            result = runner.run(name)
            counts = ", ".join(f"{s}={n}" for s, n in sorted(result.record_counts.items()))
            click.echo(
                f"{name}: run {result.run_id} {result.status} in {result.seconds:.1f}s "
                f"({counts or 'no records'}); log: {result.log_path}",
                err=True,
            )
            if result.error is not None:
                _fail(result.error)
    except BizOpsError as error:
        _fail(error)


@main.group()
def state() -> None:
    """Show or change stored pipeline state."""


@state.command("show")
@PROJECT_DIR
@click.argument("pipeline")
def state_show(project_dir: Path, pipeline: str) -> None:
    """Print the stored state of PIPELINE as JSON (null when it has none)."""
    from bizops_core.errors import BizOpsError

    try:
        from bizops.runner import Runner

        runner = Runner(_load(project_dir))
        runner.project.pipeline(pipeline)
        store = runner.store()
        try:
            click.echo(json.dumps(store.get_state(pipeline), indent=2, sort_keys=True))
        finally:
            store.close()
    except BizOpsError as error:
        _fail(error)


@main.command()
@click.option(
    "--project-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".bizops/demo"),
    show_default=True,
    help="Where the demo writes its bizops.yml, warehouse and logs.",
)
def demo(project_dir: Path) -> None:
    """Run the platform on the sandbox: load Zuora data, mutate the world, load again."""
    from bizops_core.errors import BizOpsError

    try:
        from bizops.demo import run_demo

        report = run_demo(project_dir)
    except BizOpsError as error:
        _fail(error)
    click.echo(report.render())
