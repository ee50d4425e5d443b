"""``bizops digest``: each team's KPIs of the latest complete period (value, change on the
period before, the seeds' target met or not) as one Slack Block Kit message per team."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from bizops import metrics as lib
from bizops.metric_catalog import Metric
from bizops.report import parse_target

PIPELINE = "digest"  # its name in run history (bizops.runs)
# The seeds' department KPIs (GitLab handbook, "Department metrics"), in message order.
TEAMS: dict[str, tuple[str, ...]] = {
    "sales": ("iacv", "win_rate_count", "sales_efficiency", "pipeline_coverage"),
    "marketing": ("leads", "cost_per_lead", "cac", "ltv_to_cac", "program_spend_share"),
    "finance": ("arr", "net_new_arr", "magic_number", "runway_months", "rule_of_40"),
}
GRAIN_WORD = {"month": "Month", "quarter": "Quarter", "fiscal-year": "Fiscal year"}


@dataclass(frozen=True)
class Kpi:
    """One KPI line: the latest complete period's value, the one before, the target."""

    metric: Metric | None
    name: str
    value: Decimal | None = None
    previous: Decimal | None = None
    note: str = ""  # why there is no value (awaiting its source, not built at this grain, ...)

    @property
    def label(self) -> str:
        return self.metric.label if self.metric else self.name

    @property
    def met(self) -> bool | None:
        """Whether the value meets the catalog's target (None: no target or no value)."""
        target = parse_target(self.metric.target if self.metric else None)
        if target is None or self.value is None:
            return None
        return target.met(self.value)


@dataclass(frozen=True)
class Period:
    """The period a digest reports, and the one its changes compare with."""

    label: str
    start: date
    end: date
    previous: str | None


def latest_complete(values: Sequence[lib.Value]) -> Period | None:
    """The latest complete period among ``values``, with the complete one before it."""
    done = sorted({(v.period_start, v.period_end, v.period) for v in values if v.complete})
    if not done:
        return None
    start, end, label = done[-1]
    return Period(label, start, end, done[-2][2] if len(done) > 1 else None)


def team_kpis(
    catalog: Sequence[Metric], grain: str, values: Sequence[lib.Value], period: Period | None
) -> dict[str, list[Kpi]]:
    """Each team's KPIs at ``period`` (values of the total, not a breakdown)."""
    by_name = {m.name: m for m in catalog}
    cells = {(v.metric, v.period): v.value for v in values}
    teams: dict[str, list[Kpi]] = {}
    for team, names in TEAMS.items():
        kpis = []
        for name in names:
            metric = by_name.get(name)
            if metric is None:
                kpis.append(Kpi(None, name, note="not in the metric catalog"))
            elif not metric.built:
                kpis.append(Kpi(metric, name, note=f"awaiting source: {metric.awaiting}"))
            elif grain not in metric.grains:
                kpis.append(Kpi(metric, name, note=f"given by {', '.join(metric.grains)} only"))
            elif period is None or (name, period.label) not in cells:
                kpis.append(Kpi(metric, name, note="no value for this period in metric_values"))
            else:
                previous = cells.get((name, period.previous)) if period.previous else None
                kpis.append(Kpi(metric, name, cells[(name, period.label)], previous))
        teams[team] = kpis
    return teams


def number(value: Decimal, unit: str, signed: bool = False) -> str:
    """A value as people read it: money with cents, counts whole, ratios as stored."""
    sign = "+" if signed and value > 0 else "-" if value < 0 else ""
    value = abs(value)
    if unit == "usd":
        return f"{sign}${value:,.2f}"
    if unit == "count" and value == value.to_integral_value():
        return f"{sign}{value:,.0f}"
    text = f"{value.normalize():f}"
    return f"{sign}{text} days" if unit == "days" else f"{sign}{text}"


def _line(kpi: Kpi, period: Period | None) -> str:
    metric = kpi.metric
    target = metric.target if metric else None
    if kpi.note:
        wants = f"; target {target}" if target else ""
        return f"*{kpi.label}*\n:hourglass: {kpi.note}{wants}"
    unit = metric.unit if metric else ""
    shown = "undefined" if kpi.value is None else number(kpi.value, unit)
    before = period.previous if period else None
    if before is None:
        change = ""
    elif kpi.previous is None:
        change = f" ({before}: undefined)"
    elif kpi.value is None:
        change = f" ({before}: {number(kpi.previous, unit)})"
    else:
        change = f" ({number(kpi.value - kpi.previous, unit, signed=True)} vs {before})"
    status = {True: f":white_check_mark: meets target ({target})",
              False: f":x: misses target ({target})", None: ""}[kpi.met]  # fmt: skip
    return "\n".join(part for part in (f"*{kpi.label}*", shown + change, status) if part)


