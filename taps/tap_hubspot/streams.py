"""The streams of tap-hubspot: one base class for CRM v3 objects, then the streams as a table
(name, object, last-modified property, schema; the engagement types share one schema)."""

from __future__ import annotations

import heapq
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from importlib.resources import files
from typing import TYPE_CHECKING, Any, ClassVar

from singer_sdk import Stream

from bizops_core.errors import FatalError
from bizops_core.replication import CatalogReplication

if TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

    from tap_hubspot.tap import TapHubspot

SCHEMAS = files("bizops_schemas") / "hubspot"
# The fields of every record outside HubSpot's ``properties`` (the v3 object's own).
TOP_LEVEL = ("id", "createdAt", "updatedAt", "archived", "archivedAt")


def load_schema(name: str) -> dict[str, Any]:
    """The JSON schema ``<name>.json`` of the tap's schemas."""
    return json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8"))


def epoch_ms(moment: datetime) -> str:
    """An instant as the search API takes it: epoch milliseconds, as text."""
    return str(int(moment.astimezone(UTC).timestamp() * 1000))


def flatten(record: dict[str, Any]) -> dict[str, Any]:
    """A v3 object as one row: its own fields, then its properties (strings, as the API
    gives them: HubSpot writes every property value as text)."""
    row = {name: record.get(name) for name in TOP_LEVEL}
    row.update(record.get("properties") or {})
    return row


def _order(row: dict[str, Any]) -> tuple[str, int]:
    # v3 writes every instant as ...T..:..:..(.fff)Z in UTC, so the text sorts as the time.
    return row["updatedAt"], int(row["id"])


class CrmStream(CatalogReplication, Stream):
    """The records of one CRM v3 object, oldest change first.

    Incremental: the search API, ``{modified} GTE <bookmark ms>`` sorted ascending (inclusive,
    so records at the bookmark come again and a run stopped among records of the same
    millisecond loses none). The search API gives at most ``search_cap`` (10,000) results per
    query, so at the cap the tap starts a new query from the last modification time it read,
    skipping the records of that millisecond it already emitted. Search leaves archived
    (deleted) records out: they are listed with ``archived=true`` and merged in by
    ``updatedAt``, emitted with ``archived`` true and their ``archivedAt``.
    FULL_TABLE lists every live record with ``GET`` (by id).
    """

    object_name: ClassVar[str]
    modified: ClassVar[str]
    schema_name: ClassVar[str]
    primary_keys: ClassVar[list[str]] = ["id"]
    replication_key = "updatedAt"
    # Searches and the merge give records in (updatedAt, id) order: the SDK may bookmark as
    # it goes.
    is_sorted = True

    def __init__(self, tap: TapHubspot) -> None:
        super().__init__(tap, schema=load_schema(self.schema_name))
        self._tap = tap

    @property
    def path(self) -> str:
        return f"crm/v3/objects/{self.object_name}"

    def selected_properties(self) -> list[str]:
        """The HubSpot properties to ask for: the schema's, less the deselected ones."""
        names = [n for n in self.schema["properties"] if n not in TOP_LEVEL]
        return [n for n in names if self.mask.get(("properties", n), True)]

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """Every record the sync needs, flattened."""
        names = ",".join(self.selected_properties())
        if self.sync_key() is None:
            for page in self._tap.client.pages(self.path, {"properties": names}):
                yield from (flatten(r) for r in page.records)
            return
        since, _ = self.starting_point(context, self._tap.settings.start_date)
        archived = sorted(self._archived(since, names), key=_order)
        yield from heapq.merge(self._searched(since), archived, key=_order)

    def _archived(self, since: datetime, names: str) -> Iterator[dict[str, Any]]:
        bound = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
        for page in self._tap.client.pages(self.path, {"properties": names, "archived": "true"}):
            for record in page.records:
                row = flatten(record)
                if row["updatedAt"] and row["updatedAt"][:19] >= bound:
                    yield row

    def _searched(self, since: datetime) -> Iterator[dict[str, Any]]:
        settings = self._tap.settings
        limit, cap = settings.search_page_size, settings.search_cap
        start, offset = epoch_ms(since), 0
        last, tied = "", set()  # the last updatedAt emitted and the ids emitted at it
        while True:
            body = {
                "filterGroups": [{"filters": [
                    {"propertyName": self.modified, "operator": "GTE", "value": start}]}],
                "sorts": [{"propertyName": self.modified, "direction": "ASCENDING"}],
                "properties": self.selected_properties(), "limit": limit, "after": str(offset),
            }  # fmt: skip
            page = self._tap.client.search(f"{self.path}/search", body)
            for record in page.records:
                row = flatten(record)
                if row["updatedAt"] == last and int(row["id"]) in tied:
                    continue  # read again by a query restarted at its millisecond
                if row["updatedAt"] != last:
                    last, tied = row["updatedAt"], set()
                tied.add(int(row["id"]))
                yield row
            if page.after is None:
                return
            offset = int(page.after)
            if offset + limit > cap:  # the next page is past the cap: a new query from `last`
                moment = epoch_ms(datetime.fromisoformat(last.replace("Z", "+00:00")))
                if moment == start:
                    raise FatalError(
                        f"{self.name}: more than {cap} records share the modification time "
                        f"{last}; the search API cannot page past them"
                    )
                start, offset = moment, 0


