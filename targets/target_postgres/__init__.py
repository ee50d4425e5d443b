"""target-postgres: a purpose-built Singer target that loads PostgreSQL through COPY and merge."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

NAME = "target-postgres"
CAPABILITIES = ("about", "target-schema")

try:
    __version__ = version("bizops")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
