"""A plugin with ``pip_url`` is installed into its own venv on first use and reused after."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import yaml

BIZOPS = str(Path(sys.executable).parent / "bizops")
TAP_SOURCE = """
import json, sys

def main():
    lines = [
        {"type": "SCHEMA", "stream": "pings", "key_properties": ["id"],
         "schema": {"properties": {"id": {"type": "integer"}, "note": {"type": "string"}}}},
        {"type": "RECORD", "stream": "pings", "record": {"id": 1, "note": "from a pip venv"}},
        {"type": "RECORD", "stream": "pings", "record": {"id": 2, "note": sys.prefix}},
        {"type": "STATE", "value": {"bookmarks": {"pings": {"id": 2}}}},
    ]
    sys.stdout.write("".join(json.dumps(line) + "\\n" for line in lines))
"""


def build_wheel(folder: Path) -> Path:
    """A minimal wheel of a Singer tap ``tiny-tap``: no index and no build backend needed."""
    files = {
        "tiny_tap/__init__.py": TAP_SOURCE,
        "tiny_tap-0.1.dist-info/METADATA": "Metadata-Version: 2.1\nName: tiny-tap\nVersion: 0.1\n",
        "tiny_tap-0.1.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\n"
        "Root-Is-Purelib: true\nTag: py3-none-any\n",
        "tiny_tap-0.1.dist-info/entry_points.txt": "[console_scripts]\ntiny-tap = tiny_tap:main\n",
    }
    record = []
    for name, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{name},sha256={digest.decode()},{len(text.encode())}")
    record.append("tiny_tap-0.1.dist-info/RECORD,,")
    files["tiny_tap-0.1.dist-info/RECORD"] = "\n".join(record) + "\n"
    wheel = folder / "tiny_tap-0.1-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return wheel


def test_pip_url_plugin_is_installed_once_into_its_own_venv(
    tmp_path: Path, warehouse_url: str, db_schema: str, db
) -> None:
    wheel = build_wheel(tmp_path)
    project = {
        "version": 1,
        "taps": {"tiny-tap": {"pip_url": str(wheel)}},
        "targets": {"target-postgres": {"config": {"default_target_schema": db_schema}}},
        "pipelines": [{"name": db_schema, "tap": "tiny-tap", "target": "target-postgres"}],
    }
    (tmp_path / "bizops.yml").write_text(yaml.safe_dump(project), encoding="utf-8")
    env = {**os.environ, "BIZOPS_DATABASE_URL": warehouse_url}
    command = [BIZOPS, "run", db_schema, "-p", str(tmp_path), "--log-format", "plain"]
    first = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert first.returncode == 0, first.stderr
    venv = tmp_path / ".bizops" / "venvs" / "tiny-tap"
    assert (venv / "bin" / "tiny-tap").is_file()
    with db.cursor() as cur:
        cur.execute(f'SELECT id, note FROM "{db_schema}".pings ORDER BY id')
        rows = cur.fetchall()
    assert rows == [(1, "from a pip venv"), (2, str(venv))]  # the tap ran from its own venv

    marker = venv / "bizops-pip-url"
    installed_at = marker.stat().st_mtime_ns
    second = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert second.returncode == 0, second.stderr
    assert marker.stat().st_mtime_ns == installed_at  # reused, not installed again
