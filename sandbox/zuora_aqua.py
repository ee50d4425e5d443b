"""Zuora AQuA (``/v1/batch-query/``): stateful ZOQL export jobs, segmented files, deleted rows."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

from bizops_sandbox.file_store import FileStore
from bizops_sandbox.world import World
from bizops_sandbox.zoql import ZoqlError
from bizops_sandbox.zuora_export import BoundQuery, bind, format_value, render_csv

# AQuA's incrementalTime is tenant-local wall time without an offset (seen in singer-io
# tap-zuora: it converts the bookmark to US/Pacific before sending it).
INCREMENTAL_FORMAT = "%Y-%m-%d %H:%M:%S"
DELETED_FORMATS = {"boolean": ("true", "false"), "numeric": ("1", "0")}


class AquaRequestError(ValueError):
    """A job request AQuA refuses outright (HTTP 200 with ``errorCode`` and ``message``)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Batch:
    """One query of a job and, once done, its files."""

    id: str
    name: str
    query: str
    full: bool
    record_count: int
    segments: list[str]
    message: str | None = None


@dataclass
class AquaJob:
    """An AQuA job: it passes submitted and executing, then ends completed, error or aborted."""

    id: str
    request: dict[str, Any]
    started: datetime
    batches: list[Batch]
    contents: list[list[str]]
    failure: tuple[str, str] | None = None
    status: str = "submitted"
    polls: int = 0


@dataclass
class AquaStore:
    """Jobs, files and the stateful (partner, project) sessions of one tenant."""

    job_steps: int
    segment_rows: int
    tz: tzinfo
    jobs: dict[str, AquaJob] = field(default_factory=dict)
    files: FileStore = field(default_factory=FileStore)
    sessions: dict[tuple[str, str], datetime] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def create(
        self, request: dict[str, Any], world: World, failure: tuple[str, str] | None
    ) -> AquaJob:
        """Run every query of ``request`` on the world now and keep the result for later polls.

        Raises:
            AquaRequestError: the request itself is invalid (no queries, project without
                partner, a bad incrementalTime).
        """
        queries = request.get("queries")
        if not isinstance(queries, list) or not queries:
            raise AquaRequestError("MISSING_REQUIRED_VALUE", "queries is required")
        partner, project = request.get("partner"), request.get("project")
        if project and not partner:
            raise AquaRequestError(
                "INVALID_VALUE", "partner is required for a stateful AQuA job (project is set)"
            )
        since = self._since(request, partner, project)
        now = world.now
        job = AquaJob(secrets.token_hex(16), request, now, [], [], failure)
        for query in queries:
            batch, contents = self._run(
                query, world, since, labels=_flag(request, "useQueryLabels")
            )
            job.batches.append(batch)
            job.contents.append(contents)
        with self.lock:
            if project:
                self.sessions[(partner, project)] = now
            self.jobs[job.id] = job
        return job

    def _since(self, request: dict[str, Any], partner: Any, project: Any) -> datetime | None:
        text = request.get("incrementalTime")
        if text:
            try:
                local = datetime.strptime(str(text), INCREMENTAL_FORMAT)  # noqa: DTZ007
            except ValueError as exc:
                raise AquaRequestError(
                    "INVALID_VALUE",
                    f"invalid incrementalTime {text!r}: expected {INCREMENTAL_FORMAT}",
                ) from exc
            return local.replace(tzinfo=self.tz)
        with self.lock:
            return self.sessions.get((partner, project)) if project else None

    def _run(self, query: dict[str, Any], world: World, since, *, labels: bool):
        name = str(query.get("name") or "query")
        text = str(query.get("query") or "")
        try:
            bound = bind(text, self.tz, rest=False)
        except ZoqlError as exc:
            return Batch(secrets.token_hex(16), name, text, True, 0, [], exc.message), []
        rows, flags = _select(bound, world, since, query.get("deleted"))
        deleted = query.get("deleted") if isinstance(query.get("deleted"), dict) else None
        extra = (str(deleted.get("column") or "Deleted"), flags) if deleted else None
        contents = []
        for start in range(0, max(len(rows), 1), self.segment_rows):
            chunk = rows[start : start + self.segment_rows]
            part = (extra[0], extra[1][start : start + self.segment_rows]) if extra else None
            contents.append(render_csv(bound, chunk, UTC, labels=labels, extra=part))
        return Batch(secrets.token_hex(16), name, text, since is None, len(rows), []), contents

    def poll(self, job_id: str) -> AquaJob | None:
        """Advance a job one step and return it (None for an unknown id)."""
        with self.lock:
            job = self.jobs.get(job_id)
            if job is None or job.status in ("completed", "error", "aborted"):
                return job
            job.polls += 1
            if job.polls <= self.job_steps:
                job.status = "submitted" if job.polls == 1 else "executing"
                return job
            if job.failure is not None:
                job.status = job.failure[0]
                for batch in job.batches:
                    batch.message = job.failure[1]
                return job
            failed = [b for b in job.batches if b.message]
            job.status = "error" if failed else "completed"
            for batch, contents in zip(job.batches, job.contents, strict=True):
                batch.segments.extend(self.files.put(content) for content in contents)
            return job

    def abort(self, job_id: str) -> AquaJob | None:
        """Stop a job that has not finished (``DELETE``); a finished one stays as it is."""
        with self.lock:
            job = self.jobs.get(job_id)
            if job is not None and job.status in ("submitted", "executing"):
                job.status = "aborted"
            return job


