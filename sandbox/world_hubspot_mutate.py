"""The mutate step of the HubSpot world: mirror what Salesforce created, edit, archive."""

from __future__ import annotations

from datetime import datetime, timedelta

from bizops_sandbox.world_hubspot import LIFECYCLE, OBJECTS, HubspotBuilder, mirror

Changes = dict[str, dict[str, list[str]]]
TITLES = ("CFO", "Controller", "VP Finance", "Head of Operations", "Analyst", "CTO")


def mutate_hubspot(
    builder: HubspotBuilder,
    crm_changes: Changes,
    old: datetime,
    new: datetime,
    *,
    updates: int,
    deletes: int,
) -> Changes:
    """Mirror the Salesforce records created in this mutation, then edit ``updates`` contacts,
    companies and deals each and archive ``deletes`` contacts and engagements each, every
    change at a moment in ``(old, new]``.

    Returns:
        ``{object: {"created", "updated", "deleted"}}`` for every HubSpot object; an id is in
        one list only ("deleted" = archived: the record stays, ``archived`` true).
    """
    tables = builder.state.tables
    result: Changes = {o: {"created": [], "updated": [], "deleted": []} for o in OBJECTS}
    span = int((new - old).total_seconds())

    def when() -> datetime:
        return old + timedelta(seconds=builder.rng.randint(1, span))

    live = {o: [i for i, r in tables[o].items() if not r["archived"]] for o in OBJECTS}
    created = {o: ids["created"] for o, ids in crm_changes.items()}
    for obj, ids in mirror(builder, created, new).items():
        result[obj]["created"].extend(ids)
    for record_id in _pick(builder, live["contacts"], updates):
        record = tables["contacts"][record_id]
        stage = LIFECYCLE.index(record["properties"]["lifecyclestage"])
        at = when()
        if stage + 1 < len(LIFECYCLE):
            builder.touch("contacts", record_id, at, lifecyclestage=LIFECYCLE[stage + 1],
                          **{f"hs_lifecyclestage_{LIFECYCLE[stage + 1]}_date": at})  # fmt: skip
        else:
            builder.touch("contacts", record_id, at, jobtitle=builder.rng.choice(TITLES))
        result["contacts"]["updated"].append(record_id)
    for record_id in _pick(builder, live["companies"], updates):
        builder.touch("companies", record_id, when(), industry=builder.rng.choice(
            ("Software", "Retail", "Media", "Finance", "Health")))  # fmt: skip
        result["companies"]["updated"].append(record_id)
    for record_id in _pick(builder, live["deals"], updates):
        amount = tables["deals"][record_id]["properties"]["amount"]
        builder.touch("deals", record_id, when(), amount=None if amount is None else amount + 100)
        result["deals"]["updated"].append(record_id)
    for obj in ("contacts", "engagements"):
        updated = set(result[obj]["updated"])
        for record_id in _pick(builder, [i for i in live[obj] if i not in updated], deletes):
            builder.archive(obj, record_id, when())
            result[obj]["deleted"].append(record_id)
    return result


def _pick(builder: HubspotBuilder, ids: list[str], count: int) -> list[str]:
    return sorted(builder.rng.sample(ids, min(count, len(ids))), key=int)
