"""A test-only foreign Singer target: loads nothing, echoes every STATE value on stdout."""

from __future__ import annotations

import json
import sys


def main() -> int:
    for line in sys.stdin:
        message = json.loads(line)
        if message.get("type") == "STATE":
            sys.stdout.write(json.dumps(message["value"]) + "\n")
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