def payload(
    team: str, kpis: Sequence[Kpi], grain: str, period: Period | None, last_day: date,
    link: str | None,
) -> dict[str, Any]:  # fmt: skip
    """The Block Kit message of one team: header, one field per KPI, context with the link."""
    when = period.label if period else "no complete period yet"
    title = f"{team.capitalize()} KPIs, {when}"
    context = (
        f"{GRAIN_WORD[grain]} {period.label} ({period.start} to {period.end}), the latest "
        f"complete; data up to {last_day}."
        if period else f"No complete {grain} in the data yet (data up to {last_day})."
    )  # fmt: skip
    if link:
        context += f" <{link}|Open the dashboard>"
    fields = [{"type": "mrkdwn", "text": _line(kpi, period)} for kpi in kpis]
    return {
        "text": title,  # the notification's text
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": title}},
            {"type": "section", "fields": fields[:10]},  # Slack allows 10 fields a section
            {"type": "context", "elements": [{"type": "mrkdwn", "text": context}]},
        ],
    }


@dataclass(frozen=True)
class DigestResult:
    """The messages built (team, payload) and the teams they were sent to."""

    messages: tuple[tuple[str, dict[str, Any]], ...]
    sent: tuple[str, ...] = ()
    run_id: int | None = None


def build(
    project: Any, teams: Sequence[str], grain: str = "quarter", schema: str | None = None,
    link: str | None = None,
) -> tuple[tuple[str, dict[str, Any]], ...]:  # fmt: skip
    """Each team's message from ``project``'s metric_values.

    Raises:
        ConfigurationError: no metrics built yet, or an unknown team.
    """
    from bizops import metric_catalog
    from bizops.report_html import last_day
    from bizops.warehouse import resolve_database_url
    from bizops_core.errors import ConfigurationError

    unknown = [t for t in teams if t not in TEAMS]
    if unknown:
        raise ConfigurationError(f"no team {', '.join(unknown)} (known: {', '.join(TEAMS)})")
    url = resolve_database_url(project.root, project.database_url)
    schema = schema or project.transform_schema or "public"
    catalog = metric_catalog.load()
    until = last_day(url, schema)
    names = {n for t in teams for n in TEAMS[t]}
    readable = [m for m in catalog if m.name in names and m.built and grain in m.grains]
    values = lib.read(url, schema, readable, grain, 3)  # the open period and the two before
    period = latest_complete(values)
    kpis = team_kpis(catalog, grain, values, period)
    return tuple((t, payload(t, kpis[t], grain, period, until, link)) for t in teams)


def digest(
    project: Any, webhook: str | None, teams: Sequence[str], grain: str = "quarter",
    schema: str | None = None, link: str | None = None, dry_run: bool = False,
    entry: Any = None, trigger: str = "manual",
) -> DigestResult | None:  # fmt: skip
    """Build the teams' messages and, unless ``dry_run``, post them to ``webhook``; a post is
    recorded in run history as ``digest`` (``digest:<name>`` for a bizops.yml ``entry``; the
    webhook URL never is). With ``trigger="cron"``, the entry is sent only when its schedule
    is due (None when it is not).

    Raises:
        ConfigurationError: as :func:`build`, or no or a bad webhook URL.
        PipelineLocked: the same digest is being sent.
        BizOpsError: Slack refused a message or stayed unreachable (see ``slack.post``).
    """
    from bizops import slack
    from bizops.schedule import is_due
    from bizops.store import Store
    from bizops.warehouse import resolve_database_url
    from bizops_core.errors import describe
    from bizops_core.redact import Redactor

    if dry_run:
        return DigestResult(build(project, teams, grain, schema, link))
    webhook = slack.check_url(_resolved(webhook, entry))
    url = resolve_database_url(project.root, project.database_url)
    redact = Redactor([webhook])
    name = entry.run_name if entry else PIPELINE
    with Store(url, redact=project.redactor, project=project.project_id or "") as store:
        store.lock(name)  # one sender at a time: two cron machines send it once
        if trigger == "cron" and not is_due(entry.schedule, store.last_started(name)):
            return None
        run_id = store.start_run(name, "slack webhook", trigger)
        try:
            messages = build(project, teams, grain, schema, link)
            sent = slack.post(webhook, messages)
        except Exception as error:
            store.finish_run(run_id, "failed", None, redact(project.redactor(describe(error))))
            raise
        store.finish_run(run_id, "succeeded", {team: 1 for team in sent}, None)
    return DigestResult(messages, tuple(sent), run_id)


def _resolved(webhook: str | None, entry: Any) -> str | None:
    """``webhook``, unless it is still the ``${VAR}`` of a bizops.yml entry (variable unset)."""
    from bizops.project import ENV_REF, PROJECT_FILE
    from bizops_core.errors import ConfigurationError

    unset = ENV_REF.fullmatch((webhook or "").strip())
    if unset:
        where = f"digest {entry.name!r}" if entry else "the webhook"
        raise ConfigurationError(
            f"{PROJECT_FILE}: {where} needs the environment variable {unset.group(1)}, "
            "which is not set"
        )
    return webhook


def send_due(project: Any, entry: Any) -> DigestResult | None:
    """Send a bizops.yml digest if its schedule is due (``bizops cron``); None if not."""
    teams = entry.teams or tuple(TEAMS)
    return digest(project, entry.webhook, teams, entry.period, None, entry.link,
                  entry=entry, trigger="cron")  # fmt: skip
