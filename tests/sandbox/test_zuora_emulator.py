"""Tests of the Zuora emulator over real HTTP: auth, describe, export jobs, CSV, admin side."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import pytest
import requests

import bizops_schemas
from bizops_sandbox.server import RunningServer, serve
from bizops_sandbox.world import World
from bizops_sandbox.zuora import create_app
from bizops_sandbox.zuora_export import format_value

CLIENT = {"client_id": "sandbox-client-id", "client_secret": "sandbox-client-secret"}
KEY_HEADERS = {"apiAccessKeyId": "sandbox-client-id", "apiSecretAccessKey": "sandbox-client-secret"}
KINDS = {"integer": "integer", "number": "decimal", "boolean": "boolean"}
PACIFIC = ZoneInfo("America/Los_Angeles")
CSV_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000-0[78]:00$")


@pytest.fixture
def auth(zuora_sandbox: RunningServer) -> dict[str, str]:
    response = requests.post(
        f"{zuora_sandbox.url}/oauth/token",
        data={**CLIENT, "grant_type": "client_credentials"},
        timeout=5,
    )
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def world_of(server: RunningServer) -> World:
    return server.app.world


def export(server: RunningServer, auth: dict[str, str], query: str) -> str:
    """Run an export to completion and return its CSV text."""
    created = requests.post(
        f"{server.url}/v1/object/export",
        json={"Format": "csv", "Query": query},
        headers=auth,
        timeout=5,
    )
    assert created.status_code == 200, created.text
    for _ in range(10):
        job = requests.get(
            f"{server.url}/v1/object/export/{created.json()['Id']}", headers=auth, timeout=5
        ).json()
        if job["Status"] == "Completed":
            break
    return requests.get(f"{server.url}/v1/files/{job['FileId']}", headers=auth, timeout=5).text


def parse_xml(content: bytes) -> ElementTree.Element:
    """Parse a describe answer (our own emulator's output, so trusted)."""
    return ElementTree.fromstring(content)  # noqa: S314


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


# -- auth ------------------------------------------------------------------------------------


def test_token_is_issued_for_the_client_credentials(zuora_sandbox: RunningServer) -> None:
    response = requests.post(
        f"{zuora_sandbox.url}/oauth/token",
        data={**CLIENT, "grant_type": "client_credentials"},
        timeout=5,
    )
    body = response.json()
    assert response.status_code == 200
    assert sorted(body) == ["access_token", "expires_in", "jti", "scope", "token_type"]
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3599
    assert re.match(r"^[0-9a-f]{32}$", body["access_token"])


def test_token_is_refused_for_a_wrong_secret(zuora_sandbox: RunningServer) -> None:
    response = requests.post(
        f"{zuora_sandbox.url}/oauth/token",
        data={**CLIENT, "client_secret": "wrong", "grant_type": "client_credentials"},
        timeout=5,
    )
    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_client",
        "error_description": "Bad client credentials",
    }


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not-a-token"}])
def test_api_refuses_requests_without_valid_auth(zuora_sandbox: RunningServer, headers) -> None:
    response = requests.get(f"{zuora_sandbox.url}/v1/describe", headers=headers, timeout=5)
    assert response.status_code == 401
    assert response.json() == {"message": "Authentication error"}


def test_api_accepts_the_access_key_headers(zuora_sandbox: RunningServer) -> None:
    response = requests.get(f"{zuora_sandbox.url}/v1/describe", headers=KEY_HEADERS, timeout=5)
    assert response.status_code == 200


# -- describe --------------------------------------------------------------------------------


def test_describe_lists_every_schema_object(zuora_sandbox: RunningServer, auth) -> None:
    response = requests.get(f"{zuora_sandbox.url}/v1/describe", headers=auth, timeout=5)
    root = parse_xml(response.content)
    assert [o.findtext("name") for o in root.findall("object")] == bizops_schemas.names("zuora")
    assert root.find("object").get("href") == f"{zuora_sandbox.url}/v1/describe/Account"


@pytest.mark.parametrize("name", bizops_schemas.names("zuora"))
def test_describe_object_matches_its_schema(zuora_sandbox: RunningServer, auth, name) -> None:
    schema = bizops_schemas.load("zuora", name)
    response = requests.get(f"{zuora_sandbox.url}/v1/describe/{name}", headers=auth, timeout=5)
    root = parse_xml(response.content)
    fields = root.find("fields").findall("field")
    assert root.findtext("name") == name
    assert [f.findtext("name") for f in fields] == list(schema["properties"])
    for field in fields:
        prop = schema["properties"][field.findtext("name")]
        types = prop["type"] if isinstance(prop["type"], list) else [prop["type"]]
        base = next(t for t in types if t != "null")
        expected = KINDS.get(base) or {"date-time": "datetime", "date": "date"}.get(
            prop.get("format"), "picklist" if "enum" in prop else "text"
        )
        assert field.findtext("type") == expected
        assert (
            field.findtext("required") == str(field.findtext("name") in schema["required"]).lower()
        )
        assert [c.text for c in field.find("contexts")] == ["export", "soap"]


