"""State the Salesforce emulator keeps between calls: query cursors, Bulk 2.0 jobs, API usage."""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bizops_sandbox.salesforce_soql import Query

# Cursors and jobs kept at once; older ones expire, as Salesforce expires query locators.
KEEP = 50


@dataclass
class Cursor:
    """The rows of one REST query, served 2,000 at a time through ``nextRecordsUrl``."""

    query: Query
    rows: list[dict[str, Any]]


@dataclass
class BulkJob:
    """A Bulk API 2.0 query job: the result is fixed at creation, ready after some polls."""

    id: str
    operation: str
    soql: str
    query: Query
    rows: list[dict[str, Any]]
    created: datetime
    state: str = "UploadComplete"
    polls: int = 0
    error: str | None = None

    def json(self, version: str) -> dict[str, Any]:
        """The job as ``GET /jobs/query/{id}`` shows it."""
        body: dict[str, Any] = {
            "id": self.id, "operation": self.operation, "object": self.query.object_name,
            "createdById": "005000000000000AAA", "createdDate": _stamp(self.created),
            "systemModstamp": _stamp(self.created), "state": self.state,
            "concurrencyMode": "Parallel", "contentType": "CSV", "apiVersion": float(version),
            "jobType": "V2Query", "lineEnding": "LF", "columnDelimiter": "COMMA",
        }  # fmt: skip
        if self.state == "JobComplete":
            body.update(numberRecordsProcessed=len(self.rows), retries=0, totalProcessingTime=42)
        if self.error:
            body["errorMessage"] = self.error
        return body


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


@dataclass
class SessionStore:
    """Everything the emulator remembers, safe to use from several server threads.

    Attributes:
        api_used: API requests counted today (``Sforce-Limit-Info: api-usage=used/max``).
        api_max: the org's daily API request limit.
        query_timeout_days: queries spanning more days than this (or unbounded) time out.
        denied_objects: objects the integration user may describe but not query (their read
            permission was removed after discovery).
        short_ids: Bulk CSV results carry 15-character reference ids.
    """

    job_steps: int
    api_used: int = 0
    api_max: int = 100_000
    query_timeout_days: float | None = None
    denied_objects: set[str] = field(default_factory=set)
    short_ids: bool = False
    tokens: set[str] = field(default_factory=set)
    cursors: OrderedDict[str, Cursor] = field(default_factory=OrderedDict)
    jobs: OrderedDict[str, BulkJob] = field(default_factory=OrderedDict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count_call(self) -> tuple[int, int]:
        """Count one API request; returns (used, max) after it."""
        with self.lock:
            self.api_used += 1
            return self.api_used, self.api_max

    def usage(self) -> tuple[int, int]:
        """(used, max) now."""
        with self.lock:
            return self.api_used, self.api_max

    def new_token(self) -> str:
        """Issue a session id."""
        token = "00D5g0000000001!" + secrets.token_urlsafe(24)
        with self.lock:
            self.tokens.add(token)
        return token

    def valid(self, token: str) -> bool:
        """Whether ``token`` is a live session."""
        with self.lock:
            return token in self.tokens

    def add_cursor(self, cursor: Cursor) -> str:
        """Keep a cursor; returns its locator id (``01g...``)."""
        locator = "01g5g" + secrets.token_hex(7).upper()
        with self.lock:
            self.cursors[locator] = cursor
            while len(self.cursors) > KEEP:
                self.cursors.popitem(last=False)
        return locator

    def cursor(self, locator: str) -> Cursor | None:
        """A live cursor, or None when it expired or never existed."""
        with self.lock:
            return self.cursors.get(locator)

    def add_job(self, job: BulkJob) -> None:
        """Keep a new Bulk job."""
        with self.lock:
            self.jobs[job.id] = job
            while len(self.jobs) > KEEP:
                self.jobs.popitem(last=False)

    def poll(self, job_id: str) -> BulkJob | None:
        """Advance a job one state (UploadComplete, InProgress..., JobComplete) and return it."""
        with self.lock:
            job = self.jobs.get(job_id)
            if job is None or job.state in ("JobComplete", "Failed", "Aborted"):
                return job
            job.polls += 1
            if job.polls > self.job_steps:
                job.state = "Failed" if job.error else "JobComplete"
            else:
                job.state = "InProgress"
            return job
