"""Marketo bulk extract jobs (leads and activities): create -> enqueue -> status -> file.

A job passes through ``Created``, ``Queued`` and ``Processing`` before ``Completed``: every
status poll moves a queued job one step. At most 10 jobs may be queued or processing
(``1029``); a file is kept for seven days of the world clock, or until
``POST /__sandbox/expire-exports``, and then answers 404.
"""

from __future__ import annotations

import csv
import io
import json
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bizops_sandbox.world import World
from bizops_sandbox.world_marketo import activity_record

MAX_QUEUED = 10
MAX_DAYS = 31
FILE_DAYS = 7
ACTIVITY_COLUMNS = (
    "marketoGUID",
    "leadId",
    "activityDate",
    "activityTypeId",
    "campaignId",
    "primaryAttributeValueId",
    "primaryAttributeValue",
    "attributes",
)
LEAD_FILTERS = ("createdAt", "updatedAt")
STEPS = {"Queued": "Processing", "Processing": "Completed"}


class BulkError(ValueError):
    """A refused bulk request: ``code`` and ``message`` go into the 200 body's errors."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Job:
    """One export job."""

    kind: str
    fields: list[str]
    filter_name: str
    start: datetime
    end: datetime
    type_ids: list[int] | None
    created_at: datetime
    export_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    status: str = "Created"
    queued_at: datetime | None = None
    finished_at: datetime | None = None
    data: bytes | None = None
    records: int = 0
    expired: bool = False

    def answer(self) -> dict[str, Any]:
        """The job as create/enqueue/status answer it."""
        out: dict[str, Any] = {
            "exportId": self.export_id,
            "format": "CSV",
            "status": self.status,
            "createdAt": wire(self.created_at),
        }
        if self.queued_at:
            out["queuedAt"] = wire(self.queued_at)
        if self.status == "Completed":
            out.update(
                startedAt=wire(self.queued_at),
                finishedAt=wire(self.finished_at),
                numberOfRecords=self.records,
                fileSize=len(self.data or b""),
            )
        return out


class BulkJobs:
    """The export jobs of one emulator, over its world."""

    def __init__(self, world: World) -> None:
        self.world = world
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def create(self, kind: str, body: Any) -> Job:
        """Validate a create body and store its job (``Created``)."""
        if not isinstance(body, dict) or body.get("format", "CSV") != "CSV":
            raise BulkError("1003", "Invalid format; only CSV is supported")
        filters = body.get("filter")
        if not isinstance(filters, dict):
            raise BulkError("1003", "A filter is required")
        names = [n for n in filters if n != "activityTypeIds"]
        allowed = LEAD_FILTERS if kind == "leads" else ("createdAt",)
        if len(names) != 1 or names[0] not in allowed:
            raise BulkError("1003", f"Invalid filter; one of {', '.join(allowed)} is required")
        start, end = _range(filters[names[0]])
        fields = body.get("fields") or list(_default_fields(self.world, kind))
        if kind == "leads":
            known = _default_fields(self.world, kind)
            unknown = [f for f in fields if f not in known]
            if unknown:
                raise BulkError("1003", f"Invalid fields: {', '.join(map(str, unknown))}")
        type_ids = filters.get("activityTypeIds")
        job = Job(kind, list(fields), names[0], start, end, type_ids, self.world.now)
        with self._lock:
            self._jobs[job.export_id] = job
        return job

    def get(self, kind: str, export_id: str) -> Job:
        """The job ``export_id`` of ``kind``."""
        job = self._jobs.get(export_id)
        if job is None or job.kind != kind:
            raise BulkError("1003", f"Export id {export_id} not found")
        return job

    def enqueue(self, kind: str, export_id: str) -> Job:
        """Queue a created job; 1029 when 10 are already queued or processing."""
        with self._lock:
            job = self.get(kind, export_id)
            if job.status != "Created":
                raise BulkError("1029", f"Export {export_id} is already {job.status}")
            busy = sum(j.status in STEPS for j in self._jobs.values())
            if busy >= MAX_QUEUED:
                raise BulkError("1029", f"Too many jobs ({MAX_QUEUED}) in queue")
            job.status, job.queued_at = "Queued", self.world.now
            return job

    def status(self, kind: str, export_id: str) -> Job:
        """The job, moved one step on from Queued or Processing (its file written when done)."""
        with self._lock:
            job = self.get(kind, export_id)
            if job.status in STEPS:
                job.status = STEPS[job.status]
                if job.status == "Completed":
                    job.data, job.records = self._file(job)
                    job.finished_at = self.world.now
            return job

    def cancel(self, kind: str, export_id: str) -> Job:
        """Cancel a job not yet completed."""
        with self._lock:
            job = self.get(kind, export_id)
            if job.status in ("Created", *STEPS):
                job.status = "Cancelled"
            return job

    def file(self, kind: str, export_id: str) -> bytes | None:
        """The CSV of a completed job; None when it is not completed or has expired."""
        job = self.get(kind, export_id)
        days = (self.world.now - (job.finished_at or self.world.now)).days
        if job.status != "Completed" or job.expired or days >= FILE_DAYS:
            return None
        return job.data

    def listed(self, kind: str, statuses: list[str]) -> list[Job]:
        """The jobs of ``kind``, only those in ``statuses`` when given."""
        return [
            j
            for j in self._jobs.values()
            if j.kind == kind and (not statuses or j.status in statuses)
        ]

    def expire(self) -> int:
        """Expire every completed job's file; how many there were."""
        with self._lock:
            done = [j for j in self._jobs.values() if j.status == "Completed" and not j.expired]
            for job in done:
                job.expired = True
            return len(done)

    def _file(self, job: Job) -> tuple[bytes, int]:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        if job.kind == "leads":
            writer.writerow(job.fields)
            key = "createdAt" if job.filter_name == "createdAt" else "updatedAt"
            rows = [r for r in self.world.marketo.leads.values() if job.start <= r[key] <= job.end]
            rows.sort(key=lambda r: r["id"])
            for row in rows:
                writer.writerow([_cell(row.get(name)) for name in job.fields])
            return out.getvalue().encode(), len(rows)
        writer.writerow(ACTIVITY_COLUMNS)
        end = job.end + timedelta(seconds=1)  # endAt is inclusive, to the second
        count = 0
        wanted = set(job.type_ids) if job.type_ids else None
        for activity in self.world.marketo.activities_between(job.start, end):
            if wanted is None or activity[3] in wanted:
                record = activity_record(activity)
                record["attributes"] = json.dumps(
                    {a["name"]: a["value"] for a in record["attributes"]}, separators=(",", ":")
                )
                writer.writerow([_cell(record[c]) for c in ACTIVITY_COLUMNS])
                count += 1
        return out.getvalue().encode(), count


def _default_fields(world: World, kind: str) -> list[str]:
    if kind == "activities":
        return list(ACTIVITY_COLUMNS)
    first = next(iter(world.marketo.leads.values()), {})
    return list(first) or ["id"]


def _range(value: Any) -> tuple[datetime, datetime]:
    """startAt and endAt (ISO-8601), at most 31 days apart."""
    if not isinstance(value, dict) or not {"startAt", "endAt"} <= value.keys():
        raise BulkError("1003", "A date range filter needs startAt and endAt")
    try:
        start, end = (_instant(str(value[k])) for k in ("startAt", "endAt"))
    except ValueError:
        raise BulkError("1003", "startAt and endAt must be ISO-8601 datetimes") from None
    if end < start:
        raise BulkError("1003", "endAt is before startAt")
    if end - start > timedelta(days=MAX_DAYS):
        raise BulkError("1003", f"Date range exceeds {MAX_DAYS} days")
    return start, end


def _instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return wire(value)
    return str(value)


def wire(moment: datetime | None) -> str | None:
    """A datetime as the REST and bulk APIs write it (``2024-01-31T10:00:00Z``)."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
