"""JSON Schemas of the fixed-shape streams, shipped inside the wheel (one folder per source)."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any


def load(source: str, name: str) -> dict[str, Any]:
    """The schema ``schemas/<source>/<name>.json`` as a dict."""
    return json.loads((resources.files(__name__) / source / f"{name}.json").read_text("utf-8"))


def names(source: str) -> list[str]:
    """The schema names available for ``source``, sorted."""
    folder = resources.files(__name__) / source
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".json"))
