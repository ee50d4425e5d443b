"""The slowest nodes of the last dbt run of a bizops project (its run_results.json).

python bench/dbt_timings.py PROJECT_DIR [--top N]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    path = args.project / ".bizops" / "transform" / "target" / "run_results.json"
    results = json.loads(path.read_text(encoding="utf-8"))
    nodes = sorted(results["results"], key=lambda r: r["execution_time"], reverse=True)
    total = sum(r["execution_time"] for r in nodes)
    out = sys.stdout
    out.write(f"{len(nodes)} nodes, {total:.1f} s summed, run {results['elapsed_time']:.1f} s\n")
    for result in nodes[: args.top]:
        out.write(f"{result['execution_time']:8.2f}  {result['status']:<8} {result['unique_id']}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
