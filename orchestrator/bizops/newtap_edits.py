"""The edits ``bizops new-tap`` makes to shared files: each adds its text before a marker line
(or to a TOML list) and fails, naming the file and the marker, when the marker is missing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from bizops_core.errors import ConfigurationError


@dataclass(frozen=True)
class Edit:
    """Add ``text`` to the file ``path``.

    ``kind`` "marker": ``text`` goes right before the one line that starts with ``marker``.
    ``kind`` "toml-list": ``text`` joins the one-line list ``<marker> = [...]``.
    """

    path: str
    marker: str
    text: str
    kind: str = "marker"


def apply_edits(root: Path, edits: list[Edit], write: bool) -> tuple[str, ...]:
    """Apply ``edits`` to the files under ``root`` (in memory unless ``write``); the files
    edited, relative to ``root``.

    Raises:
        ConfigurationError: a file or its marker is missing, or already holds the text.
    """
    texts: dict[str, str] = {}
    for edit in edits:
        if edit.path not in texts:
            try:
                texts[edit.path] = (root / edit.path).read_text(encoding="utf-8")
            except OSError as exc:
                raise ConfigurationError(
                    f"new-tap: cannot read {edit.path}: {exc.strerror}; nothing written"
                ) from None
        texts[edit.path] = _edited(texts[edit.path], edit)
    if write:
        for path, text in texts.items():
            (root / path).write_text(text, encoding="utf-8")
    return tuple(texts)


def _edited(text: str, edit: Edit) -> str:
    if edit.kind == "toml-list":
        return _toml_list(text, edit)
    lines = text.splitlines(keepends=True)
    at = [i for i, line in enumerate(lines) if line.rstrip("\n").startswith(edit.marker)]
    if len(at) != 1:
        problem = "no" if not at else f"{len(at)}"
        raise ConfigurationError(
            f"new-tap: {edit.path} has {problem} marker line {edit.marker.strip()!r} (bizops "
            "new-tap adds its entries right above it): put it back; nothing written"
        )
    # the entry's first line that is no comment names it (`  - name: x`, `tap_x = ...`)
    entry = next(line for line in edit.text.splitlines(keepends=True)
                 if line.strip() and not line.lstrip().startswith(("#", "<!--")))  # fmt: skip
    if entry in lines:
        raise ConfigurationError(
            f"new-tap: {edit.path} already holds {entry.strip()!r}; nothing written"
        )
    return "".join(lines[: at[0]]) + edit.text + "".join(lines[at[0] :])


def _toml_list(text: str, edit: Edit) -> str:
    pattern = re.compile(rf"^({re.escape(edit.marker)} = \[)([^\]\n]*)(\])$", re.M)
    found = pattern.findall(text)
    if len(found) != 1:
        raise ConfigurationError(
            f"new-tap: {edit.path} has no one-line list {edit.marker} = [...]: add "
            f"{edit.text!r} to it by hand; nothing written"
        )
    items = [item.strip() for item in found[0][1].split(",") if item.strip()]
    quoted = f'"{edit.text}"'
    if quoted in items:
        raise ConfigurationError(f"new-tap: {edit.path} {edit.marker} already lists {quoted}")
    items = sorted([*items, quoted])
    return pattern.sub(lambda m: m.group(1) + ", ".join(items) + m.group(3), text)
