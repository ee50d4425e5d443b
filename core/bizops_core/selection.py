"""Which streams a run needs: a tap given a catalog describes only the streams it selects, so a
deselected stream is neither emitted nor asked of the API (no describe call for it)."""

from __future__ import annotations

from typing import Any


def selected_stream_ids(catalog: Any) -> set[str] | None:
    """The ids of the streams ``catalog`` (the SDK's input catalog) selects, by the SDK's own
    selection rules; None without a catalog (discovery, or a run of every stream)."""
    if catalog is None:
        return None
    return {
        entry.tap_stream_id
        for entry in catalog.streams
        if entry.metadata.resolve_selection().get((), False)
    }
