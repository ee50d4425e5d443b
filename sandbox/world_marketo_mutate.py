"""The mutate step of the Marketo world: what Salesforce changed, synced, then Marketo's own
creates (web visits), updates (lead scores) and deletes (leads)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from bizops_sandbox.world_marketo import (
    PAGES,
    Activity,
    MarketoState,
    add_lead,
    add_member,
    add_program,
    lead_fields,
    member_record,
    program_record,
    sync_order,
    visit,
)

Changes = dict[str, dict[str, list[Any]]]
STREAMS = ("leads", "programs", "program_members", "activities")


def member_key(program_id: int, lead_id: int) -> str:
    """The id of a program member in a mutation's answer: ``programId:leadId``."""
    return f"{program_id}:{lead_id}"


def mutate_marketo(
    state: MarketoState,
    rng: random.Random,
    tables: dict[str, dict[str, dict[str, Any]]],
    sf_changes: dict[str, dict[str, list[str]]],
    old: datetime,
    new: datetime,
    *,
    updates: int,
    deletes: int,
) -> Changes:
    """Sync the Salesforce changes made in ``(old, new]``, then make Marketo's own.

    Returns:
        ``{stream: {"created": [...], "updated": [...], "deleted": [...]}}``; an id appears in
        one list of a stream only (a record created and then updated counts as created).
    """
    result: Changes = {s: {"created": [], "updated": [], "deleted": []} for s in STREAMS}
    span = max(int((new - old).total_seconds()), 1)

    def when() -> datetime:
        return old + timedelta(seconds=rng.randint(1, span))

    batch: list[Activity] = []
    _sync_programs(state, tables, sf_changes, result)
    _sync_leads(state, rng, tables, sf_changes, new, when, result, batch)
    for member_id in sf_changes["CampaignMember"]["created"]:
        batch.extend(add_member(state, rng, tables["CampaignMember"][member_id], new))
        key = _member_of(state, member_id)
        if key is not None:
            result["program_members"]["created"].append(member_key(*key))
    for member_id in sf_changes["CampaignMember"]["deleted"]:
        key = _member_of(state, member_id)
        if key is not None:
            del state.members[key]
            result["program_members"]["deleted"].append(member_key(*key))
    live = [i for i in state.leads if i not in set(result["leads"]["created"])]
    for lead_id in rng.sample(live, min(updates, len(live))):
        page_id, _ = rng.choice(PAGES)
        batch.append(visit(rng, lead_id, when(), page_id))
        _touch(state, lead_id, when(), result, leadScore=state.leads[lead_id]["leadScore"] + 10)
    for lead_id in rng.sample(live, min(deletes, len(live))):
        _delete_lead(state, lead_id, when(), result)
    state.add_activities(batch)
    result["activities"]["created"] = (
        [str(a[0]) for a in state.activities[-len(batch) :]] if (batch) else []
    )
    return result


def _sync_programs(state, tables, sf_changes, result: Changes) -> None:
    for campaign_id in sf_changes["Campaign"]["created"]:
        result["programs"]["created"].append(add_program(state, tables["Campaign"][campaign_id]))
    for campaign_id in sf_changes["Campaign"]["updated"]:
        program_id = state.program_of_campaign.get(campaign_id)
        if program_id is not None:
            state.programs[program_id] = program_record(program_id, tables["Campaign"][campaign_id])
            result["programs"]["updated"].append(program_id)


def _sync_leads(state, rng, tables, sf_changes, new, when, result: Changes, batch) -> None:
    created = [*sf_changes["Lead"]["created"], *sf_changes["Contact"]["created"]]
    for sf_id in sync_order(tables, created):
        if sf_id not in state.lead_of_sfdc:
            batch.extend(add_lead(state, rng, tables, sf_id, new))
            result["leads"]["created"].append(state.lead_of_sfdc[sf_id])
    changed = [*sf_changes["Lead"]["updated"], *sf_changes["Contact"]["updated"]]
    for sf_id in changed:
        lead_id = state.lead_of_sfdc.get(sf_id)
        if lead_id is None or lead_id not in state.leads:
            continue
        lead = state.leads[lead_id]
        record = tables["Lead"].get(lead["sfdcLeadId"] or "") or tables["Contact"][sf_id]
        fields = lead_fields(tables, record["Id"])
        if any(lead[k] != v for k, v in fields.items()):
            modified = tables["Lead"].get(sf_id, tables["Contact"].get(sf_id))["LastModifiedDate"]
            _touch(state, lead_id, modified, result, **fields)


def _touch(state: MarketoState, lead_id: int, at: datetime, result: Changes, **changes) -> None:
    lead = state.leads[lead_id]
    lead.update(changes, updatedAt=max(lead["updatedAt"], at))
    if lead_id not in result["leads"]["created"] and lead_id not in result["leads"]["updated"]:
        result["leads"]["updated"].append(lead_id)


def _delete_lead(state: MarketoState, lead_id: int, at: datetime, result: Changes) -> None:
    """A deleted lead leaves the lead database and its programs; its activities stay (the
    activity log is history, as Marketo keeps a "Delete Lead" trail)."""
    lead = state.leads.pop(lead_id)
    state.deleted_leads[lead_id] = {"id": lead_id, "deletedAt": at, "email": lead["email"]}
    for key in [k for k in state.members if k[1] == lead_id]:
        del state.members[key]
        result["program_members"]["deleted"].append(member_key(*key))
    if lead_id in result["leads"]["updated"]:
        result["leads"]["updated"].remove(lead_id)
    result["leads"]["deleted"].append(lead_id)


def _member_of(state: MarketoState, sf_member_id: str) -> tuple[int, int] | None:
    return next(
        (k for k, m in state.members.items() if m["sfdcCampaignMemberId"] == sf_member_id), None
    )


__all__ = ["member_key", "member_record", "mutate_marketo"]
