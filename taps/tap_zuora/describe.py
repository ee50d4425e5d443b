"""Zuora's describe XML as typed objects, and the JSON schema of a stream built from them."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

from bizops_core.errors import ConfigurationError, FatalError

# The Singer convention for a deleted row: when it was deleted (null for live rows).
DELETED_AT = "_sdc_deleted_at"

# First of these an object has is its replication key (the order singer-io/tap-zuora uses).
REPLICATION_KEYS = ("UpdatedDate", "TransactionDate", "UpdatedOn")

# describe <type> -> JSON schema; every type Zuora documents for export is listed.
JSON_TYPES: dict[str, dict[str, Any]] = {
    "text": {"type": "string"},
    "picklist": {"type": "string"},
    "boolean": {"type": "boolean"},
    "integer": {"type": "integer"},
    "decimal": {"type": "number"},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
}


@dataclass(frozen=True)
class ZuoraField:
    """One exportable field of a Zuora object."""

    name: str
    type: str
    required: bool

    def json_schema(self) -> dict[str, Any]:
        """JSON schema of the field; nullable unless it is the key."""
        schema = dict(JSON_TYPES[self.type])
        if self.name != "Id":
            schema["type"] = [schema["type"], "null"]
        return schema


@dataclass(frozen=True)
class ZuoraObject:
    """A Zuora object as describe reports it: its name and exportable fields in order."""

    name: str
    fields: tuple[ZuoraField, ...]

    @property
    def field_names(self) -> tuple[str, ...]:
        """Names of the exportable fields, in describe order."""
        return tuple(f.name for f in self.fields)

    @property
    def replication_key(self) -> str | None:
        """The field incremental exports filter on, or ``None`` for a full-table object."""
        names = set(self.field_names)
        return next((key for key in REPLICATION_KEYS if key in names), None)

    def without(self, names: frozenset[str]) -> ZuoraObject:
        """This object less the fields in ``names`` (those an export API refuses)."""
        return ZuoraObject(self.name, tuple(f for f in self.fields if f.name not in names))

    def json_schema(self) -> dict[str, Any]:
        """JSON schema of one exported row, plus ``_sdc_deleted_at`` (set on deleted rows)."""
        properties = {f.name: f.json_schema() for f in self.fields}
        properties[DELETED_AT] = {"type": ["string", "null"], "format": "date-time"}
        return {"type": "object", "properties": properties, "required": ["Id"]}


class XmlNotParsed(FatalError):
    """Describe XML that does not parse: garbled, or cut off before its end."""


def _parse_xml(content: bytes, what: str) -> ET.Element:
    # The describe XML comes from the configured Zuora host after authentication. A DOCTYPE is
    # never part of it, so refusing one rules out entity-expansion tricks before expat runs.
    # Bytes, not text: the XML declaration names the encoding, and expat honours it.
    if b"<!DOCTYPE" in content.upper():
        raise FatalError(f"Zuora {what} returned XML with a DOCTYPE, which is never expected")
    try:
        return ET.fromstring(content)  # noqa: S314 - DOCTYPE refused above
    except ET.ParseError as exc:
        raise XmlNotParsed(f"Zuora {what} returned XML that does not parse: {exc}") from exc


def parse_object_list(content: bytes) -> list[str]:
    """Object names from ``GET /v1/describe`` (``<objects><object><name>``)."""
    root = _parse_xml(content, "GET /v1/describe")
    return [(node.text or "").strip() for node in root.findall("./object/name") if node.text]


def parse_object(content: bytes, name: str) -> ZuoraObject:
    """The exportable fields of one object from ``GET /v1/describe/{name}``.

    Fields without the ``export`` context cannot be selected in an export query and are left
    out, as singer-io/tap-zuora does.

    Raises:
        FatalError: the XML does not parse or a field has a type Zuora does not document.
        ConfigurationError: the object has no exportable ``Id`` (it cannot be a stream).
    """
    root = _parse_xml(content, f"GET /v1/describe/{name}")
    fields = []
    for node in root.findall("./fields/field"):
        contexts = {(c.text or "").strip() for c in node.findall("./contexts/context")}
        if "export" not in contexts:
            continue
        field_name = (node.findtext("name") or "").strip()
        field_type = (node.findtext("type") or "").strip().lower()
        if field_type not in JSON_TYPES:
            raise FatalError(f"Zuora field {name}.{field_name} has unknown type {field_type!r}")
        required = (node.findtext("required") or "").strip().lower() == "true"
        fields.append(ZuoraField(field_name, field_type, required))
    obj = ZuoraObject((root.findtext("name") or name).strip(), tuple(fields))
    if "Id" not in obj.field_names:
        raise ConfigurationError(
            f"tap-zuora setting 'objects': Zuora object {name} has no exportable Id field"
        )
    return obj
