"""Numeric settings given as text: an orchestrator that reads a setting from an environment
variable may pass it on as a string (Meltano 4.4 does, for a setting without a `kind`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

# A JSON number, nothing around it: text that is anything else is left for the schema check,
# which refuses it naming the setting.
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")


def parse_number_texts(config: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    """``config`` with each text value of a number or integer setting (one whose schema type
    does not also allow a string) replaced by the number it spells, exactly: an integer for
    whole-number text, a ``Decimal`` otherwise (as the SDK reads fractions from a config file).
    An integer setting keeps text with a fraction or exponent, for the schema check to refuse.
    """
    out = dict(config)
    for name, spec in (schema.get("properties") or {}).items():
        value = out.get(name)
        if not isinstance(value, str):
            continue
        kinds = spec.get("type")
        kinds = {kinds} if isinstance(kinds, str) else set(kinds or ())
        match = _JSON_NUMBER.fullmatch(value)
        if match is None or "string" in kinds or not kinds & {"number", "integer"}:
            continue
        whole = match.group(1) is None and match.group(2) is None
        if whole:
            out[name] = int(value)
        elif "number" in kinds:
            out[name] = Decimal(value)
    return out
