"""Logging set-up shared by every command: named loggers, stderr only, one line per event."""

from __future__ import annotations

import logging
import sys

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup(level: str | int = "INFO") -> None:
    """Send every ``bizops``/``tap_*``/``target_*`` logger to stderr (stdout is Singer's)."""
    root = logging.getLogger()
    if not any(getattr(h, "_bizops", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(FORMAT))
        handler._bizops = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level)
