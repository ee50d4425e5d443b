"""Salesforce describe results as typed objects, and the JSON schema of a stream built from them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bizops_core.errors import FatalError

# First of these an object has is its replication key (singer-io/tap-salesforce's order).
REPLICATION_KEYS = ("SystemModstamp", "LastModifiedDate", "CreatedDate")

# describe field type -> JSON schema. Compound (address, location) and base64 fields are left
# out: Bulk queries refuse compound fields, and their parts are fields of their own anyway.
STRING_TYPES = (
    "id", "reference", "string", "textarea", "picklist", "multipicklist", "combobox", "phone",
    "email", "url", "encryptedstring", "anyType",
)  # fmt: skip
JSON_TYPES: dict[str, dict[str, Any]] = {
    **{t: {"type": "string"} for t in STRING_TYPES},
    "boolean": {"type": "boolean"},
    "int": {"type": "integer"},
    **{t: {"type": "number"} for t in ("double", "currency", "percent")},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
    "time": {"type": "string", "format": "time"},
}
UNSUPPORTED_TYPES = frozenset({"address", "location", "base64"})


@dataclass(frozen=True)
class SField:
    """One selectable field of an object."""

    name: str
    type: str

    def json_schema(self) -> dict[str, Any]:
        """JSON schema of the field; nullable unless it is the key."""
        schema = dict(JSON_TYPES[self.type])
        if self.name != "Id":
            schema["type"] = [schema["type"], "null"]
        return schema


@dataclass(frozen=True)
class SObject:
    """An object as describe reports it: its name and selectable fields in order."""

    name: str
    fields: tuple[SField, ...]

    @property
    def field_names(self) -> tuple[str, ...]:
        """Names of the selectable fields, in describe order."""
        return tuple(f.name for f in self.fields)

    @property
    def replication_key(self) -> str | None:
        """The datetime field incremental syncs filter on, or None (FULL_TABLE)."""
        types = {f.name: f.type for f in self.fields}
        return next((k for k in REPLICATION_KEYS if types.get(k) == "datetime"), None)

    def json_schema(self) -> dict[str, Any]:
        """JSON schema of one record."""
        return {
            "type": "object",
            "properties": {f.name: f.json_schema() for f in self.fields},
            "required": ["Id"],
        }


def queryable_names(body: Any) -> list[str]:
    """Object names from ``GET /sobjects`` that a tap can sync.

    Objects that are not queryable, and change-event entities (names ending in
    ``ChangeEvent``, which singer-io/tap-salesforce also skips), are left out.
    """
    if not isinstance(body, dict) or not isinstance(body.get("sobjects"), list):
        raise FatalError("Salesforce GET /sobjects answered without an sobjects list")
    return [
        entry["name"]
        for entry in body["sobjects"]
        if isinstance(entry, dict)
        and entry.get("queryable")
        and not str(entry.get("name", "")).endswith("ChangeEvent")
    ]


def parse_object(body: Any, name: str) -> SObject:
    """The selectable fields of one object from ``GET /sobjects/{name}/describe``.

    Raises:
        FatalError: the body is not a describe result, or the object has no Id.
    """
    if not isinstance(body, dict) or not isinstance(body.get("fields"), list):
        raise FatalError(f"Salesforce describe of {name} answered without a fields list")
    fields = []
    for spec in body["fields"]:
        ftype = str(spec.get("type", ""))
        if ftype in UNSUPPORTED_TYPES:
            continue
        # A type Salesforce adds later is synced as text rather than failing discovery.
        fields.append(SField(str(spec["name"]), ftype if ftype in JSON_TYPES else "string"))
    obj = SObject(str(body.get("name") or name), tuple(fields))
    if "Id" not in obj.field_names:
        raise FatalError(f"Salesforce object {name} has no Id field")
    return obj
