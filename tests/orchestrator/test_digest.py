"""`bizops digest`: each team's KPIs as a Slack Block Kit message, posted to a fake Slack
webhook (a real HTTP server on loopback): retries of 429 and 5xx, Slack's refusals surfaced,
the webhook URL (a secret) never shown."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg2
import pytest

from tests.orchestrator.metric_world import MetricWorld, metric_world

__all__ = ["metric_world"]  # the fixture, imported for pytest
BIZOPS = str(Path(sys.executable).parent / "bizops")
TOKEN = "T0FAKE/B0FAKE/s3cr3t-webhook-token-42"  # the fake webhook's secret path


@dataclass
class FakeSlack:
    """A Slack incoming webhook on loopback: answers from ``script`` (status, body, headers)
    in order, then 200 ``ok``; records every request (time, path, JSON body)."""

    port: int
    script: list[tuple[int, str, dict[str, str]]] = field(default_factory=list)
    requests: list[tuple[float, str, Any]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/services/{TOKEN}"


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    fake = FakeSlack(0)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            fake.requests.append((time.monotonic(), self.path, json.loads(body)))
            status, text, headers = fake.script.pop(0) if fake.script else (200, "ok", {})
            data = text.encode()
            self.send_response(status)
            for key, value in {**headers, "Content-Length": str(len(data))}.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def run_digest(world: MetricWorld, *args: str, webhook: str | None = None, debug: bool = False):
    unset = ("SLACK_WEBHOOK_URL", "BIZOPS_DASHBOARD_LINK", "BIZOPS_LOG_LEVEL")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    if webhook is not None:
        env["SLACK_WEBHOOK_URL"] = webhook
    if debug:  # bizops' own log and slack-sdk's, DEBUG and up, on stderr
        env["BIZOPS_LOG_LEVEL"] = "DEBUG"
    return subprocess.run(
        [BIZOPS, "digest", "-p", str(world.root), *args], capture_output=True, text=True,
        check=False, env={**env, **world.env()}, cwd=world.root, timeout=120,
    )  # fmt: skip


def fields(message: dict[str, Any]) -> list[str]:
    return [f["text"] for f in message["blocks"][1]["fields"]]


def digest_runs(world: MetricWorld) -> list[tuple[Any, ...]]:
    with psycopg2.connect(world.url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT status, stream_counts, error, log_path FROM bizops.runs "
            "WHERE project = %s AND pipeline = 'digest' ORDER BY run_id", (world.prefix,),
        )  # fmt: skip
        runs = cur.fetchall()
    conn.close()
    return runs


def test_dry_run_prints_each_teams_message(metric_world: MetricWorld) -> None:
    result = run_digest(metric_world, "--dry-run", "--link", "https://bi.example.com/report")
    assert (result.returncode, result.stderr) == (0, "")
    sales, marketing, finance = json.loads(result.stdout)
    assert sales["text"] == "Sales KPIs, FY2025-Q3"
    assert sales["blocks"][0] == {
        "type": "header", "text": {"type": "plain_text", "text": "Sales KPIs, FY2025-Q3"},
    }  # fmt: skip
    assert fields(sales) == [
        "*IACV*\n$150,000.00 (+$60,000.00 vs FY2025-Q2)",
        "*Win rate (count)*\n0.3571 (-0.0429 vs FY2025-Q2)\n"
        ":white_check_mark: meets target (above 0.3)",
        "*Sales efficiency*\n1.5 (+0.75 vs FY2025-Q2)\n:white_check_mark: meets target (above 0.8)",
        "*Pipeline coverage*\n:hourglass: awaiting source: a sales quota source; target above 3",
    ]
    assert fields(marketing) == [
        "*Leads*\n60 (+12 vs FY2025-Q2)",
        "*Cost per lead*\n$166.67 (-$41.66 vs FY2025-Q2)",
        "*CAC (blended)*\n$9,500.25 (FY2025-Q2: undefined)",
        "*LTV:CAC*\n4.1234 (FY2025-Q2: undefined)\n"
        ":white_check_mark: meets target (above 3 (Skok); GitLab's KPI above 4)",
        "*Program spend / total spend*\n:hourglass: awaiting source: NetSuite; target above 0.5",
    ]
    assert fields(finance)[:3] == [
        "*ARR*\n$1,250,000.00 (+$69,499.50 vs FY2025-Q2)",
        "*Net new ARR*\n$69,499.50 (+$8,999.00 vs FY2025-Q2)",
        "*Magic number*\n0.6949 (+0.09 vs FY2025-Q2)\n:x: misses target (above 0.7)",
    ]
    assert [f.split("\n")[0] for f in fields(finance)[3:]] == ["*Runway*", "*40 rule*"]
    assert finance["blocks"][2]["elements"][0]["text"] == (
        "Quarter FY2025-Q3 (2024-08-01 to 2024-10-31), the latest complete; data up to "
        "2024-12-15. <https://bi.example.com/report|Open the dashboard>"
    )
    assert digest_runs(metric_world) == []  # a dry run posts nothing and records nothing


def test_one_message_per_team_is_posted(metric_world: MetricWorld, slack: FakeSlack) -> None:
    expected = json.loads(run_digest(metric_world, "--dry-run").stdout)
    result = run_digest(metric_world, webhook=slack.url)
    assert (result.returncode, result.stdout) == (0, "")
    assert result.stderr == "bizops digest: sent sales, marketing, finance to the Slack webhook\n"
    assert [(path, body) for _, path, body in slack.requests] == [
        (f"/services/{TOKEN}", message) for message in expected
    ]
    assert digest_runs(metric_world) == [
        ("succeeded", {"sales": 1, "marketing": 1, "finance": 1}, None, "slack webhook")
    ]


def test_a_429_is_retried_after_its_retry_after(metric_world: MetricWorld, slack: FakeSlack):
    slack.script = [(429, "rate_limited", {"Retry-After": "1"})]
    result = run_digest(metric_world, "--team", "sales", webhook=slack.url)
    assert result.returncode == 0, result.stderr
    (first, *_), (second, *_) = slack.requests
    assert len(slack.requests) == 2
    assert second - first >= 1.0
    assert "Slack rate limit: waiting 1 s as Retry-After asks" in result.stderr


def test_5xx_answers_are_retried(metric_world: MetricWorld, slack: FakeSlack) -> None:
    slack.script = [(503, "unavailable", {}), (500, "oops", {})]
    result = run_digest(metric_world, "--team", "finance", webhook=slack.url)
    assert result.returncode == 0, result.stderr
    assert len(slack.requests) == 3


def test_5xx_until_the_retries_end_fails_transient(metric_world, slack: FakeSlack) -> None:
    slack.script = [(502, "upstream  down", {})] * 4
    result = run_digest(metric_world, "--team", "sales", webhook=slack.url)
    assert (result.returncode, result.stdout) == (75, "")
    assert result.stderr.splitlines()[-1] == (
        "bizops: [transient] Slack answered HTTP 502 to the sales digest: upstream down "
        "(after 3 retries)"
    )
    assert len(slack.requests) == 4
    ((status, counts, error, _),) = digest_runs(metric_world)
    assert (status, counts, error) == ("failed", None, result.stderr.splitlines()[-1][8:])


def test_a_4xx_fails_with_slacks_text_and_names_what_was_sent(metric_world, slack) -> None:
    slack.script = [(200, "ok", {}), (404, "no_service", {})]
    result = run_digest(metric_world, webhook=slack.url)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "bizops: [config] Slack answered HTTP 404 to the marketing digest: no_service "
        "(sent: sales)\n"
    )
    assert len(slack.requests) == 2  # a refusal is not retried, and finance is not sent


def test_an_invalid_payload_answer_is_fatal(metric_world, slack: FakeSlack) -> None:
    slack.script = [(400, "invalid_blocks", {})]
    result = run_digest(metric_world, "--team", "sales", webhook=slack.url)
    assert (result.returncode, result.stderr) == (
        1, "bizops: [system] Slack answered HTTP 400 to the sales digest: invalid_blocks\n",
    )  # fmt: skip


@pytest.mark.parametrize("webhook", ["not a url", f"ftp://127.0.0.1/{TOKEN}", f"https:///{TOKEN}"])
def test_a_bad_webhook_url_is_refused_unshown(metric_world, webhook: str) -> None:
    result = run_digest(metric_world, "--webhook", webhook)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "bizops: [config] the Slack webhook is not an http(s) URL (value not shown)\n"
    )


def test_without_a_webhook_the_error_says_how_to_give_one(metric_world) -> None:
    result = run_digest(metric_world)
    assert (result.returncode, result.stderr) == (2, (
        "bizops: [config] no Slack webhook: give --webhook or set SLACK_WEBHOOK_URL "
        "(or use --dry-run)\n"
    ))  # fmt: skip


def test_an_unreachable_webhook_fails_transient_unshown(metric_world) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = run_digest(
        metric_world, "--team", "sales", webhook=f"http://127.0.0.1:{port}/services/{TOKEN}",
        debug=True,
    )  # fmt: skip
    assert (result.returncode, result.stdout) == (75, "")
    assert result.stderr.splitlines()[-1] == (
        "bizops: [transient] cannot reach the Slack webhook for sales: [Errno 111] Connection "
        "refused"
    )
    assert "s3cr3t-webhook-token" not in result.stderr


def test_the_webhook_never_reaches_logs_output_or_history(metric_world, slack) -> None:
    slack.script = [(503, f"echoing {slack.url}", {}), (404, f"no_service at {slack.url}", {})]
    result = run_digest(metric_world, webhook=slack.url, debug=True)
    assert result.returncode == 2
    assert "Sending a request - url: ***, body: " in result.stderr  # slack-sdk's log, masked
    secret = "s3cr3t-webhook-token"
    assert secret not in result.stdout + result.stderr
    assert result.stderr.splitlines()[-1] == (
        "bizops: [config] Slack answered HTTP 404 to the sales digest: no_service at ***"
    )
    assert secret not in repr(digest_runs(metric_world))


SCHEDULED = """\
digests:
  - name: weekly
    webhook: ${TEST_SLACK_HOOK}
    schedule: "0 8 1 1 *"
    teams: [finance]
    link: https://bi.example.com/report.html
