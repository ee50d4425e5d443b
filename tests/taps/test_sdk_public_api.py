"""The taps use singer-sdk's public API only: no deprecation warning when a tool runs them."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.taps.singer_support import executable

REPO = Path(__file__).resolve().parents[2]
PRIVATE_IMPORT = re.compile(r"^\s*(from|import)\s+singer_sdk(\.\w+)*\._\w+", re.MULTILINE)


@pytest.mark.parametrize("tap", ["tap-zuora", "tap-salesforce"])
def test_tap_starts_without_a_deprecation_warning(tap: str) -> None:
    # Meltano shows the warnings its plugins raise; `default` makes Python show them here too.
    env = {**os.environ, "PYTHONWARNINGS": "default"}
    result = subprocess.run(
        [executable(tap), "--about", "--format", "json"],
        capture_output=True, text=True, timeout=120, env=env, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "DeprecationWarning" not in result.stderr


def test_no_module_imports_a_private_singer_sdk_module() -> None:
    offenders = [
        f"{path.relative_to(REPO)}: {match.group(0).strip()}"
        for folder in ("taps", "targets", "core", "orchestrator", "sandbox")
        for path in sorted((REPO / folder).rglob("*.py"))
        for match in PRIVATE_IMPORT.finditer(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