# (stream, CRM object, last-modified property, schema) — contacts name theirs differently.
TABLE = (
    ("companies", "companies", "hs_lastmodifieddate", "companies"),
    ("contacts", "contacts", "lastmodifieddate", "contacts"),
    ("deals", "deals", "hs_lastmodifieddate", "deals"),
    ("calls", "calls", "hs_lastmodifieddate", "engagements"),
    ("emails", "emails", "hs_lastmodifieddate", "engagements"),
    ("meetings", "meetings", "hs_lastmodifieddate", "engagements"),
    ("notes", "notes", "hs_lastmodifieddate", "engagements"),
)

STREAMS: tuple[type[CrmStream], ...] = tuple(
    type(f"{name.title()}Stream", (CrmStream,), {
        "name": name, "object_name": obj, "modified": modified, "schema_name": schema,
        "__doc__": f"HubSpot {obj} (CRM v3), flattened, archived ones included.",
    })
    for name, obj, modified, schema in TABLE
)  # fmt: skip


class FormSubmissionsStream(CatalogReplication, Stream):
    """Submissions of every form (``GET /marketing/v3/forms``, then
    ``GET /form-integrations/v1/submissions/forms/{guid}``), the touches of form-based
    attribution. The API has no filter and gives the newest first, so the tap reads each form
    down to the bookmark (inclusive) and stops there; records are not in bookmark order across
    forms, so the bookmark is written at the end of the stream. ``submittedAt`` (epoch ms on
    the wire) is written as an ISO-8601 UTC instant, to the millisecond."""

    name = "form_submissions"
    primary_keys: ClassVar[list[str]] = ["conversionId"]
    replication_key = "submittedAt"
    is_sorted = False

    def __init__(self, tap: TapHubspot) -> None:
        super().__init__(tap, schema=load_schema("form_submissions"))
        self._tap = tap

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        since = None
        if self.sync_key() is not None:
            since, _ = self.starting_point(context, self._tap.settings.start_date)
        forms = [
            f for page in self._tap.client.pages("marketing/v3/forms", {}) for f in page.records
        ]
        for form in forms:
            guid = str(form["id"])
            path = f"form-integrations/v1/submissions/forms/{guid}"
            for page in self._tap.client.pages(path, {}):
                rows = [_submission(guid, r) for r in page.records]
                yield from (r for r in rows if since is None or r["submittedAt"] >= _iso(since))
                if since is not None and rows and rows[-1]["submittedAt"] < _iso(since):
                    break  # newest first: the rest of this form is older than the bookmark


def _iso(moment: datetime) -> str:
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def _submission(guid: str, record: dict[str, Any]) -> dict[str, Any]:
    millis = int(record["submittedAt"])
    moment = datetime.fromtimestamp(millis / 1000, UTC)
    return {
        "conversionId": record["conversionId"], "formGuid": guid,
        "submittedAt": moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{millis % 1000:03d}Z",
        "pageUrl": record.get("pageUrl"), "values": record.get("values"),
    }  # fmt: skip


ALL_STREAMS: tuple[type[Stream], ...] = (*STREAMS, FormSubmissionsStream)
