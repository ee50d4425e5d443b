"""Helpers for the tests that follow the READMEs literally: marked blocks and the emulators."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MARKED_BLOCK = re.compile(r"<!-- readme-test: ([\w-]+) -->\n```[\w-]*\n(.*?)\n```", re.DOTALL)


def marked_blocks(path: Path) -> dict[str, str]:
    """The fenced blocks of ``path`` that follow a ``<!-- readme-test: NAME -->`` line."""
    return dict(MARKED_BLOCK.findall(path.read_text("utf-8")))


def block(path: Path, name: str) -> str:
    """One marked block of ``path``; fails the test when the README lost it."""
    blocks = marked_blocks(path)
    assert name in blocks, f"{path.name} has no block marked readme-test: {name}"
    return blocks[name]


def replace_exactly(text: str, old: str, new: str) -> str:
    """``text`` with ``old`` replaced; fails when the README no longer says ``old``."""
    assert old in text, f"the README block no longer contains {old!r}"
    return text.replace(old, new)


@contextmanager
def sandbox_process(source: str) -> Iterator[str]:
    """``bizops-sandbox SOURCE --port 0`` as a user starts it; yields the URL it prints."""
    process = subprocess.Popen(
        [str(BIN / "bizops-sandbox"), "--log-level", "WARNING", source, "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), url
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
