"""Reading a plugin's stderr: copy it to the run log (redacted) and pick out Singer metrics."""

from __future__ import annotations

import json
import logging
import re
import threading
from collections import Counter, deque
from collections.abc import Callable
from typing import IO

METRIC = re.compile(r"METRIC: (\{.*\})\s*$")
# target-postgres' lines after each commit; any target may print Singer METRIC lines instead.
WROTE = re.compile(r"stream (.+?): wrote (\d+) rows")
REJECTED = re.compile(r"stream (.+?): rejected (\d+) (?:rows|records|record\(s\))")


class StderrPump(threading.Thread):
    """Copies a child's stderr line by line to the log (each line redacted), keeps the last
    lines for error reports, and sums record counts per stream: ``record_count`` metrics of the
    tap are rows read; of the target (or its flush lines) rows loaded; rejects are counted too."""

    def __init__(
        self,
        name: str,
        stream: IO[bytes],
        write: Callable[[str], None],
        redact: Callable[[str], str],
        on_count: Callable[[], None] | None = None,
        keep: int = 20,
    ) -> None:
        super().__init__(name=f"stderr-{name}", daemon=True)
        self.label = name
        self.stream = stream
        self.write = write
        self.redact = redact
        self.on_count = on_count
        self.tail: deque[str] = deque(maxlen=keep)
        self.record_counts: Counter[str] = Counter()
        self.rejected: Counter[str] = Counter()
        self.logger = logging.getLogger(f"bizops.run.{name}")

    def run(self) -> None:
        for raw in self.stream:
            line = self.redact(raw.decode("utf-8", errors="replace").rstrip("\n"))
            self.tail.append(line)
            self.write(f"{self.label} | {line}")
            if self._count(line) and self.on_count is not None:
                self.on_count()
        self.stream.close()

    def _count(self, line: str) -> bool:
        wrote, rejected = WROTE.search(line), REJECTED.search(line)
        if wrote:
            self.record_counts[wrote.group(1)] += int(wrote.group(2))
            return True
        if rejected:
            self.rejected[rejected.group(1)] += int(rejected.group(2))
            return True
        match = METRIC.search(line)
        if not match:
            return False
        try:
            point = json.loads(match.group(1))
        except ValueError:
            return False
        if not isinstance(point, dict):
            return False
        stream = str((point.get("tags") or {}).get("stream", "?"))
        if point.get("metric") == "record_count":
            self.record_counts[stream] += int(point.get("value") or 0)
            return True
        if point.get("metric") in ("rejected_count", "record_rejected_count"):
            self.rejected[stream] += int(point.get("value") or 0)
            return True
        return False
