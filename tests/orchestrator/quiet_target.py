"""A test-only Singer target that loads nothing and reports no counts: it reads its input and
echoes each STATE value on stdout, as a foreign target without metrics does."""

from __future__ import annotations

import json
import sys


def main() -> None:
    for line in sys.stdin:
        message = json.loads(line)
        if message.get("type") == "STATE":
            sys.stdout.write(json.dumps(message["value"]) + "\n")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
