"""`bizops demo` (what `make demo` runs): all five sources load, the second runs of Zuora and
Salesforce load exactly the changes, and the sources describe one company."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

BIZOPS = str(Path(sys.executable).parent / "bizops")
ROW = re.compile(r"^    (\w+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$")
# A row of a source whose changes the world does not list by stream: "-" in "changed".
UNLISTED_ROW = re.compile(r"^    (\w+)\s+(\d+)\s+-\s+(\d+)\s+(\d+)$")
SECRETS = (
    "sandbox-client-secret",
    "pat-na1-sandbox-private-app-token",
    "sandbox-zendesk-api-token",
)


def test_demo_loads_both_sources_and_then_only_the_changes(tmp_path: Path, warehouse_url) -> None:
    env = {**os.environ, "BIZOPS_DATABASE_URL": warehouse_url}
    result = subprocess.run(
        [BIZOPS, "demo", "--project-dir", str(tmp_path)],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = [ROW.match(line).groups() for line in result.stdout.splitlines() if ROW.match(line)]
    streams = {name for name, *_ in rows}
    assert {"Account", "Subscription", "RatePlanCharge", "Opportunity", "Lead"} <= streams
    for name, first, changed, second, _ in rows:
        assert int(first) > 0, name
        assert second == changed, f"{name}: run 2 loaded {second}, the world changed {changed}"
    assert sum(int(changed) for _, _, changed, _, _ in rows) > 0
    link = re.search(r"(\d+) of the (\d+) Zuora accounts with a CrmId match", result.stdout)
    assert link is not None and link.group(1) == link.group(2) and int(link.group(1)) > 20
    # HubSpot, Marketo and Zendesk load too (twice each): every stream's rows are in the warehouse
    assert result.stdout.count("succeeded") == 10
    unlisted = {name: rows for name, _, _, rows in
                (UNLISTED_ROW.match(line).groups() for line in result.stdout.splitlines()
                 if UNLISTED_ROW.match(line))}  # fmt: skip
    assert {"companies", "contacts", "leads", "activities", "tickets", "organizations"} <= set(
        unlisted
    )
    assert all(int(rows) > 0 for rows in unlisted.values()), unlisted
    for secret in SECRETS:
        assert secret not in result.stdout + result.stderr
    report = tmp_path.resolve() / "report.html"
    assert f"department charts: {report}\n" in result.stdout
    assert report.read_text(encoding="utf-8").count('class="bizops-figure"') >= 10
