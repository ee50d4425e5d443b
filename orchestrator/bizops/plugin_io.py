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


class StderrPump(threading.Thread):
    """Copies a child's stderr line by line to the log (each line redacted), keeps the last
    lines for error reports, and sums ``record_count`` metrics per stream."""

    def __init__(
        self,
        name: str,
        stream: IO[bytes],
        write: Callable[[str], None],
        redact: Callable[[str], str],
        keep: int = 20,
    ) -> None:
        super().__init__(name=f"stderr-{name}", daemon=True)
        self.label = name
        self.stream = stream
        self.write = write
        self.redact = redact
        self.tail: deque[str] = deque(maxlen=keep)
        self.record_counts: Counter[str] = Counter()
        self.logger = logging.getLogger(f"bizops.run.{name}")

    def run(self) -> None:
        for raw in self.stream:
            line = self.redact(raw.decode("utf-8", errors="replace").rstrip("\n"))
            self.tail.append(line)
            self.write(f"{self.label} | {line}")
            self._count(line)
        self.stream.close()

    def _count(self, line: str) -> None:
        match = METRIC.search(line)
        if not match:
            return
        try:
            point = json.loads(match.group(1))
        except ValueError:
            return
        if point.get("metric") == "record_count":
            stream = str((point.get("tags") or {}).get("stream", "?"))
            self.record_counts[stream] += int(point.get("value") or 0)
