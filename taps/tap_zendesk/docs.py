"""Regenerates the README tables: ``python -m tap_zendesk.docs`` in a checkout."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bizops_core import tap_docs
from tap_zendesk.config import CONFIG_SCHEMA

README = Path(__file__).with_name("README.md")


def catalog() -> dict[str, Any]:
    """The tap's catalog (its streams are declared: no API call)."""
    from tap_zendesk.tap import TapZendesk

    config = {"base_url": "https://example.zendesk.com", "access_token": "unused",
              "start_date": "2020-01-01T00:00:00Z"}  # fmt: skip
    return TapZendesk(config=config, validate_config=False).catalog_dict


def render(readme: str) -> str:
    """``readme`` with its settings and streams tables regenerated."""
    return tap_docs.render(readme, catalog(), CONFIG_SCHEMA)


if __name__ == "__main__":
    README.write_text(render(README.read_text(encoding="utf-8")), encoding="utf-8")