def test_describe_names_related_objects(zuora_sandbox: RunningServer, auth) -> None:
    response = requests.get(f"{zuora_sandbox.url}/v1/describe/Account", headers=auth, timeout=5)
    related = parse_xml(response.content).find("related-objects")
    assert [o.findtext("name") for o in related] == ["BillToContact", "SoldToContact"]


def test_describe_of_an_unknown_object_is_404(zuora_sandbox: RunningServer, auth) -> None:
    response = requests.get(f"{zuora_sandbox.url}/v1/describe/Nope", headers=auth, timeout=5)
    body = response.json()
    assert response.status_code == 404
    assert body["success"] is False
    assert body["reasons"] == [{"code": 50000040, "message": "Object Nope is not found"}]


# -- export ----------------------------------------------------------------------------------


def test_export_job_passes_pending_and_processing_before_completed(
    zuora_sandbox: RunningServer, auth
) -> None:
    query = "select Id from Account"
    created = requests.post(
        f"{zuora_sandbox.url}/v1/object/export",
        json={"Format": "csv", "Query": query},
        headers=auth,
        timeout=5,
    ).json()
    assert created["Success"] is True
    assert re.match(r"^[0-9a-f]{32}$", created["Id"])
    url = f"{zuora_sandbox.url}/v1/object/export/{created['Id']}"
    polls = [requests.get(url, headers=auth, timeout=5).json() for _ in range(4)]
    assert [p["Status"] for p in polls] == ["Pending", "Processing", "Completed", "Completed"]
    assert ["FileId" in p for p in polls] == [False, False, True, True]
    assert polls[2]["Query"] == query
    assert polls[2]["Format"] == "csv"
    assert polls[2]["Size"] == 30
    assert polls[2]["CreatedDate"] == "2024-12-31T16:00:00.000-08:00"


