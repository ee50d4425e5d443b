"""Both taps obey the catalog they are given: its replication method, its replication key and
its field selection, through the real CLI with a catalog file and a state file.

A FULL_TABLE stream ignores any bookmark, exports everything and writes no bookmark; a
catalog's replication-key is the one filtered and bookmarked on; a deselected field is not
asked of the API at all (an export may refuse it).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bizops_sandbox.world import World
from tap_zuora.convert import format_instant
from tests.taps import salesforce_support as sf
from tests.taps import zuora_support as zu
from tests.taps.singer_support import admin, parse_messages

__all__ = ["salesforce_sandbox"]
salesforce_sandbox = sf.salesforce_sandbox

WORLD = World.generate(seed=42, size="small")
ZUORA_ACCOUNTS = WORLD.records("Account")
SF_ACCOUNTS = WORLD.records("Account", "salesforce")
# Half of the accounts were changed after this instant.
ZUORA_BOOKMARK = sorted(r["UpdatedDate"] for r in ZUORA_ACCOUNTS)[len(ZUORA_ACCOUNTS) // 2]
SF_BOOKMARK = sorted(r["SystemModstamp"] for r in SF_ACCOUNTS)[len(SF_ACCOUNTS) // 2]


def wire(moment: datetime) -> str:
    return moment.isoformat()


def discover(run, tmp_path: Path, config: dict[str, Any]) -> dict[str, Any]:
    result = run(tmp_path, config, "--discover")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def stream_entry(catalog: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in catalog["streams"] if s["tap_stream_id"] == name)


def set_replication(entry: dict[str, Any], method: str, key: str | None = None) -> None:
    """What a user (or Meltano's ``metadata:`` extra) writes into the catalog."""
    entry["replication_method"] = method
    top = next(m for m in entry["metadata"] if m["breadcrumb"] == [])["metadata"]
    top["forced-replication-method"] = method
    if key is not None:
        entry["replication_key"] = key
        top["replication-key"] = key


def deselect(entry: dict[str, Any], *fields: str) -> None:
    for item in entry["metadata"]:
        if item["breadcrumb"][-1:] and item["breadcrumb"][-1] in fields:
            item["metadata"]["selected"] = False


def write(tmp_path: Path, catalog: dict[str, Any]) -> str:
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(catalog), encoding="utf-8")
    return str(path)


def bookmark(key: str, value: datetime, name: str = "Account") -> dict[str, Any]:
    return {"bookmarks": {name: {"replication_key": key, "replication_key_value": wire(value)}}}


def queries(url: str, prefix: str) -> list[str]:
    """The export queries the emulator received (Zuora: POST bodies; Salesforce: q=)."""
    log = admin(url, "GET", "requests")
    if prefix.startswith("/v1/"):
        return [
            json.loads(r["body"]).get("Query") or json.loads(r["body"])["queries"][0]["query"]
            for r in log
            if r["method"] == "POST" and r["path"] == prefix
        ]
    return [r["query"] for r in log if r["path"].startswith(prefix)]


# -- tap-zuora ------------------------------------------------------------------------------


@pytest.mark.parametrize("api_type", ["REST", "AQUA"])
def test_zuora_full_table_in_the_catalog_ignores_the_bookmark(
    zuora_sandbox, tmp_path: Path, api_type: str
) -> None:
    url = zuora_sandbox.url
    config = zu.tap_config(url, objects=["Account"], api_type=api_type)
    catalog = discover(zu.run_cli, tmp_path, config)
    set_replication(stream_entry(catalog, "Account"), "FULL_TABLE")

    state = bookmark("UpdatedDate", ZUORA_BOOKMARK)
    result = zu.run_cli(tmp_path, config, "--catalog", write(tmp_path, catalog), state=state)

    assert result.returncode == 0, result.stderr
    out = parse_messages(result.stdout)
    assert {r["Id"] for r in out.records["Account"]} == {r["Id"] for r in ZUORA_ACCOUNTS}
    path = "/v1/batch-query/" if api_type == "AQUA" else "/v1/object/export"
    sent = queries(url, path)
    assert len(sent) == 1
    assert " where " not in sent[0]
    assert " order by " not in sent[0]
    # A full-table sync advances no bookmark: the state it was given comes back as it was.
    assert out.final_state == state


def test_zuora_incremental_catalog_with_the_same_state_filters_on_the_bookmark(
    zuora_sandbox, tmp_path: Path
) -> None:
    # The control of the test above: the same bookmark does filter an INCREMENTAL stream.
    config = zu.tap_config(zuora_sandbox.url, objects=["Account"])
    catalog = discover(zu.run_cli, tmp_path, config)
    state = bookmark("UpdatedDate", ZUORA_BOOKMARK)
    result = zu.run_cli(tmp_path, config, "--catalog", write(tmp_path, catalog), state=state)

    assert result.returncode == 0, result.stderr
    expected = {r["Id"] for r in ZUORA_ACCOUNTS if r["UpdatedDate"] > ZUORA_BOOKMARK}
    assert 0 < len(expected) < len(ZUORA_ACCOUNTS)
    assert {r["Id"] for r in parse_messages(result.stdout).records["Account"]} == expected


