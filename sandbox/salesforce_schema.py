"""Salesforce object metadata from ``schemas/salesforce/*.json`` (describe-shaped), loaded once."""

from __future__ import annotations

import functools
from typing import Any

import bizops_schemas

SOURCE = "salesforce"
# Listed by GET /sobjects but not queryable, as Salesforce lists its change-event entities;
# taps must leave them out of discovery (singer-io/tap-salesforce skips names ending in
# "ChangeEvent").
UNQUERYABLE = ("AccountChangeEvent", "OpportunityChangeEvent")
# Compound fields: readable over REST as an object, refused by Bulk queries.
COMPOUND_TYPES = frozenset({"address", "location"})


@functools.cache
def describes() -> dict[str, dict[str, Any]]:
    """The describe document of every object, by object name."""
    return {name: bizops_schemas.load(SOURCE, name) for name in bizops_schemas.names(SOURCE)}


@functools.cache
def field_names(object_name: str) -> tuple[str, ...]:
    """Field names of ``object_name`` in describe order (the key order of world records)."""
    return tuple(f["name"] for f in describes()[object_name]["fields"])


@functools.cache
def field_types(object_name: str) -> dict[str, str]:
    """``{field name: describe type}`` of ``object_name``."""
    return {f["name"]: f["type"] for f in describes()[object_name]["fields"]}


def key_prefix(object_name: str) -> str:
    """The 3-character id prefix of ``object_name`` (``001`` for Account)."""
    return describes()[object_name]["keyPrefix"]
