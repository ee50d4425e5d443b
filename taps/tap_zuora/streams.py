"""ZuoraObjectStream: one generic stream whose name, schema and keys come from describe."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from singer_sdk import Stream

from tap_zuora.client import ZuoraClient
from tap_zuora.convert import RowConverter
from tap_zuora.describe import ZuoraObject
from tap_zuora.query import Window, export_query, plan_windows

if TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

    from tap_zuora.tap import TapZuora


class ZuoraObjectStream(Stream):
    """The rows of one Zuora object, exported through ZOQL.

    Incremental objects (those with UpdatedDate, TransactionDate or UpdatedOn) are exported in
    windows of ``window_days`` from the bookmark up to the sync start; the others in full.
    See the README for why the window bounds give every changed row exactly once.
    """

    # Export files come in no particular order, so the SDK keeps the running maximum in
    # progress markers and promotes it to the bookmark only when the stream completes.
    is_sorted = False

    def __init__(self, tap: TapZuora, obj: ZuoraObject, client: ZuoraClient) -> None:
        super().__init__(tap, schema=obj.json_schema(), name=obj.name)
        self.object = obj
        self.primary_keys = ["Id"]
        self.replication_key = obj.replication_key
        self._client = client
        self._convert = RowConverter(obj)
        self._settings = tap.settings
        self._sync_start = tap.sync_started_at

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """Typed rows of every export this sync needs."""
        for window in self.windows(context):
            query = export_query(self.object, window)
            for row in self._client.export(query, object_name=self.object.name):
                yield self._convert(row)

    def windows(self, context: Context | None) -> list[Window | None]:
        """The exports to run: ``[None]`` (everything) for a full-table stream."""
        if self.replication_key is None:
            return [None]
        bookmark = self._bookmark(context)
        start = self._settings.start_date
        # With a bookmark, everything up to it was exported by a run whose upper bound was
        # above it, so the next rows are strictly later; without one, start_date is included.
        if bookmark is not None and bookmark >= start:
            lower, inclusive = bookmark, False
        else:
            lower, inclusive = start, True
        return list(
            plan_windows(
                lower,
                self._sync_start,
                lower_inclusive=inclusive,
                days=self._settings.window_days,
            )
        )

    def get_replication_key_signpost(self, context: Context | None = None) -> datetime | None:
        """The window's upper bound: the SDK caps the final bookmark at it."""
        return self._sync_start if self.replication_key else None

    def _bookmark(self, context: Context | None) -> datetime | None:
        state = self.get_context_state(context)
        value = state.get("replication_key_value")
        if not value or state.get("replication_key") != self.replication_key:
            return None
        return self._parse_datetime(str(value))