"""


def declare(world: MetricWorld, text: str = SCHEDULED) -> None:
    path = world.root / "bizops.yml"
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def run_cron(world: MetricWorld, slack: FakeSlack) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BIZOPS, "cron", "-p", str(world.root)], capture_output=True, text=True, check=False,
        env={**os.environ, **world.env(), "TEST_SLACK_HOOK": slack.url}, timeout=120,
    )  # fmt: skip


def test_cron_sends_a_scheduled_digest_once_when_due(metric_world, slack: FakeSlack) -> None:
    declare(metric_world)
    first = run_cron(metric_world, slack)
    assert (first.returncode, first.stdout) == (0, "")
    assert first.stderr == "bizops: digest:weekly: sent finance to its Slack webhook\n"
    ((_, path, message),) = slack.requests
    assert (path, message["text"]) == (f"/services/{TOKEN}", "Finance KPIs, FY2025-Q3")
    assert message["blocks"][2]["elements"][0]["text"].endswith(
        "<https://bi.example.com/report.html|Open the dashboard>"
    )
    second = run_cron(metric_world, slack)  # the next due time is next 1 January, 08:00
    assert (second.returncode, second.stderr) == (0, "bizops cron: nothing due\n")
    assert len(slack.requests) == 1
    with psycopg2.connect(metric_world.url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT pipeline, trigger, status, stream_counts FROM bizops.runs WHERE project = %s",
            (metric_world.prefix,),
        )
        assert cur.fetchall() == [("digest:weekly", "cron", "succeeded", {"finance": 1})]
    conn.close()


def test_a_named_digest_takes_its_settings_from_bizops_yml(metric_world) -> None:
    declare(metric_world)
    result = run_digest(metric_world, "--name", "weekly", "--dry-run")
    assert result.returncode == 0, result.stderr
    (finance,) = json.loads(result.stdout)
    assert finance["text"] == "Finance KPIs, FY2025-Q3"
    unset = run_digest(metric_world, "--name", "weekly")
    assert (unset.returncode, unset.stderr) == (2, (
        "bizops: [config] bizops.yml: digest 'weekly' needs the environment variable "
        "TEST_SLACK_HOOK, which is not set\n"
    ))  # fmt: skip
    unknown = run_digest(metric_world, "--name", "daily", "--dry-run")
    assert (unknown.returncode, unknown.stderr) == (
        2, "bizops: [config] bizops.yml: no digest named 'daily' (known: weekly)\n",
    )  # fmt: skip


def test_a_literal_webhook_in_bizops_yml_is_refused_unshown(metric_world) -> None:
    declare(metric_world, SCHEDULED.replace("${TEST_SLACK_HOOK}", f"https://hooks.example/{TOKEN}"))
    result = run_digest(metric_world, "--name", "weekly", "--dry-run")
    assert (result.returncode, result.stderr) == (2, (
        "bizops: [config] bizops.yml: digests.0.webhook: a webhook URL is a secret; write it "
        "as an ${ENV_VAR} reference, never as a literal value\n"
    ))  # fmt: skip


def test_the_crontab_block_lists_a_scheduled_digest(metric_world) -> None:
    declare(metric_world)
    result = subprocess.run(
        [BIZOPS, "schedule", "crontab", "-p", str(metric_world.root)], capture_output=True,
        text=True, check=False, env={**os.environ, **metric_world.env()},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:2] == [
        "# bizops: schedules from bizops.yml (bizops cron runs whichever are due)",
        "#   0 8 1 1 *        digest:weekly (Slack digest)",
    ]


def test_the_readme_digest_declaration_works(metric_world, slack: FakeSlack) -> None:
    from tests.readme_support import REPO, block

    declare(metric_world, block(REPO / "README.md", "digests") + "\n")
    result = run_digest(metric_world, "--name", "monday-kpis", webhook=slack.url)
    assert (result.returncode, result.stdout) == (0, "")
    assert [message["text"] for _, _, message in slack.requests] == [
        "Sales KPIs, FY2025-Q3", "Marketing KPIs, FY2025-Q3", "Finance KPIs, FY2025-Q3",
    ]  # fmt: skip
    assert slack.requests[0][2]["blocks"][2]["elements"][0]["text"].endswith(
        "<https://bi.example.com/report.html|Open the dashboard>"
    )
