"""The Zuora emulator's AQuA side and its Zuora-only faults, over real HTTP."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from bizops_sandbox.server import RunningServer, serve
from bizops_sandbox.world import World
from bizops_sandbox.zuora import create_app

KEYS = {"apiAccessKeyId": "sandbox-client-id", "apiSecretAccessKey": "sandbox-client-secret"}


@pytest.fixture
def server() -> Iterator[RunningServer]:
    running = serve(create_app(World.generate(seed=42), segment_rows=100))
    try:
        yield running
    finally:
        running.stop()


def job_body(query: str, **extra: Any) -> dict[str, Any]:
    return {
        "format": "csv", "version": "1.2", "name": "t", "partner": "p", "project": "proj",
        "useQueryLabels": "true", "dateTimeUtc": "true",
        "queries": [{"name": "q", "query": query, "type": "zoqlexport",
                     "deleted": {"column": "Deleted", "format": "Boolean"}}],
        **extra,
    }  # fmt: skip


def post_job(server: RunningServer, body: dict[str, Any]) -> dict[str, Any]:
    response = requests.post(f"{server.url}/v1/batch-query/", json=body, headers=KEYS, timeout=5)
    assert response.status_code == 200, response.text
    return response.json()


def run_job(server: RunningServer, body: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    job = post_job(server, body)
    statuses = [job["status"]]
    while statuses[-1] not in ("completed", "error", "aborted"):
        url = f"{server.url}/v1/batch-query/jobs/{job['id']}"
        job = requests.get(url, headers=KEYS, timeout=5).json()
        statuses.append(job["status"])
    return statuses, job


def file_rows(server: RunningServer, file_id: str) -> list[dict[str, str]]:
    text = requests.get(f"{server.url}/v1/file/{file_id}", headers=KEYS, timeout=5).text
    return list(csv.DictReader(io.StringIO(text)))


def test_job_passes_submitted_and_executing_and_splits_into_segments(server) -> None:
    statuses, job = run_job(server, job_body("select Id, UpdatedDate from InvoiceItem"))
    assert statuses == ["submitted", "submitted", "executing", "completed"]
    batch = job["batches"][0]
    assert batch["full"] is True and batch["recordCount"] == 772
    assert len(batch["segments"]) == 8 and batch["fileId"] == batch["segments"][0]
    ids = [row["Id"] for f in batch["segments"] for row in file_rows(server, f)]
    assert len(set(ids)) == 772


def test_incremental_job_returns_changes_and_deleted_rows_since_pacific_time(server) -> None:
    changed = requests.post(f"{server.url}/__sandbox/mutate",
                            json={"creates": 0, "updates": 6}, timeout=5).json()  # fmt: skip
    # 2024-12-31 16:00 Pacific = the old clock, 2025-01-01T00:00Z.
    body = job_body("select Id from Refund", incrementalTime="2024-12-31 16:00:00")
    _, job = run_job(server, body)
    rows = file_rows(server, job["batches"][0]["fileId"])
    assert job["batches"][0]["full"] is False
    assert {r["Id"]: r["Deleted"] for r in rows} == dict.fromkeys(
        changed["Refund"]["deleted"], "true"
    )


def test_same_project_continues_from_the_previous_job(server) -> None:
    run_job(server, job_body("select Id from Account"))
    _, job = run_job(server, job_body("select Id from Account"))
    assert job["batches"][0]["full"] is False
    assert job["batches"][0]["recordCount"] == 0


def test_project_without_partner_is_refused_in_a_200(server) -> None:
    answer = post_job(server, job_body("select Id from Account", partner=None))
    assert answer["errorCode"] == "INVALID_VALUE"
    assert "partner is required" in answer["message"]


def test_bad_query_ends_the_job_in_error_with_the_message(server) -> None:
    statuses, job = run_job(server, job_body("select Nope from Account"))
    assert statuses[-1] == "error"
    assert job["batches"][0]["message"] == "invalid field for query: Account.Nope"


def test_queued_failure_ends_the_next_job_aborted(server) -> None:
    requests.post(f"{server.url}/__sandbox/zuora/fail-jobs",
                  json={"status": "aborted", "message": "stop"}, timeout=5)  # fmt: skip
    statuses, job = run_job(server, job_body("select Id from Account"))
    assert statuses[-1] == "aborted" and job["batches"][0]["message"] == "stop"


def test_expired_files_answer_404(server) -> None:
    _, job = run_job(server, job_body("select Id from Account"))
    requests.post(f"{server.url}/__sandbox/zuora/expire-files", timeout=5)
    url = f"{server.url}/v1/file/{job['batches'][0]['fileId']}"
    response = requests.get(url, headers=KEYS, timeout=5)
    assert response.status_code == 404
    assert response.json()["reasons"][0]["code"] == 50000040


def test_forbidden_object_answers_403_in_both_apis(server) -> None:
    requests.post(f"{server.url}/__sandbox/zuora/forbid", json={"objects": ["Invoice"]}, timeout=5)
    aqua = requests.post(f"{server.url}/v1/batch-query/", headers=KEYS, timeout=5,
                         json=job_body("select Id from Invoice"))  # fmt: skip
    rest = requests.post(f"{server.url}/v1/object/export", headers=KEYS, timeout=5,
                         json={"Format": "csv", "Query": "select Id from Invoice"})  # fmt: skip
    assert aqua.status_code == rest.status_code == 403
    assert rest.json()["reasons"][0]["message"] == "You do not have permission to access Invoice"


def test_rest_export_refuses_fields_only_aqua_exports(server) -> None:
    query = "select Id, IsLatestVersion from Subscription"
    rest = requests.post(f"{server.url}/v1/object/export", headers=KEYS, timeout=5,
                         json={"Format": "csv", "Query": query})  # fmt: skip
    assert rest.status_code == 400
    assert rest.json()["Errors"][0]["Code"] == "INVALID_FIELD"
    _, job = run_job(server, job_body("select Id, IsLatestVersion from Subscription"))
    assert job["status"] == "completed"


def test_expired_tokens_get_401(server) -> None:
    token = requests.post(f"{server.url}/oauth/token", timeout=5, data={
        "client_id": KEYS["apiAccessKeyId"], "client_secret": KEYS["apiSecretAccessKey"],
        "grant_type": "client_credentials"}).json()["access_token"]  # fmt: skip
    bearer = {"Authorization": f"Bearer {token}"}
    assert requests.get(f"{server.url}/v1/describe", headers=bearer, timeout=5).status_code == 200
    requests.post(f"{server.url}/__sandbox/zuora/expire-tokens", timeout=5)
    assert requests.get(f"{server.url}/v1/describe", headers=bearer, timeout=5).status_code == 401


def test_truncated_fault_sends_part_of_the_body_then_closes(server) -> None:
    _, job = run_job(server, job_body("select Id, Name from Account"))
    requests.post(f"{server.url}/__sandbox/faults", timeout=5,
                  json={"path_prefix": "/v1/file/", "truncate_after": 100})  # fmt: skip
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.get(f"{server.url}/v1/file/{job['batches'][0]['fileId']}", headers=KEYS, timeout=5)
