"""Writes a deterministic Singer stream of 19-field records (nested object, array) for benchmarks.

Usage: python bench/bench_input.py --records 100000 [--repeat 0.2] [--streams 4] > bench.singer
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import IO

PROPERTIES = {
    "id": {"type": "integer"},
    "account_ref": {"type": "string"},
    "name": {"type": "string"},
    "email": {"type": ["null", "string"]},
    "status": {"type": "string"},
    "currency": {"type": "string"},
    "amount": {"type": "number"},
    "discount": {"type": ["null", "number"]},
    "quantity": {"type": "integer"},
    "owner_id": {"type": ["null", "integer"]},
    "seq": {"type": "integer"},
    "active": {"type": "boolean"},
    "created_at": {"type": "string", "format": "date-time"},
    "updated_at": {"type": "string", "format": "date-time"},
    "start_date": {"type": ["null", "string"], "format": "date"},
    "tags": {"type": "array", "items": {"type": "string"}},
    "attributes": {
        "type": "object",
        "properties": {"tier": {"type": "integer"}, "region": {"type": "string"}},
    },
    "note": {"type": ["null", "string"]},
    "rate": {"type": ["null", "number"]},
}
STATUSES = ("active", "cancelled", "expired", "draft")
EPOCH = datetime(2023, 1, 1, tzinfo=UTC)


def record(rng: random.Random, key: int, seq: int) -> dict:
    """One record; ``seq`` (its position in the stream) tells the latest version of a key."""
    created = EPOCH + timedelta(seconds=rng.randint(0, 60_000_000), microseconds=seq % 999_999)
    return {
        "id": key,
        "account_ref": f"A-{rng.randint(0, 10**8):08d}",
        "name": f'Customer {seq} "{rng.choice("ABCDEFG")}" Ltd',
        "email": f"user{seq}@example.com" if seq % 7 else None,
        "status": rng.choice(STATUSES),
        "currency": rng.choice(("EUR", "USD", "GBP")),
        "amount": round(rng.uniform(0, 10_000), 2),
        "discount": round(rng.uniform(0, 50), 3) if seq % 4 else None,
        "quantity": rng.randint(0, 500),
        "owner_id": rng.randint(1, 10**6) if seq % 9 else None,
        "seq": seq,
        "active": seq % 3 != 0,
        "created_at": created.isoformat(),
        "updated_at": (created + timedelta(days=rng.randint(0, 30))).isoformat(),
        "start_date": created.date().isoformat(),
        "tags": rng.sample(["a", "b", "c", "vip", "trial"], k=2),
        "attributes": {"tier": rng.randint(1, 3), "region": rng.choice(["eu", "us", "apac"])},
        "note": "line one\nline two\ttabbed \\ done" if seq % 11 == 0 else "",
        "rate": round(rng.random(), 6) if seq % 5 else None,
    }


def messages(records: int, repeat: float, streams: int, state_every: int) -> Iterator[dict]:
    """The Singer messages: SCHEMAs, records round-robin over the streams, periodic STATEs."""
    rng = random.Random(7)  # noqa: S311 - benchmark data, not security
    names = [f"subscriptions_{n}" if streams > 1 else "subscriptions" for n in range(streams)]
    for name in names:
        schema = {"type": "object", "properties": PROPERTIES}
        yield {"type": "SCHEMA", "stream": name, "schema": schema, "key_properties": ["id"]}
    for seq in range(1, records + 1):
        stream = (seq - 1) % streams
        own = (seq - 1) // streams + 1  # the record's number within its stream
        key = rng.randint(1, own - 1) if own > 10 and rng.random() < repeat else own
        body = record(rng, key, seq)
        yield {"type": "RECORD", "stream": names[stream], "record": body}
        if seq % state_every == 0 or seq == records:
            yield {"type": "STATE", "value": {"seq": seq}}


def write(out: IO[str], records: int, repeat: float, streams: int, state_every: int) -> None:
    """Write the stream as JSON lines."""
    for message in messages(records, repeat, streams, state_every):
        out.write(json.dumps(message) + "\n")


def main() -> None:
    """Parse options and write the stream to stdout."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=float, default=0.0, help="share of repeated keys")
    parser.add_argument("--streams", type=int, default=1)
    parser.add_argument("--state-every", type=int, default=10_000)
    args = parser.parse_args()
    write(sys.stdout, args.records, args.repeat, args.streams, args.state_every)


if __name__ == "__main__":
    main()
