"""Returning customers: an account whose subscriptions have all ended subscribes again later.

Without them a churned customer never comes back and reactivation ARR is always zero. The
new subscription is a fresh one (version 1, its own name), as a customer signing a new
contract after a lapse is in Zuora; its account stays the same, so its CrmId (the customer)
does too.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from bizops_sandbox import world_zuora_billing as billing

if TYPE_CHECKING:
    from bizops_sandbox.world_zuora import ZuoraBuilder

# A customer returns at least this long after its last subscription ended: a month end always
# falls in between, so its month-end ARR really was zero (a churn, then a reactivation).
MIN_GAP_DAYS = 35
MAX_GAP_DAYS = 240
RETURN_SHARE = 0.3  # of the lapsed accounts, in the generated history


def lapsed_accounts(builder: ZuoraBuilder, before: date) -> dict[str, date]:
    """Active accounts whose current subscriptions all ended before ``before``, with the day
    the last one ended (its SubscriptionEndDate: cancellation or term end, exclusive)."""
    tables = builder.state.tables
    ends: dict[str, list[date | None]] = {}
    for subscription in tables["Subscription"].values():
        if subscription["IsLatestVersion"]:
            ends.setdefault(subscription["AccountId"], []).append(
                subscription["SubscriptionEndDate"]
            )
    out = {}
    for account_id, days in ends.items():
        if tables["Account"][account_id]["Status"] != "Active" or None in days:
            continue
        last = max(d for d in days if d is not None)
        if last < before:
            out[account_id] = last
    return out


def add_returning_customers(builder: ZuoraBuilder, until: datetime) -> list[str]:
    """History mode: some lapsed accounts subscribe again ``MIN_GAP_DAYS`` to
    ``MAX_GAP_DAYS`` after their last subscription ended, and are billed from then on.

    Returns:
        The ids of the accounts that returned.
    """
    rng = builder.rng
    returned = []
    lapsed = lapsed_accounts(builder, until.date() - timedelta(MIN_GAP_DAYS))
    for account_id, ended in lapsed.items():
        if rng.random() >= RETURN_SHARE:
            continue
        day = ended + timedelta(rng.randint(MIN_GAP_DAYS, MAX_GAP_DAYS))
        start = datetime.combine(day, time(9), UTC) + timedelta(seconds=rng.randrange(28_800))
        if start >= until:
            continue
        made: dict[str, list[str]] = {name: [] for name in builder.state.tables}
        versions = billing.add_subscription(builder, account_id, start, until, False, made)
        _add_invoices_keeping_balance(builder, account_id, versions, until, made)
        returned.append(account_id)
    return returned


def return_one(builder: ZuoraBuilder, at: datetime, made: dict[str, list[str]]) -> str | None:
    """Mutate mode: one account, lapsed since before ``at`` by ``MIN_GAP_DAYS``, subscribes
    again at ``at`` (records created and updated at ``at``). Returns its id, or None when no
    account has lapsed."""
    lapsed = sorted(lapsed_accounts(builder, at.date() - timedelta(MIN_GAP_DAYS)))
    if not lapsed:
        return None
    account_id = builder.rng.choice(lapsed)
    billing.add_subscription(builder, account_id, at, None, False, made)
    return account_id


def _add_invoices_keeping_balance(
    builder: ZuoraBuilder, account_id: str, versions: list[Any], until: datetime, made
) -> None:
    """Bill the new subscription; the account's balance and last invoice date then cover its
    earlier invoices too (``add_invoices`` sets them from the invoices it makes)."""
    account = builder.state.tables["Account"][account_id]
    balance, total, last = (
        account["Balance"],
        account["TotalInvoiceBalance"],
        account["LastInvoiceDate"],
    )
    billing.add_invoices(builder, account_id, [versions], until, made)
    new_last = account["LastInvoiceDate"]
    account.update(
        Balance=account["Balance"] + balance,
        TotalInvoiceBalance=account["TotalInvoiceBalance"] + total,
        LastInvoiceDate=max((d for d in (last, new_last) if d), default=None),
    )
