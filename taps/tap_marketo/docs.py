"""Regenerates the README tables: ``python -m tap_marketo.docs`` in a checkout."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bizops_core import tap_docs
from tap_marketo.config import CONFIG_SCHEMA

README = Path(__file__).with_name("README.md")


def catalog() -> dict[str, Any]:
    """The tap's catalog (its streams are declared: no API call)."""
    from tap_marketo.tap import TapMarketo

    config = {
        "base_url": "https://123-ABC-456.mktorest.com",
        "client_id": "unused",
        "client_secret": "unused",
        "start_date": "2020-01-01T00:00:00Z",
    }
    return TapMarketo(config=config, validate_config=False).catalog_dict


def render(readme: str) -> str:
    """``readme`` with its settings and streams tables regenerated."""
    return tap_docs.render(readme, catalog(), CONFIG_SCHEMA)


if __name__ == "__main__":
    README.write_text(render(README.read_text(encoding="utf-8")), encoding="utf-8")
