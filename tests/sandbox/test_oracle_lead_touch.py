"""The converted-leads oracle (last-touch attribution of leads) on hand-made records."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bizops_sandbox.oracle import sources_of
from bizops_sandbox.oracle_lead_touch import converted_leads, last_touch_channels
from bizops_sandbox.world import World


def _at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _lead(lid, converted=None, deleted=False):
    return {"Id": lid, "IsConverted": converted is not None, "ConvertedDate": converted,
            "IsDeleted": deleted}  # fmt: skip


def _member(mid, lead, campaign, at, deleted=False):
    return {"Id": mid, "LeadId": lead, "CampaignId": campaign, "CreatedDate": at,
            "IsDeleted": deleted}  # fmt: skip


def tiny_crm() -> dict[str, list[dict]]:
    """L1 converted 2024-03-10: touched by webinar (Mar 1), then ads (Mar 10, the day itself),
    then webinar again after conversion (Mar 20): last touch = ads. L2 converted 2024-03-15,
    two touches at the same moment: the greater Id ("m4" > "m3") is the last, an untyped
    campaign: '(none)'. L3 converted 2024-04-02 with its only touch after conversion: total
    only. L4 converted in March, its last touch a deleted member, the one before a deleted
    campaign: total only. L5 never converted; L6 converted but deleted: nowhere."""
    d = date
    return {
        "Lead": [
            _lead("L1", d(2024, 3, 10)), _lead("L2", d(2024, 3, 15)),
            _lead("L3", d(2024, 4, 2)), _lead("L4", d(2024, 3, 30)), _lead("L5"),
            _lead("L6", d(2024, 3, 5), deleted=True),
        ],
        "Campaign": [
            {"Id": "web", "Type": "Webinar"}, {"Id": "ads", "Type": "Paid Ads"},
            {"Id": "misc", "Type": None}, {"Id": "gone", "Type": "Event", "IsDeleted": True},
        ],
        "CampaignMember": [
            _member("m1", "L1", "web", _at(d(2024, 3, 1))),
            _member("m2", "L1", "ads", _at(d(2024, 3, 10), 23)),
            _member("m9", "L1", "web", _at(d(2024, 3, 20))),
            _member("m3", "L2", "web", _at(d(2024, 3, 2))),
            _member("m4", "L2", "misc", _at(d(2024, 3, 2))),
            _member("m5", "L3", "ads", _at(d(2024, 4, 3))),
            _member("m6", "L4", "gone", _at(d(2024, 3, 1))),
            _member("m7", "L4", "web", _at(d(2024, 3, 2)), deleted=True),
            _member("m8", "L5", "ads", _at(d(2024, 3, 1))),
            _member("m0", "L6", "ads", _at(d(2024, 3, 1))),
        ],
    }  # fmt: skip


def test_the_last_touch_is_the_latest_member_up_to_the_conversion() -> None:
    assert last_touch_channels(tiny_crm()) == {"L1": "Paid Ads", "L2": "(none)", "L4": None}


def test_converted_leads_by_period_and_last_touch_channel() -> None:
    rows = converted_leads(tiny_crm(), date(2024, 3, 1), date(2024, 4, 30), "month")
    got = {(period.label, channel): count for period, channel, count in rows}
    assert got == {
        ("2024-03", None): 3, ("2024-03", "Paid Ads"): 1, ("2024-03", "(none)"): 1,
        ("2024-04", None): 1,
    }  # fmt: skip
    quarter = converted_leads(tiny_crm(), date(2024, 3, 1), date(2024, 4, 30), "quarter", 2)
    assert [(p.label, c, n) for p, c, n in quarter] == [
        ("FY2025-Q1", None, 4),
        ("FY2025-Q1", "(none)", 1),
        ("FY2025-Q1", "Paid Ads", 1),
    ]


def test_the_world_converts_leads_through_more_than_one_channel() -> None:
    crm = sources_of(World.generate(seed=42, size="small"))["salesforce"]
    channels = last_touch_channels(crm)
    assert len({c for c in channels.values() if c}) >= 2
    converted = sum(1 for lead in crm["Lead"] if lead["IsConverted"] and not lead["IsDeleted"])
    assert len(channels) <= converted  # at most one last touch per converted lead