def _flag(request: dict[str, Any], name: str) -> bool:
    return str(request.get(name, "false")).lower() == "true"


def _select(bound: BoundQuery, world: World, since: datetime | None, deleted: Any):
    """Rows of an AQuA query: all (full), or changed at/after ``since`` plus tombstones."""
    records = world.records(bound.object_name)
    if since is None:
        rows = bound.run(records)
        return rows, ["false"] * len(rows) if isinstance(deleted, dict) else []
    changed = [r for r in records if r.get("UpdatedDate") and r["UpdatedDate"] >= since]
    rows = bound.run(changed)
    if not isinstance(deleted, dict):
        return rows, []
    true, false = DELETED_FORMATS.get(
        str(deleted.get("format", "Boolean")).lower(), ("true", "false")
    )
    gone = [r for r in world.deleted(bound.object_name) if r["UpdatedDate"] >= since]
    return rows + gone, [false] * len(rows) + [true] * len(gone)


def job_json(job: AquaJob, tz: tzinfo) -> dict[str, Any]:
    """A job as ``GET /v1/batch-query/jobs/{id}`` shows it (fields absent until they apply)."""
    request = job.request
    body: dict[str, Any] = {
        "id": job.id, "name": request.get("name"), "partner": request.get("partner"),
        "project": request.get("project"), "format": "CSV",
        "version": str(request.get("version", "1.1")), "encrypted": "none",
        "useLastCompletedJobQueries": False, "status": job.status,
        "startTime": format_value(job.started, tz), "batches": [],
    }  # fmt: skip
    for batch in job.batches:
        entry: dict[str, Any] = {
            "batchId": batch.id, "name": batch.name, "query": batch.query,
            "batchType": "zoqlexport", "apiVersion": "91.0", "full": batch.full,
            "status": _batch_status(job.status, batch),
        }  # fmt: skip
        if batch.message and job.status in ("error", "aborted"):
            entry["message"] = batch.message
        if job.status == "completed":
            entry.update(recordCount=batch.record_count, fileId=batch.segments[0])
            if len(batch.segments) > 1:
                entry["segments"] = list(batch.segments)
        body["batches"].append(entry)
    return body


def _batch_status(job_status: str, batch: Batch) -> str:
    if job_status == "submitted":
        return "pending"
    if job_status == "error" and not batch.message:
        return "completed"
    return job_status
