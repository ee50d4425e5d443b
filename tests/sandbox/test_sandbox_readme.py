"""sandbox/README.md: its table lists exactly the admin routes the emulators have, and its curl
example prints what it says, run against ``bizops-sandbox zuora``."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

from bizops_sandbox import marketo, salesforce, zuora
from bizops_sandbox.emulator import ADMIN_RULES
from tests.readme_support import REPO, block, sandbox_process

README = REPO / "sandbox" / "README.md"
ROW = re.compile(r"^\| `(\w+)` \| `(/__sandbox[^`]*)` \| (\w+) \|", re.MULTILINE)


def _documented() -> set[tuple[str, str, str]]:
    text = README.read_text("utf-8")
    table = text[
        text.index("<!-- admin-routes:start -->") : text.index("<!-- admin-routes:end -->")
    ]
    return set(ROW.findall(table))


def _served() -> set[tuple[str, str, str]]:
    routes = set()
    for emulator, rules in (("all", ADMIN_RULES), ("zuora", zuora.RULES),
                            ("salesforce", salesforce.RULES),
                            ("marketo", marketo.RULES)):  # fmt: skip
        for rule in rules:
            if rule.rule.startswith("/__sandbox"):
                routes |= {(m, rule.rule, emulator) for m in rule.methods - {"HEAD", "OPTIONS"}}
    return routes


def test_the_admin_route_table_lists_exactly_the_served_routes() -> None:
    assert _documented() == _served()


def _steps(script: str) -> list[tuple[str, str | None]]:
    """(command, what the README says it prints, or None) for every command line."""
    steps: list[tuple[str, str | None]] = []
    for line in script.splitlines():
        if line.startswith("# -> "):
            command, _ = steps[-1]
            steps[-1] = (command, line.removeprefix("# -> "))
        elif line.strip():
            steps.append((line, None))
    return steps


def _same(printed: str, expected: str) -> bool:
    try:
        return json.loads(printed) == json.loads(expected)
    except ValueError:
        return printed.strip() == expected.strip()


def test_the_curl_example_prints_what_it_says(tmp_path: Path) -> None:
    steps = _steps(block(README, "admin-curl"))
    assert steps[0] == ("SANDBOX=http://127.0.0.1:8081", None)
    with sandbox_process("zuora") as url:
        env = {**os.environ, "SANDBOX": url}
        for command, expected in steps[1:]:
            done = subprocess.run(
                ["/bin/bash", "-euo", "pipefail", "-c", command],
                cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False,
            )  # fmt: skip
            assert done.returncode == 0, (command, done.stderr)
            if expected is not None:
                assert _same(done.stdout, expected), (command, done.stdout)
    changes = json.loads((tmp_path / "changes.json").read_text())
    assert len(changes["Account"]["created"]) == 1
    assert changes["Account"]["updated"] == []
