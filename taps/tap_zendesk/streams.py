"""The streams of tap-zendesk: one base class for the API's list endpoints, then
one short declaration per stream (name, path, key, replication key; schema in a JSON file)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
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


def format_instant(moment: datetime) -> str:
    """An ISO-8601 UTC instant as the API takes it: ``2024-01-31T12:00:00Z``."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class ZendeskStream(CatalogReplication, Stream):
    """The records of one list endpoint, oldest change first, page by page.

    Incremental: ``updated_since`` is the bookmark (or ``start_date``), which the API compares
    inclusively (``updated_at >= updated_since``), so records at the bookmark come again and
    a run stopped among records of the same second loses none. FULL_TABLE in the catalog
    sends no filter.
    """

    path: ClassVar[str]
    # The API sorts by (updated_at, id): the SDK may bookmark as it goes.
    is_sorted = True

    def __init__(self, tap: TapZendesk) -> None:
        super().__init__(tap, schema=load_schema(self.name))
        self._tap = tap

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """Every record the sync needs, as the API gives it."""
        params: dict[str, str] = {}
        if self.sync_key() is not None:
            since, _ = self.starting_point(context, self._tap.settings.start_date)
            params["updated_since"] = format_instant(since)
        for page in self._tap.client.pages(self.path, params):
            yield from page.records


class AccountsStream(ZendeskStream):
    """Zendesk accounts: one per customer, carrying its Salesforce Account Id."""

    name = "accounts"
    path = "v1/accounts"
    primary_keys: ClassVar[list[str]] = ["id"]
    replication_key = "updated_at"


STREAMS: tuple[type[ZendeskStream], ...] = (AccountsStream,)
