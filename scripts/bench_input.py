"""Writes a deterministic Singer stream of 15-field records to stdout, for timing targets.

Usage: python scripts/bench_input.py --records 100000 [--state-every 10000] > bench.singer
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from datetime import UTC, datetime, timedelta

SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "account_ref": {"type": "string"},
        "name": {"type": "string"},
        "email": {"type": ["null", "string"]},
        "status": {"type": "string"},
        "amount": {"type": "number"},
        "quantity": {"type": "integer"},
        "rate": {"type": ["null", "number"]},
        "active": {"type": "boolean"},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
        "start_date": {"type": ["null", "string"], "format": "date"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "attributes": {"type": "object"},
        "note": {"type": ["null", "string"]},
    },
}
STATUSES = ("active", "cancelled", "expired", "draft")
EPOCH = datetime(2023, 1, 1, tzinfo=UTC)


def record(rng: random.Random, number: int) -> dict:
    """One record; about 1 in 10 ids repeats an earlier one, so the merge has work to do."""
    key = rng.randint(1, number) if number > 10 and rng.random() < 0.1 else number
    created = EPOCH + timedelta(seconds=rng.randint(0, 60_000_000), microseconds=number % 999_999)
    return {
        "id": key,
        "account_ref": f"A-{rng.randint(0, 10**8):08d}",
        "name": f'Customer {number} "{rng.choice("ABCDEFG")}" Ltd',
        "email": f"user{number}@example.com" if number % 7 else None,
        "status": rng.choice(STATUSES),
        "amount": round(rng.uniform(0, 10_000), 2),
        "quantity": rng.randint(0, 500),
        "rate": round(rng.random(), 6) if number % 5 else None,
        "active": number % 3 != 0,
        "created_at": created.isoformat(),
        "updated_at": (created + timedelta(days=rng.randint(0, 30))).isoformat(),
        "start_date": created.date().isoformat(),
        "tags": rng.sample(["a", "b", "c", "vip", "trial"], k=2),
        "attributes": {"tier": rng.randint(1, 3), "region": rng.choice(["eu", "us", "apac"])},
        "note": "line one\nline two\ttabbed \\ done" if number % 11 == 0 else "",
    }


def main() -> None:
    """Write the SCHEMA, the records and STATE messages."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--state-every", type=int, default=0, help="0: one STATE at the end")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)  # noqa: S311 - test data, not security
    out = sys.stdout
    out.write(
        json.dumps(
            {
                "type": "SCHEMA",
                "stream": "subscriptions",
                "schema": SCHEMA,
                "key_properties": ["id"],
            }
        )
        + "\n"
    )
    for number in range(1, args.records + 1):
        message = {"type": "RECORD", "stream": "subscriptions", "record": record(rng, number)}
        out.write(json.dumps(message) + "\n")
        if args.state_every and number % args.state_every == 0:
            out.write(json.dumps({"type": "STATE", "value": {"offset": number}}) + "\n")
    out.write(json.dumps({"type": "STATE", "value": {"offset": args.records}}) + "\n")


if __name__ == "__main__":
    main()