def test_zuora_catalog_replication_key_is_filtered_and_bookmarked_on(
    zuora_sandbox, tmp_path: Path
) -> None:
    url = zuora_sandbox.url
    config = zu.tap_config(url, objects=["Account"])
    catalog = discover(zu.run_cli, tmp_path, config)
    set_replication(stream_entry(catalog, "Account"), "INCREMENTAL", "CreatedDate")
    created = sorted(r["CreatedDate"] for r in ZUORA_ACCOUNTS)
    since = created[len(created) // 3]

    state = bookmark("CreatedDate", since)
    result = zu.run_cli(tmp_path, config, "--catalog", write(tmp_path, catalog), state=state)

    assert result.returncode == 0, result.stderr
    out = parse_messages(result.stdout)
    expected = {r["Id"] for r in ZUORA_ACCOUNTS if r["CreatedDate"] > since}
    assert {r["Id"] for r in out.records["Account"]} == expected
    assert all("where CreatedDate > '" in q for q in queries(url, "/v1/object/export")[:1])
    assert out.final_state["bookmarks"]["Account"] == {
        "replication_key": "CreatedDate",
        "replication_key_value": format_instant(created[-1]),
    }


def test_zuora_catalog_replication_key_that_is_no_timestamp_fails_naming_it(
    zuora_sandbox, tmp_path: Path
) -> None:
    config = zu.tap_config(zuora_sandbox.url, objects=["Account"])
    catalog = discover(zu.run_cli, tmp_path, config)
    set_replication(stream_entry(catalog, "Account"), "INCREMENTAL", "Balance")

    result = zu.run_cli(tmp_path, config, "--catalog", write(tmp_path, catalog))

    assert result.returncode == 2
    assert (
        "[config] catalog stream Account: replication-key 'Balance' is not a date-time field "
        "of the stream" in result.stderr
    )
    assert '"type":"RECORD"' not in result.stdout.replace(" ", "")


@pytest.mark.parametrize("api_type", ["REST", "AQUA"])
def test_zuora_queries_only_the_selected_fields(
    zuora_sandbox, tmp_path: Path, api_type: str
) -> None:
    url = zuora_sandbox.url
    config = zu.tap_config(url, objects=["Account"], api_type=api_type)
    catalog = discover(zu.run_cli, tmp_path, config)
    entry = stream_entry(catalog, "Account")
    all_fields = [f for f in entry["schema"]["properties"] if f != "_sdc_deleted_at"]
    # Id and UpdatedDate (key and replication key) are automatic: deselecting them is ignored.
    deselect(entry, *[f for f in all_fields if f not in ("Name", "Balance")])

    result = zu.run_cli(tmp_path, config, "--catalog", write(tmp_path, catalog))

    assert result.returncode == 0, result.stderr
    path = "/v1/batch-query/" if api_type == "AQUA" else "/v1/object/export"
    sent = queries(url, path)
    assert sent
    assert all(q.startswith("select Id, Name, Balance, UpdatedDate from Account") for q in sent)
    records = parse_messages(result.stdout).records["Account"]
    assert {r["Id"] for r in records} == {r["Id"] for r in ZUORA_ACCOUNTS}
    assert {tuple(sorted(r)) for r in records} == {
        ("Balance", "Id", "Name", "UpdatedDate", "_sdc_deleted_at")
    }


# -- tap-salesforce -------------------------------------------------------------------------


@pytest.mark.parametrize("mode", sf.MODES)
def test_salesforce_full_table_in_the_catalog_ignores_the_bookmark(
    salesforce_sandbox, tmp_path: Path, mode: str
) -> None:
    url = salesforce_sandbox.url
    config = sf.tap_config(url, mode, objects=["Account"])
    catalog = discover(sf.run_cli, tmp_path, config)
    set_replication(stream_entry(catalog, "Account"), "FULL_TABLE")

    state = bookmark("SystemModstamp", SF_BOOKMARK)
    result = sf.run_cli(tmp_path, config, "--catalog", write(tmp_path, catalog), state=state)

    assert result.returncode == 0, result.stderr
    out = parse_messages(result.stdout)
    assert {r["Id"] for r in out.records["Account"]} == {r["Id"] for r in SF_ACCOUNTS}
    log = admin(url, "GET", "requests")
    soql = [
        r["body"] or r["query"] for r in log if r["path"].endswith(("/queryAll", "/jobs/query"))
    ]
    assert len(soql) == 1
    assert "WHERE" not in soql[0]
    assert out.final_state == state


def test_salesforce_catalog_replication_key_is_filtered_and_bookmarked_on(
    salesforce_sandbox, tmp_path: Path
) -> None:
    url = salesforce_sandbox.url
    config = sf.tap_config(url, objects=["Account"])
    catalog = discover(sf.run_cli, tmp_path, config)
    set_replication(stream_entry(catalog, "Account"), "INCREMENTAL", "CreatedDate")
    created = sorted(r["CreatedDate"] for r in SF_ACCOUNTS)
    since = created[len(created) // 3]

    state = bookmark("CreatedDate", since)
    result = sf.run_cli(tmp_path, config, "--catalog", write(tmp_path, catalog), state=state)

    assert result.returncode == 0, result.stderr
    out = parse_messages(result.stdout)
    expected = {r["Id"] for r in SF_ACCOUNTS if r["CreatedDate"] > since}
    assert 0 < len(expected) < len(SF_ACCOUNTS)
    assert {r["Id"] for r in out.records["Account"]} == expected
    assert out.final_state["bookmarks"]["Account"]["replication_key"] == "CreatedDate"
