"""``bizops report`` (an offline HTML file of the department charts) and ``bizops digest``
(the teams' KPIs to Slack)."""

from __future__ import annotations

from pathlib import Path

import click

from bizops.cli import EXIT_CODES, PROJECT_DIR, handle_errors, load_project

SCHEMA = click.option(
    "--schema", default=None, envvar="BIZOPS_TRANSFORM_SCHEMA",
    help="The transform schema (as for bizops transform; default: bizops.yml, else public).",
)  # fmt: skip


@click.command(epilog=EXIT_CODES)
@PROJECT_DIR
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), default=Path("report.html"),
    show_default=True, help="The HTML file to write (replaced whole).",
)  # fmt: skip
@click.option(
    "--period", "grain", type=click.Choice(["month", "quarter", "fiscal-year"]),
    default="quarter", show_default=True, help="Period grain (quarters are fiscal quarters).",
)  # fmt: skip
@click.option(
    "--last", default=8, show_default=True, type=click.IntRange(1, 1000),
    help="How many of the latest periods each chart shows.",
)  # fmt: skip
@SCHEMA
@handle_errors
def report(project_dir: Path, out: Path, grain: str, last: int, schema: str | None) -> None:
    """Write one self-contained HTML file (no network needed to view it) with the Executive,
    Sales, Marketing and Finance charts of the metrics: ARR bridge, ARR and customers,
    funnel, win rate, cost per lead and CAC by channel, LTV:CAC, magic number, with the
    seeds' targets drawn. Recorded in run history as the pipeline 'report'."""
    from bizops.report_html import write_report

    result = write_report(load_project(project_dir, plugins=False), out, grain, last, schema)
    click.echo(
        f"bizops report: wrote {result.path} ({result.size / 1e6:.1f} MB, {result.charts} "
        f"charts, {result.notes} notes) in {result.seconds:.1f}s",
        err=True,
    )


@click.command(epilog=EXIT_CODES)
@PROJECT_DIR
@click.option(
    "--name", default=None,
    help="A digest declared under digests: in bizops.yml (its webhook, teams, period, link; "
    "options given here override them).",
)  # fmt: skip
@click.option(
    "--webhook", envvar="SLACK_WEBHOOK_URL", default=None, show_envvar=True,
    help="The Slack incoming webhook URL (a secret: prefer the environment variable).",
)  # fmt: skip
@click.option("--dry-run", is_flag=True, help="Print the messages' JSON instead of posting.")
@click.option(
    "--team", "teams", multiple=True, type=click.Choice(["sales", "marketing", "finance"]),
    help="A team to send (repeatable; default: all three).",
)  # fmt: skip
@click.option(
    "--period", "grain", type=click.Choice(["month", "quarter", "fiscal-year"]),
    default="quarter", show_default=True, help="Period grain (quarters are fiscal quarters).",
)  # fmt: skip
@click.option(
    "--link", envvar="BIZOPS_DASHBOARD_LINK", default=None, show_envvar=True,
    help="The dashboard or report URL each message links to.",
)  # fmt: skip
@SCHEMA
@click.pass_context
@handle_errors
def digest(
    ctx: click.Context, project_dir: Path, name: str | None, webhook: str | None,
    dry_run: bool, teams: tuple[str, ...], grain: str, link: str | None, schema: str | None,
) -> None:  # fmt: skip
    """Post each team's KPIs (sales, marketing, finance) to Slack: the latest complete
    period's value, the change on the period before, and whether it meets the seeds' target
    (sales efficiency > 0.8, pipeline coverage > 3, magic number > 0.7, program/total spend
    > 0.5, LTV:CAC > 3). Retries 429 and 5xx a few times; a refusal fails with Slack's
    message. Recorded in run history as 'digest' ('digest:NAME' with --name); `bizops cron`
    sends the digests of bizops.yml that have a schedule when they are due."""
    import json

    from bizops.digest import TEAMS
    from bizops.digest import digest as run_digest
    from bizops_core.errors import ConfigurationError

    project = load_project(project_dir, plugins=False)
    entry = None
    if name is not None:
        entry = project.digests.get(name)
        if entry is None:
            known = ", ".join(sorted(project.digests)) or "none"
            raise ConfigurationError(f"bizops.yml: no digest named {name!r} (known: {known})")

        def given(param: str) -> bool:
            return ctx.get_parameter_source(param) == click.core.ParameterSource.COMMANDLINE

        webhook = webhook if given("webhook") else entry.webhook
        teams = teams or entry.teams
        grain = grain if given("grain") else entry.period
        link = link if given("link") else entry.link or link
    chosen = teams or tuple(TEAMS)
    result = run_digest(project, webhook, chosen, grain, schema, link, dry_run, entry)
    if dry_run:
        click.echo(json.dumps([payload for _, payload in result.messages], indent=2))
        return
    click.echo(f"bizops digest: sent {', '.join(result.sent)} to the Slack webhook", err=True)


COMMANDS = (report, digest)
