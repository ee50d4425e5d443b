"""Project commands: init, schedule, discover, select, config, plugins, test and demo."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from bizops.cli import PROJECT_DIR, handle_errors, load_project


@click.command()
@PROJECT_DIR
@click.option("--force", is_flag=True, help="Overwrite an existing bizops.yml.")
@handle_errors
def init(project_dir: Path, force: bool) -> None:
    """Write a commented starter bizops.yml (and a .gitignore for .bizops/)."""
    from bizops.ops import init as write_starter

    click.echo(f"wrote {write_starter(project_dir, force)}")


@click.group()
def schedule() -> None:
    """The pipelines' schedules: list them, or render them for cron or GitLab CI."""


@schedule.command("list")
@PROJECT_DIR
@handle_errors
def schedule_list(project_dir: Path) -> None:
    """Each scheduled pipeline, its cron expression, last start and next due time."""
    from bizops.runner import Runner
    from bizops.schedule import rows

    project = load_project(project_dir)
    with Runner(project).store() as store:
        names = [*project.pipelines, *(d.run_name for d in project.digests.values())]
        last = {name: store.last_started(name) for name in names}
    click.echo("pipeline\tschedule\tlast started\tnext due")
    for row in rows(project, last, datetime.now(UTC)):
        started = row.last_started.isoformat(timespec="seconds") if row.last_started else "never"
        due = "now" if row.due else row.next_due.isoformat(timespec="seconds")
        click.echo(f"{row.pipeline}\t{row.schedule}\t{started}\t{due}")


@schedule.command("crontab")
@PROJECT_DIR
@handle_errors
def schedule_crontab(project_dir: Path) -> None:
    """Print a crontab block calling `bizops cron` every minute (add it with `crontab -e`).

    Needs no ${VAR} of bizops.yml to be set."""
    from bizops.schedule import crontab, load_unresolved

    click.echo(crontab(load_unresolved(project_dir)[0]), nl=False)


@schedule.command("gitlab-ci")
@PROJECT_DIR
@click.option(
    "--write",
    is_flag=True,
    help="Save it as .gitlab-ci.yml in the project folder instead of printing it (a "
    ".gitlab-ci.yml that bizops did not write is never replaced).",
)
@click.option(
    "--pip-spec",
    envvar="BIZOPS_PIP_SPEC",
    help="What the job pip-installs bizops from when its image has none "
    "[default: bizops==<this version>] (env: BIZOPS_PIP_SPEC).",
)
@handle_errors
def schedule_gitlab_ci(project_dir: Path, write: bool, pip_spec: str | None) -> None:
    """Print a .gitlab-ci.yml with one scheduled job per scheduled pipeline (or --write it).

    The jobs install bizops, check that the CI/CD variable BIZOPS_DATABASE_URL names the
    warehouse (state and history live there) and run the pipeline. Needs no ${VAR} of
    bizops.yml to be set: the file lists them as CI/CD variables to define."""
    from bizops.schedule import gitlab_ci, load_unresolved, write_gitlab_ci

    project, variables = load_unresolved(project_dir)
    text = gitlab_ci(project, variables, pip_spec)
    if write:
        click.echo(f"wrote {write_gitlab_ci(project.root, text)}")
    else:
        click.echo(text, nl=False)


@click.command()
@PROJECT_DIR
@click.argument("tap")
@click.option("--write", is_flag=True, help="Save the catalog as catalogs/<tap>.json.")
@handle_errors
def discover(project_dir: Path, tap: str, write: bool) -> None:
    """Run TAP's discovery; print the catalog, or write it into catalogs/."""
    from bizops import catalog, plugins

    project = load_project(project_dir)
    plugin = project.plugin(tap)
    found = catalog.discover(project, plugin, plugin.config, plugins.executable(project, plugin))
    if write:
        path = catalog.catalog_path(project, plugin.name)
        catalog.write_catalog(path, found)
        click.echo(f"wrote {path} ({len(found['streams'])} streams)")
    else:
        click.echo(json.dumps(found, indent=2))


@click.command("select")
@PROJECT_DIR
@click.argument("pipeline")
@click.argument("stream")
@click.argument("fields", nargs=-1)
@click.option("--exclude", is_flag=True, help="Exclude the stream's FIELDS instead.")
@handle_errors
def select_command(
    project_dir: Path, pipeline: str, stream: str, fields: tuple[str, ...], exclude: bool
) -> None:
    """Select STREAM (all fields, or FIELDS) of PIPELINE's tap in bizops.yml."""
    from bizops.ops import select

    patterns = select(load_project(project_dir), pipeline, stream, fields, exclude)
    click.echo(f"{pipeline}: select {json.dumps(patterns)}")


@click.command()
@PROJECT_DIR
@click.argument("pipeline")
@handle_errors
def config(project_dir: Path, pipeline: str) -> None:
    """The resolved configs of PIPELINE's tap and target (secrets shown as ***)."""
    from bizops.plan import RunOptions
    from bizops.runner import Runner

    project = load_project(project_dir)
    # Showing configs starts nothing: no pip install, no discovery, no embedded warehouse.
    plan = Runner(project, start=False).plan(pipeline, RunOptions(dry_run=True))
    plan = plan.redacted(project.redactor)
    shown = {k: plan[k] for k in ("pipeline", "tap_config", "target_config", "streams")}
    click.echo(json.dumps(shown, indent=2, default=str))


@click.command()
@PROJECT_DIR
@handle_errors
def plugins(project_dir: Path) -> None:
    """Installed taps and targets (entry points) and those configured in bizops.yml."""
    from bizops.plugins import list_plugins

    for info in list_plugins(load_project(project_dir)):
        click.echo(f"{info.kind}\t{info.name}\t{info.source}\t{info.executable or 'not installed'}")


@click.command("test")
@PROJECT_DIR
@click.argument("pipeline")
@handle_errors
def test_command(project_dir: Path, pipeline: str) -> None:
    """Check PIPELINE: the tap authenticates and discovers, the target and warehouse are there."""
    from bizops.ops import test_pipeline

    checks = test_pipeline(load_project(project_dir), pipeline)
    for check in checks:
        click.echo(f"{'ok' if check.ok else 'FAILED':<7}{check.name:<10} {check.detail}")
    if not all(check.ok for check in checks):
        sys.exit(2)


@click.command()
@click.option(
    "--project-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".bizops/demo"),
    show_default=True,
    help="Where the demo writes its bizops.yml, warehouse and logs.",
)
@handle_errors
def demo(project_dir: Path) -> None:
    """Run the platform on the sandbox: load Zuora data, mutate the world, load again."""
    from bizops.demo import run_demo

    click.echo(run_demo(project_dir).render())


COMMANDS = (
    init,
    schedule,
    discover,
    select_command,
    config,
    plugins,
    test_command,
    demo,
)
