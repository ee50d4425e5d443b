"""The AQuA flow: one stateful batch-query job per stream, polled to its end, segments read."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bizops_core import polling
from bizops_core.errors import FatalError
from tap_zuora.client import ZuoraClient
from tap_zuora.describe import ZuoraObject
from tap_zuora.query import export_query

LOGGER = logging.getLogger("tap_zuora.aqua")

# AQuA reads incrementalTime as US/Pacific wall time (seen in singer-io tap-zuora, which
# converts its bookmark to US/Pacific before sending it), DST included.
PACIFIC = ZoneInfo("America/Los_Angeles")
INCREMENTAL_FORMAT = "%Y-%m-%d %H:%M:%S"
DELETED_COLUMN = "Deleted"
DONE = "completed"
# singer-io tap-zuora only checks `completed` and `failed`, so a job that ends `error` or
# `aborted` keeps it polling for 12 hours; these are the end states Zuora really reports.
FAILED = frozenset({"error", "aborted", "failed", "cancelled"})


def incremental_time(moment: datetime) -> str:
    """An instant as AQuA's ``incrementalTime``: US/Pacific wall time, whole seconds."""
    return moment.astimezone(PACIFIC).strftime(INCREMENTAL_FORMAT)


def aqua_query(obj: ZuoraObject, fields: tuple[str, ...], key: str | None) -> str:
    """The ZOQL of an AQuA export: the ``fields`` asked for, oldest change first."""
    query = export_query(obj, fields)
    return f"{query} order by {key} asc" if key else query


def aqua_payload(
    obj: ZuoraObject,
    fields: tuple[str, ...],
    *,
    key: str | None,
    partner: str,
    project: str,
    since: datetime | None,
) -> dict[str, Any]:
    """The body of ``POST /v1/batch-query/`` for one object (singer-io's make_aqua_payload)."""
    query: dict[str, Any] = {
        "name": obj.name, "query": aqua_query(obj, fields, key), "type": "zoqlexport"
    }  # fmt: skip
    payload: dict[str, Any] = {
        "name": project, "partner": partner, "project": project, "format": "csv",
        "version": "1.2", "encrypted": "none", "useQueryLabels": "true",
        "dateTimeUtc": "true", "queries": [query],
    }  # fmt: skip
    if since is not None:
        # Deleted rows come only with incremental jobs; a full export lists live rows only.
        query["deleted"] = {"column": DELETED_COLUMN, "format": "Boolean"}
        payload["incrementalTime"] = incremental_time(since)
    return payload


def aqua_export(
    client: ZuoraClient, payload: dict[str, Any], name: str
) -> Iterator[dict[str, str]]:
    """Create the job, poll it to its end and yield the rows of every segment file.

    Raises:
        FatalError: Zuora refused the job, or it ended in error/aborted (with its message).
        RetriableError: the job did not finish within ``job_timeout``.
    """
    LOGGER.info("creating AQuA job %s: %s", payload["project"], payload["queries"][0]["query"])
    job = client.call_json("POST", "v1/batch-query/", json=payload)
    if "id" not in job:
        # AQuA refuses a job with HTTP 200 and {"errorCode", "message"}.
        message = job.get("message") or job
        raise FatalError(
            f"Zuora refused the AQuA job for {name}: {job.get('errorCode')}: {message}"
        )
    job = _wait(client, str(job["id"]))
    batch = job["batches"][0]
    file_ids = batch.get("segments") or [batch["fileId"]]
    LOGGER.info(
        "AQuA job %s: %s rows in %d file(s)", job["id"], batch.get("recordCount"), len(file_ids)
    )
    for file_id in file_ids:
        yield from client.download(f"v1/file/{file_id}", name)


def _wait(client: ZuoraClient, job_id: str) -> dict[str, Any]:
    job: dict[str, Any] = {}

    def check() -> tuple[bool, str]:
        job.clear()
        job.update(client.call_json("GET", f"v1/batch-query/jobs/{job_id}"))
        status = str(job.get("status", "")).lower()
        if status in FAILED:
            messages = [b.get("message") for b in job.get("batches", []) if b.get("message")]
            reason = "; ".join(messages) or job.get("message") or "Zuora gave no message"
            raise FatalError(f"Zuora AQuA job {job_id} ended {status}: {reason}")
        return status == DONE, status

    config = client.config
    label = f"Zuora AQuA job {job_id}"
    polling.until_settled(label, check, interval=config.poll_interval, timeout=config.job_timeout)
    return job
