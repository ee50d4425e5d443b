"""target-postgres: a purpose-built Singer target that loads PostgreSQL through COPY and merge."""

from __future__ import annotations

from typing import Any

NAME = "target-postgres"
DESCRIPTION = (
    "Singer target loading PostgreSQL through COPY and merge on the key properties, with "
    "rejects, type widening and the state committed with the data."
)
CAPABILITIES = ("about", "target-schema")
DISTRIBUTION = "bizops"


def __getattr__(name: str) -> Any:
    """``__version__``, looked up only when asked for (importlib.metadata costs ~30 ms)."""
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0"
