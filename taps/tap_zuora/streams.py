"""ZuoraObjectStream: one generic stream whose name, schema and keys come from describe."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from singer_sdk import Stream
from singer_sdk.helpers.conform import TypeConformanceLevel

from bizops_core.replication import CatalogReplication
from tap_zuora.aqua import DELETED_COLUMN, aqua_export, aqua_payload
from tap_zuora.client import ZuoraClient
from tap_zuora.convert import RowConverter, format_instant
from tap_zuora.describe import DELETED_AT, ZuoraObject
from tap_zuora.query import Window, export_query, plan_windows
from tap_zuora.quirks import CredentialsRejected

if TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

    from tap_zuora.tap import TapZuora


class ZuoraObjectStream(CatalogReplication, Stream):
    """The rows of one Zuora object, exported through ZOQL.

    Incremental objects (those with UpdatedDate, TransactionDate or UpdatedOn, or the key the
    catalog names) are exported in windows of ``window_days`` from the bookmark up to the sync
    start; the others, and those the catalog makes FULL_TABLE, in full. Only the fields the
    catalog selects are queried. See the README for why the window bounds give every changed
    row exactly once.
    """

    # Export files come in no particular order, so the SDK keeps the running maximum in
    # progress markers and promotes it to the bookmark only when the stream completes.
    is_sorted = False
    # RowConverter already types every value exactly as the schema says (Decimal, bool, int,
    # ISO strings); the SDK's per-field conformance pass would only cost time.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    def __init__(self, tap: TapZuora, obj: ZuoraObject, client: ZuoraClient) -> None:
        super().__init__(tap, schema=obj.json_schema(), name=obj.name)
        self.object = obj
        self.primary_keys = ["Id"]
        self.replication_key = obj.replication_key
        self._client = client
        self._convert = RowConverter(obj)
        self._settings = tap.settings
        self._sync_start = tap.sync_started_at
        self._tap = tap

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """Typed rows of every export this sync needs; none if Zuora denies the object."""
        try:
            if self._settings.api_type == "AQUA":
                yield from self._aqua_records(context)
            else:
                yield from self._rest_records(context)
        except CredentialsRejected as exc:
            if exc.status != 403:
                raise
            # A role without this object's permission: skip it, sync the others (the tap
            # names the skipped streams again when it ends).
            self.logger.warning("skipping stream %s: %s", self.name, exc)
            self._tap.skipped[self.name] = str(exc)

    def _rest_records(self, context: Context | None) -> Iterator[dict[str, Any]]:
        key, fields = self.sync_key(), self.query_fields()
        for window in self.windows(context):
            query = export_query(self.object, fields, window, key)
            for row in self._client.export(query, object_name=self.object.name):
                record = self._convert(row)
                record[DELETED_AT] = None
                yield record

    def _aqua_records(self, context: Context | None) -> Iterator[dict[str, Any]]:
        """One AQuA job: incremental from the bookmark or start_date (deleted rows included),
        or full (live rows only) for a full-table stream.

        AQuA's incrementalTime is inclusive and has no upper bound, so rows at or below the
        bookmark (already emitted) and rows at or after the sync start (left to the next run,
        as in REST mode) are dropped here.
        """
        windows = self.windows(context)
        key = self.sync_key()
        if key is None:
            since, low, inclusive = None, None, True
        elif not windows:
            return
        else:
            since, inclusive = windows[0].start, windows[0].start_inclusive
            low = format_instant(since)
        high = format_instant(self._sync_start)
        payload = aqua_payload(
            self.object, self.query_fields(), key=key, partner=self._settings.partner_id,
            project=self._project(context), since=since,
        )  # fmt: skip
        # A deleted row's UpdatedDate (the object's own change time) is when it was deleted.
        changed = self.object.replication_key
        for row in aqua_export(self._client, payload, self.object.name):
            deleted = row.pop(DELETED_COLUMN, "false").lower() == "true"
            record = self._convert(row)
            if key is not None:
                value = record.get(key)
                if (
                    value is None
                    or value >= high
                    or value < low
                    or (value == low and not inclusive)
                ):
                    continue
            record[DELETED_AT] = record.get(changed) if deleted and changed else None
            yield record

    def query_fields(self) -> tuple[str, ...]:
        """The fields to export: those the catalog selects, plus ``Id``, the replication key
        and (AQuA) the object's change time that dates a deletion; in describe order."""
        always = {"Id", self.sync_key()}
        if self._settings.api_type == "AQUA":
            always.add(self.object.replication_key)
        return tuple(
            name
            for name in self.object.field_names
            if name in always or self.mask.get(("properties", name), True)
        )

    def _project(self, context: Context | None) -> str:
        """AQuA project ``{stream}_{version}``; the version is kept in the stream's state so
        that every run continues the same stateful session. A full-table sync starts a new
        session each run and keeps nothing in the state.

        A new version is this moment in nanoseconds: AQuA answers a job of a project it has
        seen with the changes since that project's last job: named by the second, two runs
        starting in the same second shared a session and the second full export came back
        empty.
        """
        fresh = time.time_ns()
        if self.sync_key() is None:
            return f"{self.name}_{fresh}"
        state = self.get_context_state(context)
        version = state.get("aqua_version")
        if not isinstance(version, int):
            version = state["aqua_version"] = fresh
        return f"{self.name}_{version}"

    def windows(self, context: Context | None) -> list[Window | None]:
        """The exports to run: ``[None]`` (everything) for a full-table stream."""
        if self.sync_key() is None:
            return [None]
        lower, inclusive = self.starting_point(context, self._settings.start_date)
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
