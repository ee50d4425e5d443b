"""Shared fixtures: a real PostgreSQL (embedded by default) with a fresh schema per test, and
the sandbox emulators on loopback."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest

REPO = Path(__file__).resolve().parent.parent
TEST_PGDATA = REPO / ".bizops" / "test-pg"


@pytest.fixture(scope="session")
def warehouse_url() -> str:
    """URL of the test PostgreSQL: ``BIZOPS_TEST_DATABASE_URL`` or an embedded server."""
    configured = os.environ.get("BIZOPS_TEST_DATABASE_URL")
    if configured:
        return configured
    from bizops.warehouse import embedded_url

    return embedded_url(TEST_PGDATA)


@pytest.fixture
def db_schema(warehouse_url: str) -> Iterator[str]:
    """A fresh, empty schema for one test, dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg2.connect(warehouse_url) as conn, conn.cursor() as cur:
        cur.execute(f'CREATE SCHEMA "{name}"')
    conn.close()
    yield name
    conn = psycopg2.connect(warehouse_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
    conn.close()


@pytest.fixture
def db(warehouse_url: str) -> Iterator[psycopg2.extensions.connection]:
    """An autocommit connection to the test warehouse."""
    conn = psycopg2.connect(warehouse_url)
    conn.autocommit = True
    yield conn
    conn.close()


@pytest.fixture
def zuora_sandbox():
    """A Zuora emulator serving a fresh small world (seed 42) on a free loopback port."""
    from bizops_sandbox.server import serve
    from bizops_sandbox.world import World
    from bizops_sandbox.zuora import create_app

    world = World.generate(seed=42, size="small")
    server = serve(create_app(world))
    try:
        yield server
    finally:
        server.stop()
