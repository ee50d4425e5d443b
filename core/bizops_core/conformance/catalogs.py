"""Reading and editing a Singer catalog: selection, keys and replication of its streams."""

from __future__ import annotations

import copy
from typing import Any

Catalog = dict[str, Any]
Stream = dict[str, Any]


def streams(catalog: Catalog) -> list[Stream]:
    return list(catalog.get("streams") or [])


def metadata(stream: Stream, breadcrumb: tuple[str, ...] = ()) -> dict[str, Any]:
    """The metadata of ``breadcrumb`` (the stream's own for ``()``), empty when absent."""
    for entry in stream.get("metadata") or []:
        if tuple(entry.get("breadcrumb", ())) == breadcrumb:
            return entry.setdefault("metadata", {})
    return {}


def key_properties(stream: Stream) -> list[str]:
    return list(metadata(stream).get("table-key-properties") or stream.get("key_properties") or [])


def replication_key(stream: Stream) -> str | None:
    return metadata(stream).get("replication-key") or stream.get("replication_key")


def properties(stream: Stream) -> dict[str, Any]:
    return dict((stream.get("schema") or {}).get("properties") or {})


def select(catalog: Catalog, only: set[str] | None = None) -> Catalog:
    """A copy of ``catalog`` with every stream (or those in ``only``) and all its supported
    fields selected, the rest deselected."""
    out = copy.deepcopy(catalog)
    for stream in streams(out):
        chosen = only is None or stream["tap_stream_id"] in only
        for entry in stream.get("metadata") or []:
            meta = entry.setdefault("metadata", {})
            if meta.get("inclusion") != "unsupported":
                meta["selected"] = chosen
    return out


def find(catalog: Catalog, stream_id: str) -> Stream:
    return next(s for s in streams(catalog) if s["tap_stream_id"] == stream_id)


def deselect_field(catalog: Catalog, stream_id: str, field: str) -> Catalog:
    out = copy.deepcopy(catalog)
    metadata(find(out, stream_id), ("properties", field))["selected"] = False
    return out


def with_method(catalog: Catalog, stream_id: str, method: str) -> Catalog:
    """A copy where ``stream_id`` replicates by ``method`` (FULL_TABLE or INCREMENTAL)."""
    out = copy.deepcopy(catalog)
    metadata(find(out, stream_id))["replication-method"] = method
    find(out, stream_id)["replication_method"] = method
    return out


def optional_field(stream: Stream) -> str | None:
    """A field that may be deselected: neither automatic nor unsupported, nor a key."""
    keys = {*key_properties(stream), replication_key(stream)}
    for name in properties(stream):
        inclusion = metadata(stream, ("properties", name)).get("inclusion", "available")
        if inclusion == "available" and name not in keys:
            return name
    return None
