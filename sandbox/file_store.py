"""Result files of an emulator's export jobs, by random id, until they expire."""

from __future__ import annotations

import secrets
import threading


class FileStore:
    """File contents by id, safe to use from several server threads."""

    def __init__(self) -> None:
        self._files: dict[str, str] = {}
        self._lock = threading.Lock()

    def put(self, content: str) -> str:
        """Keep ``content``; return the new file's id (32 hex characters, as Zuora's)."""
        file_id = secrets.token_hex(16)
        with self._lock:
            self._files[file_id] = content
        return file_id

    def get(self, file_id: str) -> str | None:
        """The content of a file, or None (unknown or expired)."""
        with self._lock:
            return self._files.get(file_id)

    def expire(self) -> int:
        """Delete every file (Zuora keeps them 7 days); return how many there were."""
        with self._lock:
            count = len(self._files)
            self._files.clear()
            return count
