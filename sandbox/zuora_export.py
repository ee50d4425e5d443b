"""Zuora REST export (``/v1/object/export``): ZOQL against the world, jobs, and CSV files."""

from __future__ import annotations

import csv
import io
import operator
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any

from bizops_sandbox.zoql import Condition, FieldRef, Query, ZoqlError, parse
from bizops_sandbox.zuora_schema import field_kind, related, schemas

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq, "!=": operator.ne, "<": operator.lt,
    "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}  # fmt: skip


@dataclass(frozen=True)
class Column:
    """One output column: its CSV header, the record key it reads, and its describe type."""

    header: str
    key: str
    kind: str


@dataclass(frozen=True)
class BoundQuery:
    """A query checked against the object's schema, ready to run on records."""

    object_name: str
    columns: tuple[Column, ...]
    filters: tuple[tuple[Column, str, Any], ...]

    def run(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The records that satisfy every condition, in the world's order."""
        return [r for r in records if all(_holds(r[c.key], op, v) for c, op, v in self.filters)]


def bind(text: str, tenant_tz: tzinfo) -> BoundQuery:
    """Parse ``text`` and resolve its object, fields and literals.

    Raises:
        ZoqlError: MALFORMED_QUERY (syntax), INVALID_VALUE (unknown object or a literal that
            does not fit its field), INVALID_FIELD (unknown field).
    """
    query: Query = parse(text)
    names = {name.lower(): name for name in schemas()}
    object_name = names.get(query.source.lower())
    if object_name is None:
        raise ZoqlError("INVALID_VALUE", f"invalid object for query: {query.source}")
    if query.fields is None:
        props = schemas()[object_name]["properties"]
        columns = tuple(_own(object_name, name, props[name]) for name in props)
    else:
        columns = tuple(_resolve(object_name, ref) for ref in query.fields)
    filters = tuple(_filter(object_name, cond, tenant_tz) for cond in query.conditions)
    return BoundQuery(object_name, columns, filters)


def _own(object_name: str, name: str, prop: dict[str, Any]) -> Column:
    return Column(f"{object_name}.{name}", name, field_kind(prop))


def _resolve(object_name: str, ref: FieldRef) -> Column:
    props = schemas()[object_name]["properties"]
    if ref.qualifier is None or ref.qualifier.lower() == object_name.lower():
        for name, prop in props.items():
            if name.lower() == ref.name.lower():
                return _own(object_name, name, prop)
    else:
        for relation, (_, foreign_key) in related(object_name).items():
            if relation.lower() == ref.qualifier.lower() and ref.name.lower() == "id":
                return Column(f"{relation}.Id", foreign_key, "text")
    raise ZoqlError("INVALID_FIELD", f"invalid field for query: {object_name}.{ref}")


def _filter(object_name: str, cond: Condition, tenant_tz: tzinfo) -> tuple[Column, str, Any]:
    column = _resolve(object_name, cond.field)
    if cond.literal is None:
        if cond.op not in ("=", "!="):
            raise ZoqlError("INVALID_VALUE", f"null can only be compared with = or != ({column})")
        return column, cond.op, None
    try:
        value = _coerce(column.kind, cond.literal, tenant_tz)
    except (ValueError, InvalidOperation) as exc:
        raise ZoqlError(
            "INVALID_VALUE", f"invalid value for {object_name}.{column.key}: '{cond.literal}'"
        ) from exc
    return column, cond.op, value


def _coerce(kind: str, literal: str | Decimal | bool, tenant_tz: tzinfo) -> Any:
    text = str(literal).lower() if isinstance(literal, bool) else str(literal)
    if kind == "datetime":
        moment = datetime.fromisoformat(text)
        # A literal without an offset is read in the tenant's time zone, as Zuora does.
        return moment if moment.tzinfo else moment.replace(tzinfo=tenant_tz)
    if kind == "date":
        return date.fromisoformat(text[:10]) if len(text) > 10 else date.fromisoformat(text)
    if kind in ("integer", "decimal"):
        return Decimal(text)
    if kind == "boolean":
        if text.lower() not in ("true", "false"):
            raise ValueError(text)
        return text.lower() == "true"
    return text


def _holds(value: Any, op: str, literal: Any) -> bool:
    if literal is None:
        return (value is None) == (op == "=")
    if value is None:
        return False
    return _OPS[op](value, literal)


def format_value(value: Any, tenant_tz: tzinfo) -> str:
    """A value as Zuora writes it in an export CSV (datetimes in the tenant's time zone)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.astimezone(tenant_tz).isoformat(timespec="milliseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def render_csv(bound: BoundQuery, records: list[dict[str, Any]], tenant_tz: tzinfo) -> str:
    """The CSV file of an export: object-qualified header row, one line per record."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([column.header for column in bound.columns])
    for record in records:
        writer.writerow([format_value(record[c.key], tenant_tz) for c in bound.columns])
    return out.getvalue()


@dataclass
class ExportJob:
    """One export: its result is fixed when it is created; it completes after some polls."""

    id: str
    query: str
    format: str
    created: datetime
    updated: datetime
    content: str
    size: int
    status: str = "Pending"
    polls: int = 0
    file_id: str | None = None


@dataclass
class ExportStore:
    """Export jobs and their files, safe to use from several server threads."""

    job_steps: int
    jobs: dict[str, ExportJob] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def create(self, query: str, fmt: str, content: str, size: int, now: datetime) -> ExportJob:
        """Register a new job whose file will hold ``content``."""
        job = ExportJob(secrets.token_hex(16), query, fmt, now, now, content, size)
        with self.lock:
            self.jobs[job.id] = job
        return job

    def poll(self, job_id: str, now: datetime) -> ExportJob | None:
        """Advance a job one step (Pending, Processing..., Completed) and return it."""
        with self.lock:
            job = self.jobs.get(job_id)
            if job is None or job.status == "Completed":
                return job
            job.polls += 1
            status = "Completed" if job.polls > self.job_steps else (
                "Pending" if job.polls == 1 else "Processing"
            )  # fmt: skip
            if status != job.status:
                job.status, job.updated = status, now
            if status == "Completed":
                job.file_id = secrets.token_hex(16)
                self.files[job.file_id] = job.content
            return job

    def file(self, file_id: str) -> str | None:
        """The content of a completed export's file, or None."""
        with self.lock:
            return self.files.get(file_id)
