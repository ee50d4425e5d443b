"""SalesforceStream: one generic stream whose name, schema and keys come from describe."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from singer_sdk import Stream
from singer_sdk.helpers.conform import TypeConformanceLevel

from bizops_core.errors import FatalError
from bizops_core.replication import CatalogReplication
from tap_salesforce.client import Rows, SalesforceClient
from tap_salesforce.convert import RecordConverter
from tap_salesforce.describe import SObject
from tap_salesforce.query import Window, build_query
from tap_salesforce.quirks import ObjectAccessDenied, QueryTimeout, QuotaReached

if TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

    from tap_salesforce.tap import TapSalesforce


@dataclass
class RunStatus:
    """What a run has to report at its end: streams skipped, and why it stopped early."""

    skipped: dict[str, str] = field(default_factory=dict)
    stopped: str | None = None
    not_synced: list[str] = field(default_factory=list)


class SalesforceStream(CatalogReplication, Stream):
    """The rows of one Salesforce object, with deleted rows (``IsDeleted`` true) included.

    Incremental objects are read in one window ``[start_date or (bookmark, sync start)``,
    ordered by the replication key the catalog names (FULL_TABLE in the catalog reads the
    whole object); a window that hits QUERY_TIMEOUT is halved and retried.
    Rows are emitted one key value at a time, only once every row with that value has arrived,
    so the bookmark (the last key emitted) is exact even when a run stops part-way.
    """

    is_sorted = True
    # The converter already emits the schema's exact types; conforming again costs ~40 %.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    def __init__(self, tap: TapSalesforce, obj: SObject, client: SalesforceClient) -> None:
        super().__init__(tap, schema=obj.json_schema(), name=obj.name)
        self.object = obj
        self.primary_keys = ["Id"]
        self.replication_key = obj.replication_key
        self._client = client
        self._convert = RecordConverter(obj)
        self._settings = tap.settings
        self._sync_start = tap.sync_started_at
        self._run = tap.run_status
        self.held_bookmark: Any = NOT_HELD

    def hold_bookmark(self, context: Context | None) -> None:
        """Remember the bookmark from before the group about to be emitted: the SDK advances it
        with the group's first record, so a state written part-way through the group (on
        SIGTERM) must fall back to this value, or the group's other rows would be skipped."""
        self.held_bookmark = self.get_context_state(context).get("replication_key_value")

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """Typed records, stopping cleanly on a quota stop and skipping a denied object."""
        run = self._run
        run.stopped = run.stopped or self._client.over_quota()
        if run.stopped:
            run.not_synced.append(self.name)
            return
        key = self.sync_key()
        try:
            for group in complete_groups(self._rows(key), key):
                self.hold_bookmark(context)
                yield from group
                self.held_bookmark = NOT_HELD
                run.stopped = self._client.over_quota()
                if run.stopped:
                    self.logger.warning("stopping %s part-way: %s", self.name, run.stopped)
                    run.not_synced.append(f"{self.name} (part-way)")
                    return
        except ObjectAccessDenied as exc:
            self.logger.warning("skipping stream %s: %s", self.name, exc)
            run.skipped[self.name] = str(exc)
        except QuotaReached as exc:
            run.stopped = str(exc)
            run.not_synced.append(f"{self.name} (part-way)")

    def _rows(self, key: str | None) -> Iterator[dict[str, Any]]:
        fields = self._selected_fields(key)
        if key is None:
            yield from map(self._convert, self._query(build_query(self.object, fields, None)))
            return
        lower, inclusive = self.starting_point(None, self._settings.start_date)
        if lower < self._sync_start:
            window = Window(lower, self._sync_start, inclusive)
            yield from self._window_rows(window, fields, key, self._settings.max_window_splits)

    def _window_rows(self, window: Window, fields: tuple[str, ...], key: str, splits: int) -> Rows:
        try:
            rows = self._query(build_query(self.object, fields, window, key))
        except QueryTimeout as exc:
            if splits <= 0:
                raise FatalError(
                    f"{exc} (after halving the window {self._settings.max_window_splits} times)"
                ) from exc
            self.logger.warning("%s: %s; halving the window", self.name, exc)
            for half in window.halves():
                yield from self._window_rows(half, fields, key, splits - 1)
            return
        yield from map(self._convert, rows)

    def _query(self, soql: str) -> Rows:
        if self._settings.api_type == "BULK2":
            return self._client.bulk_query(soql)
        return self._client.rest_query(soql)

    def _selected_fields(self, key: str | None) -> tuple[str, ...]:
        always = {"Id", key}
        return tuple(
            name
            for name in self.object.field_names
            if name in always or self.mask.get(("properties", name), True)
        )


NOT_HELD = object()  # no group is part-way through being emitted


def complete_groups(rows: Iterable[dict[str, Any]], key: str | None) -> Iterator[list[dict]]:
    """Rows sorted by ``key``, in groups of one key value, each yielded once it is complete.

    A group is complete when a row with a later value arrives or the rows end; a run that
    stops between two groups has emitted every row up to its last key value, none after.
    """
    pending: list[dict[str, Any]] = []
    for row in rows:
        if pending and (key is None or row[key] != pending[-1][key]):
            yield pending
            pending = []
        pending.append(row)
    if pending:
        yield pending
