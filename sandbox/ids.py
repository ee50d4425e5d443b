"""Identifier formats of the vendors the sandbox imitates (Zuora ids, Salesforce ids)."""

from __future__ import annotations

import random
import string

_SF_ALPHABET = string.digits + string.ascii_uppercase + string.ascii_lowercase
_SF_SUFFIX = string.ascii_uppercase + "012345"


def zuora_id(rng: random.Random) -> str:
    """A Zuora object id: 32 lowercase hex characters."""
    return f"{rng.getrandbits(128):032x}"


def salesforce_id(prefix: str, rng: random.Random) -> str:
    """An 18-character Salesforce id with the given 3-character key prefix (``001`` = Account).

    The first 15 characters are the case-sensitive id; the last 3 encode, five characters at a
    time, which of them are upper-case letters (Salesforce's case-insensitive suffix).
    """
    pod = "5" + rng.choice(string.ascii_uppercase) + rng.choice(string.digits) + "00000"
    body = prefix + pod + "".join(rng.choice(_SF_ALPHABET) for _ in range(15 - 3 - len(pod)))
    return body + salesforce_suffix(body)


def salesforce_suffix(id15: str) -> str:
    """The 3-character checksum that turns a 15-character Salesforce id into 18 characters."""
    suffix = ""
    for chunk in range(3):
        bits = 0
        for position, char in enumerate(id15[chunk * 5 : chunk * 5 + 5]):
            if char.isupper():
                bits |= 1 << position
        suffix += _SF_SUFFIX[bits]
    return suffix
