"""HubSpot's wire shapes for the emulator: CRM v3 objects over the world's HubSpot records,
their properties, and the search API's filters (the emulator's routes are in ``hubspot.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from bizops_sandbox.world import World

Record = dict[str, Any]


@dataclass(frozen=True)
class CrmObject:
    """One CRM v3 object type as the API serves it from a world table.

    Attributes:
        name: the object type in the URL (``contacts``, ``calls``, ...).
        table: the world's HubSpot table it is served from.
        modified: the property holding the last-modified time (``lastmodifieddate`` on
            contacts, ``hs_lastmodifieddate`` elsewhere: the API's own quirk).
        created: the property holding the creation time.
        engagement: for engagement objects, the world's ``hs_engagement_type`` served.
        defaults: the properties answered when the request names none.
    """

    name: str
    table: str
    modified: str
    created: str
    engagement: str | None
    defaults: tuple[str, ...]


def _engagement(name: str, kind: str) -> CrmObject:
    defaults = ("hs_timestamp", "hs_engagement_type", "hs_createdate", "hs_lastmodifieddate")
    return CrmObject(name, "engagements", "hs_lastmodifieddate", "hs_createdate", kind, defaults)


OBJECTS: dict[str, CrmObject] = {
    o.name: o
    for o in (
        CrmObject("companies", "companies", "hs_lastmodifieddate", "createdate", None,
                  ("name", "domain", "createdate", "hs_lastmodifieddate")),
        CrmObject("contacts", "contacts", "lastmodifieddate", "createdate", None,
                  ("firstname", "lastname", "email", "createdate", "lastmodifieddate")),
        CrmObject("deals", "deals", "hs_lastmodifieddate", "createdate", None,
                  ("dealname", "amount", "dealstage", "pipeline", "closedate", "createdate",
                   "hs_lastmodifieddate")),
        _engagement("calls", "CALL"),
        _engagement("emails", "EMAIL"),
        _engagement("meetings", "MEETING"),
        _engagement("notes", "NOTE"),
    )
}  # fmt: skip
# The association type ids HubSpot defines (v4 "HUBSPOT_DEFINED" primary associations).
ASSOCIATION_TYPES = {("contacts", "companies"): 1, ("companies", "contacts"): 2,
                     ("deals", "companies"): 5, ("companies", "deals"): 6}  # fmt: skip


def records(world: World, obj: CrmObject) -> list[Record]:
    """The world's records of ``obj`` (archived ones too), by id."""
    rows = world.records(obj.table, source="hubspot")
    if obj.engagement is not None:
        rows = [r for r in rows if r["properties"]["hs_engagement_type"] == obj.engagement]
    return sorted(rows, key=lambda r: int(r["id"]))


def all_properties(obj: CrmObject, record: Record) -> dict[str, str | None]:
    """Every property of ``record`` as the API writes it (strings or null), the system ones
    (``hs_object_id``, creation and last-modified times) included."""
    props = {name: wire_value(value) for name, value in record["properties"].items()}
    props["hs_object_id"] = record["id"]
    props[obj.created] = wire_value(record["createdAt"])
    props[obj.modified] = wire_value(record["updatedAt"])
    return props


def wire(obj: CrmObject, record: Record, wanted: list[str] | None,
         props: dict[str, Any] | None = None) -> Record:  # fmt: skip
    """A record in v3 shape with the ``wanted`` properties (unknown names are left out, as the
    API does) or the object's defaults; ``props``: its :func:`all_properties`, when known."""
    props = all_properties(obj, record) if props is None else props
    names = wanted if wanted else [*obj.defaults, "hs_object_id"]
    out: Record = {
        "id": record["id"],
        "properties": {n: props[n] for n in names if n in props},
        "createdAt": wire_value(record["createdAt"]),
        "updatedAt": wire_value(record["updatedAt"]),
        "archived": record["archived"],
    }
    if record["archived"]:
        out["archivedAt"] = wire_value(record["archivedAt"])
    return out


def wire_value(value: Any) -> str | None:
    """A property value as the API writes it: text, instants as ``...T...:SS.000Z``, dates as
    midnight UTC instants (v3 answers date properties as instants), numbers as text."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + "000Z"
    if isinstance(value, date):
        return value.isoformat() + "T00:00:00.000Z"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    return str(value)


class SearchError(ValueError):
    """A search body the API refuses (400 VALIDATION_ERROR with this message)."""


OPERATORS = ("EQ", "NEQ", "GT", "GTE", "LT", "LTE", "HAS_PROPERTY", "NOT_HAS_PROPERTY")
MAX_GROUPS, MAX_FILTERS = 5, 6  # the search API's limits (docs: 5 groups of up to 6 filters)


def matcher(filter_groups: Any) -> Any:
    """A predicate over a record's wire properties: any group matches when all its filters do.

    Raises:
        SearchError: the groups are malformed or pass the API's limits.
    """
    if not isinstance(filter_groups, list) or len(filter_groups) > MAX_GROUPS:
        raise SearchError(f"filterGroups must be a list of at most {MAX_GROUPS} groups")
    groups = []
    for group in filter_groups:
        filters = group.get("filters") if isinstance(group, dict) else None
        if not isinstance(filters, list) or len(filters) > MAX_FILTERS:
            raise SearchError(f"each filter group holds a list of at most {MAX_FILTERS} filters")
        groups.append([_filter(f) for f in filters])
    if not groups:
        return lambda props: True
    return lambda props: any(all(test(props) for test in group) for group in groups)


def _filter(spec: Any) -> Any:
    if not isinstance(spec, dict) or not isinstance(spec.get("propertyName"), str):
        raise SearchError("a filter needs a propertyName")
    name, operator = spec["propertyName"], spec.get("operator")
    if operator not in OPERATORS:
        raise SearchError(f"unknown operator {operator!r}; expected one of {', '.join(OPERATORS)}")
    if operator == "HAS_PROPERTY":
        return lambda props: props.get(name) is not None
    if operator == "NOT_HAS_PROPERTY":
        return lambda props: props.get(name) is None
    if "value" not in spec:
        raise SearchError(f"filter on {name} with {operator} needs a value")
    wanted = sortable(str(spec["value"]))

    def test(props: dict[str, str | None]) -> bool:
        value = props.get(name)
        if value is None:
            return operator == "NEQ"
        have = sortable(value)
        if type(have) is not type(wanted):
            return operator == "NEQ"
        return {
            "EQ": have == wanted, "NEQ": have != wanted, "GT": have > wanted,
            "GTE": have >= wanted, "LT": have < wanted, "LTE": have <= wanted,
        }[operator]  # fmt: skip

    return test


def sortable(value: str) -> Any:
    """A property value in the order the search API compares it: instants (ISO text or epoch
    milliseconds, as HubSpot takes both for dates) and numbers as numbers, else text."""
    if value.lstrip("-").isdigit():
        return Decimal(value)
    if len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return Decimal(int(moment.timestamp() * 1000))
    try:
        return Decimal(value)
    except ArithmeticError:
        return value.lower()
