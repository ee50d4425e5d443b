"""The streams of tap-marketo: leads and activities by bulk extract in date windows,
programs and activity types by REST; one short declaration per stream."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from typing import TYPE_CHECKING, Any, ClassVar

from singer_sdk import Stream
from singer_sdk.helpers.conform import TypeConformanceLevel

from bizops_core.csv_rows import header_rows
from bizops_core.errors import DataError
from bizops_core.replication import CatalogReplication

if TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

    from tap_marketo.tap import TapMarketo

SCHEMAS = files("bizops_schemas") / "marketo"


def load_schema(stream: str) -> dict[str, Any]:
    """The JSON schema of ``stream`` (``<stream>.json`` of the tap's schemas)."""
    return json.loads((SCHEMAS / f"{stream}.json").read_text(encoding="utf-8"))


def wire(moment: datetime) -> str:
    """An instant as Marketo takes it: ISO-8601 UTC without fractions."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def windows(start: datetime, end: datetime, days: int) -> Iterable[tuple[datetime, datetime]]:
    """``[start, end]`` cut into ranges of at most ``days`` days, both bounds inclusive to
    the second as Marketo's ``startAt``/``endAt`` are: the next range starts a second later."""
    start = start.astimezone(UTC).replace(microsecond=0)
    while start <= end:
        stop = min(start + timedelta(days=days) - timedelta(seconds=1), end)
        yield start, stop
        start = stop + timedelta(seconds=1)


class MarketoStream(CatalogReplication, Stream):
    """A Marketo stream; its schema from ``schemas/marketo/<name>.json``."""

    def __init__(self, tap: TapMarketo) -> None:
        super().__init__(tap, schema=load_schema(self.name))
        self._tap = tap

    def since(self, context: Context | None) -> datetime:
        """Where this sync starts: the bookmark (inclusive), else ``start_date``."""
        if self.sync_key() is None:
            return self._tap.settings.start_date
        since, _ = self.starting_point(context, self._tap.settings.start_date)
        return since


class BulkStream(MarketoStream):
    """Records of a bulk extract, one job per window from the bookmark to now.

    The bookmark is the greatest replication key value seen, compared inclusively on the next
    run (records at it come again; none is lost between runs). A file is sorted by id, not by
    the key, so the bookmark is only final at the end of the stream.
    """

    kind: ClassVar[str]
    filter_name: ClassVar[str]
    is_sorted = False
    # convert() types every cell by the schema already: the SDK's second pass is skipped
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    def body(self, start: datetime, stop: datetime) -> dict[str, Any]:
        """The create body of one window's job."""
        window = {"startAt": wire(start), "endAt": wire(stop)}
        return {"format": "CSV", "filter": {self.filter_name: window}}

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        settings = self._tap.settings
        now = datetime.now(UTC)
        for start, stop in windows(self.since(context), now, settings.window_days):
            text = self._tap.client.export(self.kind, self.body(start, stop))
            label = f"Marketo {self.kind} export {wire(start)}..{wire(stop)}"
            for row in header_rows(io.StringIO(text, newline=""), label):
                yield self.convert(row, label)

    def convert(self, row: dict[str, str], label: str) -> dict[str, Any]:
        """A CSV row typed by the schema: empty cells are null; numbers, booleans and JSON
        parsed; a cell that does not parse is a data error, never altered."""
        out: dict[str, Any] = {}
        for name, cell in row.items():
            spec = self.schema["properties"].get(name)
            if spec is None or cell == "":
                out[name] = None if cell == "" else cell
                continue
            types = spec.get("type", [])
            try:
                if "integer" in types:
                    out[name] = int(cell)
                elif "boolean" in types:
                    out[name] = {"true": True, "false": False}[cell]
                elif "object" in types or "array" in types:
                    out[name] = json.loads(cell)
                else:
                    out[name] = cell
            except (ValueError, KeyError):
                raise DataError(f"{label}: {name} is {cell!r}, not {types}") from None
        return out


class LeadsStream(BulkStream):
    """Leads (people), mirrored from Salesforce leads and contacts (sfdcLeadId,
    sfdcContactId, sfdcAccountId), by their ``updatedAt``."""

    name = "leads"
    kind = "leads"
    filter_name = "updatedAt"
    primary_keys: ClassVar[list[str]] = ["id"]
    replication_key = "updatedAt"

    def body(self, start: datetime, stop: datetime) -> dict[str, Any]:
        fields = [n for n in self.schema["properties"] if self.mask.get(("properties", n), True)]
        return {**super().body(start, stop), "fields": fields}


class ActivitiesStream(BulkStream):
    """Activities (web visits, form fills, email opens and clicks), by ``activityDate``;
    Marketo never changes one, so each is emitted once."""

    name = "activities"
    kind = "activities"
    filter_name = "createdAt"
    primary_keys: ClassVar[list[str]] = ["marketoGUID"]
    replication_key = "activityDate"


class ProgramsStream(MarketoStream):
    """Programs with their channel and period costs (``sfdcId``: the Salesforce campaign)."""

    name = "programs"
    primary_keys: ClassVar[list[str]] = ["id"]
    replication_key = "updatedAt"
    is_sorted = False

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        for program in self._tap.client.programs(self.since(context)):
            # the asset API writes "2024-01-31T10:00:00Z+0000": keep the instant, one offset
            for key in ("createdAt", "updatedAt"):
                if isinstance(program.get(key), str):
                    program[key] = program[key].replace("Z+0000", "Z")
            yield program


class DeletedLeadsStream(MarketoStream):
    """Leads deleted in Marketo (their "Delete Lead" activities, type 37): a deleted lead
    leaves the bulk extract silently, so this stream is how a warehouse learns of it."""

    name = "deleted_leads"
    primary_keys: ClassVar[list[str]] = ["leadId"]
    replication_key = "activityDate"
    # Marketo returns them oldest first, so the SDK may bookmark as it goes.
    is_sorted = True

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        yield from self._tap.client.deleted_leads(self.since(context))


class ActivityTypesStream(MarketoStream):
    """The activity types of the instance (ids used by activities), read whole every run."""

    name = "activity_types"
    primary_keys: ClassVar[list[str]] = ["id"]
    replication_key = None

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        yield from self._tap.client.result("rest/v1/activities/types.json")


STREAMS: tuple[type[MarketoStream], ...] = (
    LeadsStream,
    ActivitiesStream,
    ProgramsStream,
    DeletedLeadsStream,
    ActivityTypesStream,
)
