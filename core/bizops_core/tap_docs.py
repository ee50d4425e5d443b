"""Renders a tap README's settings and streams tables from its config schema and catalog."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any


def _cell(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else value
    return text.replace("|", "\\|")


def _type(spec: dict[str, Any]) -> str:
    types = spec.get("type", "")
    names = [t for t in (types if isinstance(types, list) else [types]) if t != "null"]
    if "array" in names:
        return f"array of {_type(spec.get('items', {}))}"
    return "/".join(names) + (f" ({spec['format']})" if "format" in spec else "")


def settings_table(schema: dict[str, Any]) -> str:
    """Markdown table of every setting: name, type, required, default, secret, description."""
    required = set(schema.get("required", []))
    rows = [
        "| Setting | Type | Required | Default | Secret | Description |",
        "|---|---|---|---|---|---|",
    ]
    for name, spec in schema["properties"].items():
        default = _cell(spec["default"]) if "default" in spec else ""
        rows.append(
            f"| `{name}` | {_type(spec)} | {'yes' if name in required else 'no'} | {default} "
            f"| {'yes' if spec.get('secret') else 'no'} | {_cell(spec.get('description', ''))} |"
        )
    return "\n".join(rows)


def streams_table(catalog: dict[str, Any]) -> str:
    """Markdown table of the streams of a catalog: key, replication key, field count."""
    rows = [
        "| Stream | Key | Replication | Fields |",
        "|---|---|---|---|",
    ]
    for entry in sorted(catalog["streams"], key=lambda e: e["tap_stream_id"]):
        key = ", ".join(entry.get("key_properties", []))
        top = next(m["metadata"] for m in entry["metadata"] if m["breadcrumb"] == [])
        rep_keys = top.get("valid-replication-keys") or []
        replication = f"INCREMENTAL on `{rep_keys[0]}`" if rep_keys else "FULL_TABLE"
        fields = len(entry["schema"]["properties"])
        rows.append(f"| `{entry['tap_stream_id']}` | `{key}` | {replication} | {fields} |")
    return "\n".join(rows)


def render(readme: str, catalog: dict[str, Any], schema: dict[str, Any]) -> str:
    """``readme`` with the text between the settings/streams markers regenerated."""
    tables = (("settings", settings_table(schema)), ("streams", streams_table(catalog)))
    for marker, table in tables:
        pattern = re.compile(rf"(<!-- {marker}:start -->\n)(?:.*?\n)?(<!-- {marker}:end -->)", re.S)
        if not pattern.search(readme):
            raise ValueError(f"README has no <!-- {marker}:start/end --> markers")
        readme = pattern.sub(lambda m, t=table: m.group(1) + t + "\n" + m.group(2), readme)
    return readme


def update(readme: Path, catalog: Path, schema: dict[str, Any]) -> None:
    """Rewrite the tables of the README at ``readme`` in place."""
    loaded = json.loads(catalog.read_text(encoding="utf-8"))
    readme.write_text(render(readme.read_text(encoding="utf-8"), loaded, schema), encoding="utf-8")
    sys.stderr.write(f"updated {readme}\n")
