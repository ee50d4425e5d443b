"""Regenerates this tap's README tables: ``python -m tap_zuora.docs`` from a checkout."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bizops_core import tap_docs
from tap_zuora.config import CONFIG_SCHEMA

README = Path(__file__).with_name("README.md")
CATALOG = Path(__file__).resolve().parents[2] / "catalogs" / "tap-zuora.json"


def render(readme: str, catalog: dict[str, Any]) -> str:
    """``readme`` with its settings and streams tables regenerated."""
    return tap_docs.render(readme, catalog, CONFIG_SCHEMA)


if __name__ == "__main__":
    tap_docs.update(README, CATALOG, CONFIG_SCHEMA)