def test_job_steps_sets_the_number_of_polls_before_completion() -> None:
    server = serve(create_app(World.generate(seed=42), job_steps=0))
    try:
        token = requests.post(
            f"{server.url}/oauth/token",
            data={**CLIENT, "grant_type": "client_credentials"},
            timeout=5,
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        job = requests.post(
            f"{server.url}/v1/object/export",
            json={"Query": "select Id from Product"},
            headers=headers,
            timeout=5,
        ).json()
        polled = requests.get(
            f"{server.url}/v1/object/export/{job['Id']}", headers=headers, timeout=5
        )
        assert polled.json()["Status"] == "Completed"
    finally:
        server.stop()


def test_export_csv_has_qualified_headers_and_zuora_formats(
    zuora_sandbox: RunningServer, auth
) -> None:
    text = export(
        zuora_sandbox, auth,
        "select Id, Name, BillToContact.Id, Balance, AutoPay, LastInvoiceDate, CrmId, "
        "CreatedDate from Account",
    )  # fmt: skip
    parsed = rows(text)
    assert text.splitlines()[0] == (
        "Account.Id,Account.Name,BillToContact.Id,Account.Balance,Account.AutoPay,"
        "Account.LastInvoiceDate,Account.CrmId,Account.CreatedDate"
    )
    accounts = world_of(zuora_sandbox).records("Account")
    assert [r["Account.Id"] for r in parsed] == [a["Id"] for a in accounts]
    for row, account in zip(parsed, accounts, strict=True):
        assert row["Account.Name"] == account["Name"]
        assert row["BillToContact.Id"] == account["BillToId"]
        assert row["Account.Balance"] == str(account["Balance"])
        assert row["Account.AutoPay"] == ("true" if account["AutoPay"] else "false")
        assert row["Account.LastInvoiceDate"] == account["LastInvoiceDate"].isoformat()
        assert row["Account.CrmId"] == (account["CrmId"] or "")
        assert CSV_DATETIME.match(row["Account.CreatedDate"])
        assert datetime.fromisoformat(row["Account.CreatedDate"]) == account["CreatedDate"]


def test_export_csv_quotes_commas_quotes_and_newlines(zuora_sandbox: RunningServer, auth) -> None:
    parsed = rows(export(zuora_sandbox, auth, "select Id, Description from Product"))
    descriptions = [r["Product.Description"] for r in parsed]
    assert descriptions == [
        "Core analytics platform.\nSSO included.",
        'The "insights" pack',
        "",
        "One-time setup, training",
    ]


def test_csv_datetimes_use_the_tenant_zone_with_daylight_saving() -> None:
    tz = PACIFIC
    assert (
        format_value(datetime(2025, 3, 4, 13, 6, 7, tzinfo=UTC), tz)
        == "2025-03-04T05:06:07.000-08:00"
    )
    assert (
        format_value(datetime(2025, 7, 4, 12, 0, 0, tzinfo=UTC), tz)
        == "2025-07-04T05:00:00.000-07:00"
    )


def test_export_filter_lower_bound_is_inclusive_and_upper_bound_exclusive(
    zuora_sandbox: RunningServer, auth
) -> None:
    accounts = sorted(world_of(zuora_sandbox).records("Account"), key=lambda a: a["UpdatedDate"])
    low, high = accounts[5]["UpdatedDate"], accounts[20]["UpdatedDate"]
    high_pacific = format_value(high, PACIFIC)
    query = (
        f"SELECT Id FROM Account WHERE UpdatedDate >= '{low.isoformat().replace('+00:00', 'Z')}' "
        f"AND UpdatedDate < '{high_pacific}'"
    )
    got = {r["Account.Id"] for r in rows(export(zuora_sandbox, auth, query))}
    expected = {a["Id"] for a in accounts if low <= a["UpdatedDate"] < high}
    assert got == expected
    assert accounts[5]["Id"] in got
    assert accounts[20]["Id"] not in got


def test_export_result_is_the_snapshot_at_job_creation(zuora_sandbox: RunningServer, auth) -> None:
    job = requests.post(
        f"{zuora_sandbox.url}/v1/object/export",
        json={"Format": "csv", "Query": "select Id from Account"},
        headers=auth,
        timeout=5,
    ).json()
    requests.post(
        f"{zuora_sandbox.url}/__sandbox/mutate", json={"creates": 2, "updates": 0}, timeout=5
    )
    url = f"{zuora_sandbox.url}/v1/object/export/{job['Id']}"
    done = [requests.get(url, headers=auth, timeout=5).json() for _ in range(3)][-1]
    text = requests.get(
        f"{zuora_sandbox.url}/v1/files/{done['FileId']}", headers=auth, timeout=5
    ).text
    assert len(rows(text)) == 30
    assert len(world_of(zuora_sandbox).records("Account")) == 32


@pytest.mark.parametrize(
    ("query", "code", "message"),
    [
        ("select Foo from Account", "INVALID_FIELD", "invalid field for query: Account.Foo"),
        ("select Id from Nope", "INVALID_VALUE", "invalid object for query: Nope"),
        (
            "select Id from Account where UpdatedDate >= 'yesterday'",
            "INVALID_VALUE",
            "invalid value for Account.UpdatedDate: 'yesterday'",
        ),
        (
            "select Id Account",
            "MALFORMED_QUERY",
            "You have an error in your ZOQL syntax: expected from, found 'Account'",
        ),
    ],
)
def test_export_rejects_bad_queries_with_zuora_errors(
    zuora_sandbox: RunningServer, auth, query, code, message
) -> None:
    response = requests.post(
        f"{zuora_sandbox.url}/v1/object/export",
        json={"Format": "csv", "Query": query},
        headers=auth,
        timeout=5,
    )
    assert response.status_code == 400
    assert response.json() == {"Success": False, "Errors": [{"Code": code, "Message": message}]}


def test_unknown_export_and_file_are_404(zuora_sandbox: RunningServer, auth) -> None:
    job = requests.get(f"{zuora_sandbox.url}/v1/object/export/{'0' * 32}", headers=auth, timeout=5)
    file = requests.get(f"{zuora_sandbox.url}/v1/files/{'0' * 32}", headers=auth, timeout=5)
    assert (job.status_code, file.status_code) == (404, 404)


def test_mutated_records_are_exported_after_the_old_clock(
    zuora_sandbox: RunningServer, auth
) -> None:
    result = requests.post(
        f"{zuora_sandbox.url}/__sandbox/mutate",
        json={"at": "2025-01-01T12:00:00Z", "creates": 2, "updates": 6},
        timeout=5,
    ).json()
    query = "select Id from Account where UpdatedDate >= '2025-01-01T00:00:00Z'"
    got = {r["Account.Id"] for r in rows(export(zuora_sandbox, auth, query))}
    assert got == set(result["Account"]["created"]) | set(result["Account"]["updated"])
    health = requests.get(f"{zuora_sandbox.url}/__sandbox/health", timeout=5).json()
    assert health == {"status": "ok", "now": "2025-01-01T12:00:00Z"}


# -- admin side ------------------------------------------------------------------------------


def test_queued_429_is_served_once_then_the_normal_answer(
    zuora_sandbox: RunningServer, auth
) -> None:
    queued = requests.post(
        f"{zuora_sandbox.url}/__sandbox/faults",
        json={"path_prefix": "/v1/object/export", "method": "POST", "status": 429, "times": 1,
              "headers": {"Retry-After": "0"}},
        timeout=5,
    )  # fmt: skip
    assert queued.status_code == 201
    payload = {"Format": "csv", "Query": "select Id from Account"}
    url = f"{zuora_sandbox.url}/v1/object/export"
    first = requests.post(url, json=payload, headers=auth, timeout=5)
    second = requests.post(url, json=payload, headers=auth, timeout=5)
    assert first.status_code == 429
    assert first.headers["Retry-After"] == "0"
    assert first.headers["RateLimit-Remaining"] == "0"
    assert first.json() == {"message": "API rate limit exceeded"}
    assert second.status_code == 200


def test_queued_dropped_connection_breaks_one_request(zuora_sandbox: RunningServer, auth) -> None:
    requests.post(
        f"{zuora_sandbox.url}/__sandbox/faults",
        json={"path_prefix": "/v1/describe", "drop_connection": True},
        timeout=5,
    )
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{zuora_sandbox.url}/v1/describe", headers=auth, timeout=5)
    assert (
        requests.get(f"{zuora_sandbox.url}/v1/describe", headers=auth, timeout=5).status_code == 200
    )


def test_request_log_lists_api_requests_only(zuora_sandbox: RunningServer, auth) -> None:
    base = zuora_sandbox.url
    assert requests.delete(f"{base}/__sandbox/requests", timeout=5).status_code == 204
    requests.get(f"{base}/v1/describe?x=1", headers=auth, timeout=5)
    requests.get(f"{base}/v1/describe/Nope", headers=auth, timeout=5)
    requests.get(f"{base}/v1/describe", timeout=5)
    logged = requests.get(f"{base}/__sandbox/requests", timeout=5).json()
    assert [(e["method"], e["path"], e["query"], e["status"]) for e in logged] == [
        ("GET", "/v1/describe", "x=1", 200),
        ("GET", "/v1/describe/Nope", "", 404),
        ("GET", "/v1/describe", "", 401),
    ]


def test_request_log_masks_the_client_secret(zuora_sandbox: RunningServer) -> None:
    base = zuora_sandbox.url
    requests.post(
        f"{base}/oauth/token", data={**CLIENT, "grant_type": "client_credentials"}, timeout=5
    )
    logged = requests.get(f"{base}/__sandbox/requests", timeout=5).json()
    assert (
        logged[-1]["body"]
        == "client_id=sandbox-client-id&client_secret=***&grant_type=client_credentials"
    )


def test_bad_fault_is_refused(zuora_sandbox: RunningServer) -> None:
    response = requests.post(
        f"{zuora_sandbox.url}/__sandbox/faults", json={"status": 500}, timeout=5
    )
    assert response.status_code == 400
    assert response.json() == {"error": "a fault needs at least a string 'path_prefix'"}


@pytest.mark.parametrize("times", ["two", 0, True, 1.5])
def test_bad_job_failure_count_is_refused(zuora_sandbox: RunningServer, times: object) -> None:
    response = requests.post(
        f"{zuora_sandbox.url}/__sandbox/zuora/fail-jobs", json={"times": times}, timeout=5
    )
    assert response.status_code == 400
    assert response.json() == {"error": "'times' must be an integer >= 1"}


def test_unknown_route_is_404(zuora_sandbox: RunningServer) -> None:
    response = requests.get(f"{zuora_sandbox.url}/v2/nothing", timeout=5)
    assert response.status_code == 404
    assert response.json() == {"message": "no Route matched with those values"}


# -- command line ----------------------------------------------------------------------------


@pytest.fixture
def cli_server() -> Iterator[str]:
    script = Path(sys.executable).with_name("bizops-sandbox")
    process = subprocess.Popen(
        [str(script), "zuora", "--port", "0", "--seed", "42"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        yield process.stdout.readline().strip()
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_cli_prints_the_url_and_serves(cli_server: str) -> None:
    assert re.match(r"^http://127\.0\.0\.1:\d+$", cli_server)
    health = requests.get(f"{cli_server}/__sandbox/health", timeout=5).json()
    assert health == {"status": "ok", "now": "2025-01-01T00:00:00Z"}
