"""Zuora REST export (``/v1/object/export``): ZOQL against the world, jobs, and CSV files."""

from __future__ import annotations

import csv
import io
import secrets
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any

from bizops_sandbox.file_store import FileStore
from bizops_sandbox.predicates import holds
from bizops_sandbox.zoql import Condition, FieldRef, Query, ZoqlError, parse
from bizops_sandbox.zuora_schema import field_kind, related, schemas


@dataclass(frozen=True)
class Column:
    """One output column: its CSV header, the record key it reads, its describe type, and the
    column as the query wrote it (AQuA's ``useQueryLabels`` header)."""

    header: str
    key: str
    kind: str
    label: str = ""


@dataclass(frozen=True)
class BoundQuery:
    """A query checked against the object's schema, ready to run on records."""

    object_name: str
    columns: tuple[Column, ...]
    filters: tuple[tuple[Column, str, Any], ...]
    order_by: tuple[Column, bool] | None = None
    limit: int | None = None

    def run(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The records that satisfy every condition, sorted and limited as the query says."""
        rows = [r for r in records if all(holds(r[c.key], op, v) for c, op, v in self.filters)]
        if self.order_by is not None:
            column, ascending = self.order_by
            # Nulls sort first, as in Zuora's exports.
            rows.sort(key=lambda r: (r[column.key] is not None, r[column.key] or 0))
            if not ascending:
                rows.reverse()
        return rows if self.limit is None else rows[: self.limit]


def bind(text: str, tenant_tz: tzinfo, *, rest: bool = True) -> BoundQuery:
    """Parse ``text`` and resolve its object, fields and literals.

    Args:
        rest: the query is a REST export (``/v1/object/export``), which refuses the fields
            marked ``x-zuora-rest-export: false`` (AQuA exports them).

    Raises:
        ZoqlError: MALFORMED_QUERY (syntax), INVALID_VALUE (unknown object or a literal that
            does not fit its field), INVALID_FIELD (unknown field, or one REST cannot export).
    """
    query: Query = parse(text)
    names = {name.lower(): name for name in schemas()}
    object_name = names.get(query.source.lower())
    if object_name is None:
        raise ZoqlError("INVALID_VALUE", f"invalid object for query: {query.source}")
    props = schemas()[object_name]["properties"]
    if query.fields is None:
        columns = tuple(
            _own(object_name, name, props[name])
            for name in props
            if not (rest and _rest_unsupported(props[name]))
        )
    else:
        columns = tuple(_resolve(object_name, ref) for ref in query.fields)
    if rest:
        for column in columns:
            if column.key in props and _rest_unsupported(props[column.key]):
                # Seen in singer-io/tap-zuora's UNSUPPORTED_FIELDS_FOR_REST: REST export
                # refuses fields that AQuA and describe offer.
                raise ZoqlError(
                    "INVALID_FIELD",
                    f"invalid field for query: {object_name}.{column.key} "
                    "is not supported by REST export",
                )
    filters = tuple(_filter(object_name, cond, tenant_tz) for cond in query.conditions)
    order = None
    if query.order_by is not None:
        order = (_resolve(object_name, query.order_by[0]), query.order_by[1])
    return BoundQuery(object_name, columns, filters, order, query.limit)


def _rest_unsupported(prop: dict[str, Any]) -> bool:
    return prop.get("x-zuora-rest-export") is False


def _own(object_name: str, name: str, prop: dict[str, Any], label: str = "") -> Column:
    return Column(f"{object_name}.{name}", name, field_kind(prop), label or name)


def _resolve(object_name: str, ref: FieldRef) -> Column:
    props = schemas()[object_name]["properties"]
    if ref.qualifier is None or ref.qualifier.lower() == object_name.lower():
        for name, prop in props.items():
            if name.lower() == ref.name.lower():
                return _own(object_name, name, prop, str(ref))
    else:
        for relation, (_, foreign_key) in related(object_name).items():
            if relation.lower() == ref.qualifier.lower() and ref.name.lower() == "id":
                return Column(f"{relation}.Id", foreign_key, "text", str(ref))
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


def render_csv(
    bound: BoundQuery,
    records: list[dict[str, Any]],
    tenant_tz: tzinfo,
    *,
    labels: bool = False,
    extra: tuple[str, list[str]] | None = None,
) -> str:
    """The CSV file of an export: one header row, one line per record.

    Args:
        labels: head columns as the query wrote them (AQuA ``useQueryLabels``) instead of
            object-qualified (``Account.Id``, REST export).
        extra: an added last column: its header and one cell per record (AQuA's deleted flag).
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = [column.label if labels else column.header for column in bound.columns]
    writer.writerow(header + ([extra[0]] if extra else []))
    keys = [column.key for column in bound.columns]
    for index, record in enumerate(records):
        cells = [format_value(record[key], tenant_tz) for key in keys]
        if extra:
            cells.append(extra[1][index])
        writer.writerow(cells)
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
    failure: tuple[str, str] | None = None  # (Failed|Cancelled, StatusReason) at the end


@dataclass
class ExportStore:
    """Export jobs and their files, safe to use from several server threads."""

    job_steps: int
    jobs: dict[str, ExportJob] = field(default_factory=dict)
    files: FileStore = field(default_factory=FileStore)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def create(
        self,
        query: str,
        fmt: str,
        content: str,
        size: int,
        now: datetime,
        failure: tuple[str, str] | None = None,
    ) -> ExportJob:
        """Register a new job whose file will hold ``content`` (or that ends in ``failure``)."""
        job = ExportJob(secrets.token_hex(16), query, fmt, now, now, content, size)
        job.failure = failure
        with self.lock:
            self.jobs[job.id] = job
        return job

    def poll(self, job_id: str, now: datetime) -> ExportJob | None:
        """Advance a job one step (Pending, Processing..., Completed) and return it."""
        with self.lock:
            job = self.jobs.get(job_id)
            if job is None or job.status in ("Completed", "Failed", "Cancelled"):
                return job
            job.polls += 1
            status = "Completed" if job.polls > self.job_steps else (
                "Pending" if job.polls == 1 else "Processing"
            )  # fmt: skip
            if status == "Completed" and job.failure is not None:
                status = job.failure[0]
            if status != job.status:
                job.status, job.updated = status, now
            if status == "Completed":
                job.file_id = self.files.put(job.content)
            return job
