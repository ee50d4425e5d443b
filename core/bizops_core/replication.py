"""What a tap stream syncs as its catalog says: replication method, key and starting point.

singer-sdk applies the catalog to a stream (``replication_method``, ``replication_key``) and
keeps its bookmark (``get_starting_timestamp``); the export queries of the BizOps taps must take
both from there, never from the object's default key or from the state directly. Otherwise a
catalog's ``FULL_TABLE`` or ``replication-key`` choice is logged by the SDK but not obeyed.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from singer_sdk.singerlib.catalog import REPLICATION_FULL_TABLE, REPLICATION_INCREMENTAL

from bizops_core.errors import ConfigurationError

if TYPE_CHECKING:
    from singer_sdk.helpers.types import Context


class CatalogReplication:
    """Mixin for a singer-sdk ``Stream`` (put it first among the bases)."""

    name: str
    schema: dict[str, Any]
    replication_key: str | None
    replication_method: str
    get_starting_timestamp: Any

    def sync_key(self) -> str | None:
        """The date-time field this sync filters, orders and bookmarks on; ``None`` for a
        full-table sync (the object has no key, or the catalog says ``FULL_TABLE``).

        Raises:
            ConfigurationError: the catalog asks for something the tap cannot do: another
                method, INCREMENTAL without a key, or a key that is not a date-time field.
        """
        method = self.replication_method
        if method == REPLICATION_FULL_TABLE:
            return None
        where = f"catalog stream {self.name}"
        if method != REPLICATION_INCREMENTAL:
            raise ConfigurationError(
                f"{where}: replication-method {method} is not supported (FULL_TABLE or INCREMENTAL)"
            )
        key = self.replication_key
        if not key:
            raise ConfigurationError(f"{where}: INCREMENTAL needs a replication-key")
        field = self.schema.get("properties", {}).get(key)
        if not isinstance(field, dict) or field.get("format") != "date-time":
            raise ConfigurationError(
                f"{where}: replication-key {key!r} is not a date-time field of the stream"
            )
        return key

    def starting_point(
        self, context: Context | None, start_date: datetime
    ) -> tuple[datetime, bool]:
        """Lower bound of an incremental sync and whether the bound itself is included.

        The SDK's starting timestamp is the bookmark, or ``start_date`` when there is none or
        it is later. Rows at a bookmark were exported by the run that wrote it (its upper bound
        was above them), so a bookmark is exclusive; ``start_date`` itself is included.
        """
        starting = self.get_starting_timestamp(context)
        if starting is None or starting <= start_date:
            return start_date, True
        return starting, False
