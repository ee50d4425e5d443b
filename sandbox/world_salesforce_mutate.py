"""The mutate step of the Salesforce world: mirrored customers, prospects, edits and deletions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bizops_sandbox.world_salesforce import STAGES, SalesforceBuilder
from bizops_sandbox.world_salesforce_accounts import AccountMaker, Customer

Changes = dict[str, dict[str, list[str]]]
Edit = Callable[[AccountMaker, str, datetime, Changes], bool]


def mutate_salesforce(
    maker: AccountMaker,
    customers: list[tuple[Customer, datetime]],
    old: datetime,
    new: datetime,
    *,
    updates: int,
    deletes: int,
) -> Changes:
    """Mirror new Zuora customers, add one prospect each, then edit and delete in ``(old, new]``.

    Returns:
        ``{object: {"created": [...], "updated": [...], "deleted": [...]}}`` for every object;
        an id appears in one list only. Deleted records stay, with ``IsDeleted`` true.
    """
    builder = maker.b
    tables = builder.state.tables
    result: Changes = {o: {"created": [], "updated": [], "deleted": []} for o in tables}
    span = int((new - old).total_seconds())

    def when() -> datetime:
        return old + timedelta(seconds=builder.rng.randint(1, span))

    # Only records that existed (and were not deleted) before this mutation are edited.
    candidates = {obj: list(tables[obj]) for obj in (*EDITS, *DELETABLE)}
    if customers:
        _campaign(maker, when(), new, result)
    for customer, created in customers:
        for made in (maker.customer(customer, created, None), maker.prospect(when(), None)):
            for obj, ids in made.items():
                result[obj]["created"].extend(ids)
    _apply(maker, candidates, EDITS, updates, when, result)
    deleting = {obj: _delete for obj in DELETABLE}
    _apply(maker, candidates, deleting, deletes, when, result)
    return result


def _campaign(maker: AccountMaker, start: datetime, new: datetime, result: Changes) -> None:
    """A campaign starting inside the window (its cost is spent in the new history) that
    touches up to three existing live leads: a lead without a touch so far is attributed
    to it, long after it was created."""
    made: dict[str, list[str]] = {}
    campaign = maker.b.add_campaign(start, None, made, running=True)
    leads = [r["Id"] for r in maker.b.state.tables["Lead"].values() if not r["IsDeleted"]]
    span = max(int((new - start).total_seconds()), 1)
    for lead in maker.rng.sample(leads, min(3, len(leads))):
        at = start + timedelta(seconds=maker.rng.randint(1, span))
        maker.b._add(made, "CampaignMember", {
            "CampaignId": campaign, "LeadId": lead, "ContactId": None, "Status": "Sent",
            "HasResponded": False, "FirstRespondedDate": None,
        }, min(at, new), None)  # fmt: skip
    for obj, ids in made.items():
        result[obj]["created"].extend(ids)


def _apply(maker, candidates, edits: dict[str, Edit], count: int, when, result) -> None:
    rng = maker.rng
    for _ in range(count):
        kinds = [obj for obj in edits if candidates[obj]]
        while kinds:
            obj = rng.choice(kinds)
            record_id = candidates[obj].pop(rng.randrange(len(candidates[obj])))
            if maker.b.state.tables[obj][record_id]["IsDeleted"]:
                kinds = [obj for obj in edits if candidates[obj]]
                continue
            if edits[obj](maker, record_id, when(), result):
                break
            kinds = [obj for obj in edits if candidates[obj]]


def _delete(maker: AccountMaker, record_id: str, at: datetime, result: Changes) -> bool:
    obj = _object_of(maker.b, record_id)
    maker.b.touch(obj, record_id, at, IsDeleted=True)
    result[obj]["deleted"].append(record_id)
    return True


def _object_of(builder: SalesforceBuilder, record_id: str) -> str:
    return next(obj for obj in DELETABLE if record_id in builder.state.tables[obj])


def _advance_stage(maker: AccountMaker, opp_id: str, at: datetime, result: Changes) -> bool:
    record = maker.b.state.tables["Opportunity"][opp_id]
    if record["IsClosed"]:
        return False
    position = STAGES.index(record["StageName"]) + 1
    stage = STAGES[position] if position < len(STAGES) else "Closed Won"
    won = stage == "Closed Won"
    # leaving the first stage is sales' acceptance (see world_salesforce_accounts.is_accepting)
    accepted = record["Sales_Accepted_Date__c"] or at.astimezone(UTC).date()
    maker.b.touch(
        "Opportunity", opp_id, at, StageName=stage, IsClosed=won, IsWon=won,
        ARR__c=record["Amount"] if won else None, Sales_Accepted_Date__c=accepted,
    )  # fmt: skip
    made: dict[str, list[str]] = {}
    maker.history(made, opp_id, stage, record["Amount"], at, at)
    result["OpportunityHistory"]["created"].extend(made["OpportunityHistory"])
    result["Opportunity"]["updated"].append(opp_id)
    return True


def _simple(obj: str, change: Callable[[AccountMaker, dict], dict]) -> Edit:
    def edit(maker: AccountMaker, record_id: str, at: datetime, result: Changes) -> bool:
        changes = change(maker, maker.b.state.tables[obj][record_id])
        if not changes:
            return False
        maker.b.touch(obj, record_id, at, **changes)
        result[obj]["updated"].append(record_id)
        return True

    return edit


def _phone(maker: AccountMaker, _: dict) -> dict:
    return {"Phone": f"+1-555-{maker.rng.randint(100, 999)}-{maker.rng.randint(1000, 9999)}"}


WORKING = "Working - Contacted"
CLOSED_TASK = {"Status": "Completed", "IsClosed": True}
# Which objects a mutation edits, and how; an edit returning False draws another record.
EDITS: dict[str, Edit] = {
    "Opportunity": _advance_stage,
    "Account": _simple("Account", _phone),
    "Contact": _simple("Contact", lambda m, r: {"Title": m.rng.choice(("CFO", "CEO", "COO"))}),
    "Lead": _simple("Lead", lambda m, r: {} if r["IsConverted"] else {"Status": WORKING}),
    "Task": _simple("Task", lambda m, r: {} if r["IsClosed"] else CLOSED_TASK),
}
# Objects whose records a mutation deletes (soft: IsDeleted, visible through queryAll).
DELETABLE = ("Task", "Event", "CampaignMember")
