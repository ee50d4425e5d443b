"""The streams of tap-zendesk: one base class over Zendesk's incremental exports and lists,
then one declaration per stream (name, path, records key, kind, key, replication key; schema in
a JSON file)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from importlib.resources import files
from typing import TYPE_CHECKING, Any, ClassVar

from singer_sdk import Stream

from bizops_core.replication import CatalogReplication

if TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

    from tap_zendesk.tap import TapZendesk

SCHEMAS = files("bizops_schemas") / "zendesk"


def load_schema(stream: str) -> dict[str, Any]:
    """The JSON schema of ``stream`` (``<stream>.json`` of the tap's schemas)."""
    return json.loads((SCHEMAS / f"{stream}.json").read_text(encoding="utf-8"))


class ZendeskStream(CatalogReplication, Stream):
    """The records of one Zendesk endpoint.

    ``kind`` says how it pages: ``cursor`` (cursor-based incremental export: ``start_time``,
    then ``after_cursor`` until ``end_of_stream``), ``time`` (time-based incremental export:
    ``next start_time = end_time``) or ``list`` (``page[size]``/``page[after]``, with
    ``start_time``). ``start_time`` is the bookmark (or ``start_date``) in whole epoch seconds,
    which the API compares inclusively, so records of the bookmark's second come again and a
    run stopped among records of the same second loses none. FULL_TABLE in the catalog starts
    from ``start_date``.
    """

    path: ClassVar[str]
    kind: ClassVar[str]
    records_key: ClassVar[str]
    extra: ClassVar[dict[str, str]] = {}
    primary_keys: ClassVar[list[str]] = ["id"]
    replication_key = "updated_at"

    def __init__(self, tap: TapZendesk) -> None:
        super().__init__(tap, schema=load_schema(self.name))
        self._tap = tap

    def since(self, context: Context | None) -> datetime:
        """The instant this sync starts from: the bookmark, else ``start_date``."""
        start_date = self._tap.settings.start_date
        if self.sync_key() is None:
            return start_date
        return self.starting_point(context, start_date)[0]

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """Every record the sync needs, as the API gives it."""
        start = int(self.since(context).timestamp())
        for body in self.pages(start):
            yield from body.get(self.records_key) or []

    def pages(self, start: int) -> Iterator[dict[str, Any]]:
        """The response bodies of the endpoint from ``start`` (epoch seconds) on."""
        client = self._tap.client
        if self.kind == "cursor":
            return client.cursor_export(self.path, {"start_time": str(start), **self.extra})
        if self.kind == "time":
            return client.time_export(self.path, start)
        return client.list_pages(self.path, {"start_time": str(start), **self.extra})


class TicketsStream(ZendeskStream):
    """Tickets, in their current state; a deleted ticket comes with ``status: "deleted"``.

    Not sorted for the SDK: the export orders by ``generated_timestamp``, which Zendesk may
    move without changing ``updated_at``; the bookmark is written at the end.
    """

    name = "tickets"
    path = "api/v2/incremental/tickets/cursor.json"
    kind = "cursor"
    records_key = "tickets"
    is_sorted = False


class TicketMetricsStream(ZendeskStream):
    """Ticket metrics (first reply, resolution times), side-loaded on the ticket export.

    A ticket changes without its metrics (a satisfaction rating): metric sets older than the
    bookmark are left out, so an unchanged one is not emitted again.
    """

    name = "ticket_metrics"
    path = TicketsStream.path
    kind = "cursor"
    records_key = "metric_sets"
    extra: ClassVar[dict[str, str]] = {"include": "metric_sets"}
    is_sorted = False

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """The metric sets changed at or after the starting second."""
        start = int(self.since(context).timestamp())
        for record in super().get_records(context):
            changed = datetime.fromisoformat(str(record.get("updated_at")))
            if changed.timestamp() >= start:
                yield record


class UsersStream(ZendeskStream):
    """Users: agents and end users (the customers' contacts, ``external_id`` = Contact Id)."""

    name = "users"
    path = "api/v2/incremental/users/cursor.json"
    kind = "cursor"
    records_key = "users"
    is_sorted = True


class OrganizationsStream(ZendeskStream):
    """Organizations (``external_id`` = the Salesforce Account Id), time-based export."""

    name = "organizations"
    path = "api/v2/incremental/organizations.json"
    kind = "time"
    records_key = "organizations"
    is_sorted = True


class TicketMetricEventsStream(ZendeskStream):
    """Ticket metric events (activate, pause, fulfill of each SLA metric), time-based export."""

    name = "ticket_metric_events"
    path = "api/v2/incremental/ticket_metric_events.json"
    kind = "time"
    records_key = "ticket_metric_events"
    replication_key = "time"
    is_sorted = True


class SatisfactionRatingsStream(ZendeskStream):
    """Satisfaction ratings (listed by id, filtered by ``start_time``: bookmark at the end)."""

    name = "satisfaction_ratings"
    path = "api/v2/satisfaction_ratings.json"
    kind = "list"
    records_key = "satisfaction_ratings"
    is_sorted = False


STREAMS: tuple[type[ZendeskStream], ...] = (
    TicketsStream, TicketMetricsStream, UsersStream, OrganizationsStream,
    TicketMetricEventsStream, SatisfactionRatingsStream,
)  # fmt: skip
