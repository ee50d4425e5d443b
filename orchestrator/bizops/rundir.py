"""Private folders for the files a plugin reads (configs with secrets, state, catalog).

They live under the project's ``.bizops/run`` (mode 0700), never in the shared system temp
directory, and are removed when the run ends. A bizops that is SIGKILLed cannot remove its
folder, so each one is guarded by an flock held for its life: the next bizops to open a folder
finds the lock free and removes what the dead process left.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import secrets
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

LOGGER = logging.getLogger("bizops.rundir")
RUNS = Path(".bizops") / "run"
LOCK = ".lock"
PENDING = ".pending-"
PENDING_MAX_AGE = 3600.0  # seconds: a lock file never put in place (killed in between)


@contextlib.contextmanager
def private_dir(root: Path, prefix: str) -> Iterator[Path]:
    """A new folder only this user can read, under ``<root>/.bizops/run``; removed on exit."""
    base = Path(root) / RUNS
    base.mkdir(parents=True, exist_ok=True)
    base.chmod(0o700)
    sweep(base)
    name = f"{prefix}-{os.getpid()}-{secrets.token_hex(4)}"
    # The lock is taken before its name appears, so a sweeping bizops never sees it free.
    pending = base / f"{PENDING}{name}"
    lock = os.open(pending, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        os.rename(pending, base / f"{name}{LOCK}")
        folder = base / name
        folder.mkdir(mode=0o700)
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(base / f"{name}{LOCK}")
    finally:
        os.close(lock)


def write_json(folder: Path, name: str, value: Any) -> Path:
    """Write ``value`` as JSON to ``folder/name``, readable by this user only (0600 from the
    start: the file may hold secrets); returns its path."""
    path = Path(folder) / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(value, handle)
    return path


def sweep(base: Path) -> list[str]:
    """Remove the folders of dead bizops processes under ``base``; returns their names."""
    removed = []
    for lock_path in base.glob(f"*{LOCK}"):
        name = lock_path.name[: -len(LOCK)]
        try:
            fd = os.open(lock_path, os.O_RDONLY)
        except FileNotFoundError:  # its owner removed it meanwhile
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue  # its bizops is alive
        try:
            shutil.rmtree(base / name, ignore_errors=True)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(lock_path)
            removed.append(name)
        finally:
            os.close(fd)
    for pending in base.glob(f"{PENDING}*"):
        with contextlib.suppress(FileNotFoundError):
            if time.time() - pending.stat().st_mtime > PENDING_MAX_AGE:
                pending.unlink()
    if removed:
        LOGGER.info("removed the run files of %d killed bizops run(s)", len(removed))
    return removed
