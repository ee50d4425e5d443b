"""The cross-source person and touch models equal the oracle's: every Marketo lead and HubSpot
contact resolves to the oracle's person, and every person's touches (after the same-second
dedupe) are the oracle's, in order, with the same channel and type; on the small and medium
worlds after a mutate and an incremental run (the warehouse's tables hold the last stage
loaded; the first stage's values are compared through metric_values)."""

from __future__ import annotations

import psycopg2
import pytest

from bizops_sandbox.oracle_touches import people, touches


def _rows(warehouse_url: str, sql: str) -> list[tuple]:
    with psycopg2.connect(warehouse_url) as conn, conn.cursor() as cur:
        cur.execute(sql)
        rows = cur.fetchall()
    conn.close()
    return rows


@pytest.mark.parametrize("size", ["small", "medium"])
def test_marketo_leads_and_hubspot_contacts_resolve_to_the_oracles_persons(
    world_stage, warehouse_url: str, size: str
) -> None:
    loaded = world_stage(size, "mutated")
    who = people(loaded.sources)
    mapped = _rows(
        warehouse_url,
        "SELECT source, source_person_id, person_id"
        f' FROM "{loaded.prefix}_common".map_person_source',
    )
    expected = {("marketo", k, v) for k, v in who.marketo.items()}
    expected |= {("hubspot", k, v) for k, v in who.hubspot.items()}
    assert {row for row in mapped if row[2] is not None} == expected
    assert [row for row in mapped if row[2] is None] == []
    first: dict[tuple[str, str], str] = {}
    for source, ids in (("marketo", who.marketo), ("hubspot", who.hubspot)):
        for record_id, person in ids.items():
            first[(source, person)] = min(first.get((source, person), record_id), record_id)
    persons = _rows(
        warehouse_url,
        "SELECT person_id, marketo_lead_id, hubspot_contact_id"
        f' FROM "{loaded.prefix}_common".dim_person',
    )
    assert {p: (m, h) for p, m, h in persons} == {
        p: (first.get(("marketo", p)), first.get(("hubspot", p))) for p, _, _ in persons
    }


@pytest.mark.parametrize("size", ["small", "medium"])
def test_every_persons_touches_are_the_oracles(world_stage, warehouse_url: str, size: str) -> None:
    loaded = world_stage(size, "mutated")
    rows = _rows(
        warehouse_url,
        "SELECT person_id, touch_id, touch_type, channel, touch_at"
        f' FROM "{loaded.prefix}_common".fct_touchpoint'
        ' ORDER BY person_id, touch_at, touch_id COLLATE "C"',
    )
    warehouse: dict[str, list[tuple]] = {}
    for person, *touch in rows:
        warehouse.setdefault(person, []).append(tuple(touch))
    oracle = {
        person: [(t.touch_id, t.touch_type, t.channel, t.at) for t in path]
        for person, path in touches(loaded.sources).items()
    }
    assert warehouse.keys() == oracle.keys()
    different = [p for p in oracle if warehouse[p] != oracle[p]]
    assert different == [], f"{len(different)} persons differ, first: {different[:3]}"
