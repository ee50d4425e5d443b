"""CSV exports read as rows: the header names the cells, a row of another width is a data error."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator

from bizops_core.errors import DataError


def header_rows(
    lines: Iterable[str], source: str, rename: Callable[[str], str] | None = None
) -> Iterator[dict[str, str]]:
    """``{column: cell}`` per row of the CSV ``lines`` (nothing for an empty file).

    Args:
        lines: the file's text, line by line (opened with ``newline=""`` so quoted line breaks
            stay inside their cell).
        source: names the file in errors, e.g. ``"Zuora file /v1/files/abc"``.
        rename: turns a header cell into the row key (default: the cell itself).

    Raises:
        DataError: a row whose cell count differs from the header's, naming its line.
    """
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None:
        return
    names = [rename(cell) for cell in header] if rename else header
    width = len(names)
    for cells in reader:
        if len(cells) != width:
            raise DataError(
                f"{source} line {reader.line_num}: {len(cells)} cells, the header has {width}"
            )
        yield dict(zip(names, cells, strict=True))
