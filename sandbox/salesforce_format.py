"""How the Salesforce emulator writes world values: REST JSON, Bulk CSV cells, describe bodies."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from bizops_sandbox.salesforce_schema import UNQUERYABLE, describes, field_types


def rest_value(value: Any) -> Any:
    """A value as the REST API writes it in JSON (datetimes as ``...000+0000``)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
            f"{value.microsecond // 1000:03d}+0000"
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def csv_cell(value: Any) -> str:
    """A value as Bulk API 2.0 writes it in a CSV result (null is an empty cell)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        stamp = value.astimezone(UTC)
        return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def rest_records(
    object_name: str, fields: tuple[str, ...], rows: Iterable[dict[str, Any]], version: str
) -> list[dict[str, Any]]:
    """REST query records: ``attributes`` then the selected fields, in the order selected."""
    base = f"/services/data/v{version}/sobjects/{object_name}/"
    return [
        {
            "attributes": {"type": object_name, "url": base + row["Id"]},
            **{name: rest_value(row[name]) for name in fields},
        }
        for row in rows
    ]


def render_csv(
    fields: tuple[str, ...], rows: Iterable[dict[str, Any]], cell: Callable[[str, Any], str]
) -> str:
    """A Bulk 2.0 CSV page: header of field names, every cell quoted."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(fields)
    for row in rows:
        writer.writerow([cell(name, row[name]) for name in fields])
    return out.getvalue()


def short_id(value: Any) -> Any:
    """The 15-character form of an 18-character id (other values unchanged)."""
    return value[:15] if isinstance(value, str) and len(value) == 18 else value


def is_reference(object_name: str, name: str) -> bool:
    """Whether a field holds record ids (``id`` or ``reference``)."""
    return field_types(object_name)[name] in ("id", "reference")


def global_describe(version: str) -> dict[str, Any]:
    """The body of ``GET /sobjects``: every object, queryable or not."""
    entries = [_summary(doc, version) for doc in describes().values()]
    for name in UNQUERYABLE:
        entries.append({
            "name": name, "label": name, "labelPlural": name, "keyPrefix": None,
            "custom": False, "queryable": False, "retrieveable": False, "createable": False,
            "urls": {},
        })  # fmt: skip
    return {"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": entries}


def _summary(doc: dict[str, Any], version: str) -> dict[str, Any]:
    base = f"/services/data/v{version}/sobjects/{doc['name']}"
    return {
        "name": doc["name"], "label": doc["label"], "labelPlural": doc["labelPlural"],
        "keyPrefix": doc["keyPrefix"], "custom": doc["custom"], "queryable": doc["queryable"],
        "retrieveable": True, "createable": True, "updateable": True, "deletable": True,
        "customSetting": False, "deprecatedAndHidden": False,
        "urls": {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"},
    }  # fmt: skip


def object_describe(object_name: str, version: str) -> dict[str, Any]:
    """The body of ``GET /sobjects/{Object}/describe``: the summary plus every field."""
    doc = describes()[object_name]
    fields = []
    for spec in doc["fields"]:
        system = spec["name"] in ("Id", "CreatedDate", "LastModifiedDate", "SystemModstamp")
        fields.append({
            "length": 0, "precision": 0, "scale": 0, "referenceTo": [], "relationshipName": None,
            "picklistValues": [], "calculated": False, "filterable": True, "sortable": True,
            "createable": not system, "updateable": not system, "unique": False,
            "compoundFieldName": None, **spec,
        })  # fmt: skip
    return {**_summary(doc, version), "fields": fields, "childRelationships": []}
