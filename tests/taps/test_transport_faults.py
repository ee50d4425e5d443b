"""Both taps against their emulators when a response is cut off mid-body or rate limited.

A cut-off body (Content-Length larger than what arrives, a chunked answer closed mid-way, JSON
that ends early) is a transient failure like a dropped connection, on every call: token,
describe, job creation, job poll, query page. A 429 is waited out by its own budget of seconds
(``rate_limit_max_wait``), not by the try count of 5xx answers.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from bizops_sandbox.world import World
from tests.taps import salesforce_support as sf
from tests.taps import zuora_support as zu
from tests.taps.singer_support import admin, parse_messages

__all__ = ["salesforce_sandbox"]
salesforce_sandbox = sf.salesforce_sandbox

ACCOUNTS = {r["Id"] for r in World.generate(seed=42, size="small").records("Account")}


def queue(url: str, *faults: dict[str, Any]) -> None:
    for fault in faults:
        admin(url, "POST", "faults", fault)


def requested(url: str, method: str, prefix: str) -> int:
    log = admin(url, "GET", "requests")
    return sum(1 for r in log if r["method"] == method and r["path"].startswith(prefix))


def cut(prefix: str, method: str, *, after: int = 5, chunked: bool = False) -> dict[str, Any]:
    return {"path_prefix": prefix, "method": method, "truncate_after": after, "chunked": chunked}


def test_zuora_rest_calls_cut_off_mid_body_are_sent_again(zuora_sandbox, tmp_path: Path) -> None:
    url = zuora_sandbox.url
    queue(
        url,
        cut("/oauth/token", "POST"),
        # The object list as XML that ends early, again with nothing in the framing to tell.
        {"path_prefix": "/v1/describe", "method": "GET", "status": 200,
         "body": '<?xml version="1.0" encoding="UTF-8"?><objects><object><name>Acc'},
        cut("/v1/describe/Account", "GET", after=100, chunked=True),
        # A job-creation answer whose JSON ends early, with nothing in the framing to tell.
        {"path_prefix": "/v1/object/export", "method": "POST", "status": 200,
         "body": '{"Success": true, "Id": "2c9'},
        cut("/v1/object/export/", "GET"),
        cut("/v1/object/export/", "GET", chunked=True),
    )  # fmt: skip

    result = zu.run_cli(tmp_path, zu.tap_config(url, objects=["Account"]))

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert {r["Id"] for r in parse_messages(result.stdout).records["Account"]} == ACCOUNTS
    assert requested(url, "POST", "/oauth/token") == 2
    assert requested(url, "GET", "/v1/describe/Account") == 2
    assert "POST v1/object/export: the body is not JSON (or was cut off)" in result.stderr
    retried = re.findall(r"retrying in [\d.]+s \(attempt \d of 5\): (\S+ [^:\s]+):", result.stderr)
    assert sorted(re.sub(r"/[0-9a-f]{16,}$", "/<job>", call) for call in retried) == [
        "GET v1/describe",
        "GET v1/describe/Account",
        "GET v1/object/export/<job>",
        "GET v1/object/export/<job>",
        "POST oauth/token",
        "POST v1/object/export",
    ]


def test_zuora_aqua_job_poll_cut_off_mid_body_is_sent_again(zuora_sandbox, tmp_path: Path) -> None:
    url = zuora_sandbox.url
    queue(url, cut("/v1/batch-query/jobs/", "GET"), cut("/v1/batch-query/", "POST", after=20))

    config = zu.tap_config(url, objects=["Account"], api_type="AQUA")
    result = zu.run_cli(tmp_path, config)

    assert result.returncode == 0, result.stderr
    assert {r["Id"] for r in parse_messages(result.stdout).records["Account"]} == ACCOUNTS
    assert requested(url, "POST", "/v1/batch-query/") == 2


@pytest.mark.parametrize("mode", sf.MODES)
def test_salesforce_calls_cut_off_mid_body_are_sent_again(
    salesforce_sandbox, tmp_path: Path, mode: str
) -> None:
    url = salesforce_sandbox.url
    data = "/services/data/v60.0"
    queue(
        url,
        cut("/services/oauth2/token", "POST", chunked=True),
        cut(f"{data}/sobjects/Account/describe", "GET", after=50),
        cut(f"{data}/queryAll", "GET", after=200, chunked=True),
        cut(f"{data}/jobs/query", "POST"),
        cut(f"{data}/jobs/query/", "GET", after=10),  # a job poll or a results page
    )

    result = sf.run_cli(tmp_path, sf.tap_config(url, mode, objects=["Account"]))

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    world: World = salesforce_sandbox.app.world
    expected = {r["Id"] for r in world.records("Account", "salesforce")}
    assert {r["Id"] for r in parse_messages(result.stdout).records["Account"]} == expected
    assert requested(url, "POST", "/services/oauth2/token") == 2
    assert requested(url, "GET", f"{data}/sobjects/Account/describe") == 2


def test_rate_limit_is_waited_out_apart_from_the_try_count(zuora_sandbox, tmp_path: Path) -> None:
    url = zuora_sandbox.url
    # Eight 429s in a row on one call: more than max_tries (1 here) could ever cover.
    queue(url, {"path_prefix": "/v1/object/export", "method": "POST", "status": 429,
                "times": 8, "headers": {"Retry-After": "0"}})  # fmt: skip

    config = zu.tap_config(url, objects=["Account"], max_tries=1)
    result = zu.run_cli(tmp_path, config)

    assert result.returncode == 0, result.stderr
    assert {r["Id"] for r in parse_messages(result.stdout).records["Account"]} == ACCOUNTS
    host = url.removeprefix("http://")
    assert result.stderr.count(f"rate limited by {host}: waiting 0 s (total 0 of 600 s)") == 8


def test_rate_limit_wait_follows_retry_after_and_is_logged(salesforce_sandbox, tmp_path) -> None:
    url = salesforce_sandbox.url
    queue(url, {"path_prefix": "/services/data/v60.0/queryAll", "status": 429, "times": 2,
                "headers": {"Retry-After": "1"}})  # fmt: skip

    result = sf.run_cli(tmp_path, sf.tap_config(url, objects=["Account"], max_tries=1))

    assert result.returncode == 0, result.stderr
    host = url.removeprefix("http://")
    assert f"rate limited by {host}: waiting 1 s (total 1 of 600 s)" in result.stderr
    assert f"rate limited by {host}: waiting 1 s (total 2 of 600 s)" in result.stderr


def test_rate_limit_beyond_its_budget_fails_with_exit_75(zuora_sandbox, tmp_path: Path) -> None:
    url = zuora_sandbox.url
    queue(url, {"path_prefix": "/v1/object/export", "method": "POST", "status": 429,
                "times": 5, "headers": {"Retry-After": "1"}})  # fmt: skip

    config = zu.tap_config(url, objects=["Account"], rate_limit_max_wait=1.5)
    result = zu.run_cli(tmp_path, config)

    assert result.returncode == 75
    assert result.stdout.count('"type":"RECORD"') == result.stdout.count('"type": "RECORD"') == 0
    host = url.removeprefix("http://")
    assert f"rate limited by {host}: waiting 1 s (total 1 of 1.5 s)" in result.stderr
    assert (
        "[transient] POST v1/object/export -> HTTP 429: "
        '{"message": "API rate limit exceeded"} '
        f"(rate limited by {host} for 1 s; waiting another 1 s would pass "
        "rate_limit_max_wait, 1.5 s)"
    ) in result.stderr
    assert requested(url, "POST", "/v1/object/export") == 2


def test_salesforce_bulk_page_cut_at_a_line_break_is_fetched_again(
    salesforce_sandbox, tmp_path: Path
) -> None:
    url = salesforce_sandbox.url
    # Valid CSV, but two rows short of what the page announces: the framing cannot tell.
    queue(url, {"path_prefix": "/services/data/v60.0/jobs/query/", "path_suffix": "/results",
                "status": 200, "body": "Id,Name\n001000000000001AAA,Cut\n",
                "headers": {"Content-Type": "text/csv", "Sforce-NumberOfRecords": "3",
                            "Sforce-Locator": "null"}})  # fmt: skip

    result = sf.run_cli(tmp_path, sf.tap_config(url, "BULK2", objects=["Account"]))

    assert result.returncode == 0, result.stderr
    world: World = salesforce_sandbox.app.world
    expected = {r["Id"] for r in world.records("Account", "salesforce")}
    assert {r["Id"] for r in parse_messages(result.stdout).records["Account"]} == expected
    assert "the page holds 1 rows, Sforce-NumberOfRecords says 3" in result.stderr
