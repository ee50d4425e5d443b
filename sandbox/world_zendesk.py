"""The Zendesk side of the world: an account per Salesforce account.

Derived from the world's records on every call, so it follows the world's mutations (a new
Salesforce account is a new account here) and the customer id joins: every record carries
the Salesforce Account Id it mirrors.
"""

from __future__ import annotations

from typing import Any

from bizops_sandbox.world import World

ID_PREFIX = "acc_"


def accounts(world: World) -> list[dict[str, Any]]:
    """The accounts of ``world``, one per live Salesforce Account, in the world's order."""
    return [
        {
            "id": ID_PREFIX + account["Id"],
            "name": account["Name"],
            "salesforce_account_id": account["Id"],
            "created_at": account["CreatedDate"],
            "updated_at": account["LastModifiedDate"],
        }
        for account in world.records("Account", source="salesforce")
        if not account.get("IsDeleted")
    ]
