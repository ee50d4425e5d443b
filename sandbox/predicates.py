"""Comparison of a record's value with a query literal, as the emulated query languages (SOQL,
ZOQL) evaluate a WHERE condition: a null literal tests for null, a null value matches nothing
else."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq, "!=": operator.ne, "<>": operator.ne, "<": operator.lt,
    "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}  # fmt: skip


def holds(value: Any, op: str, literal: Any) -> bool:
    """Whether ``value op literal`` is true."""
    if literal is None:
        return (value is None) == (op == "=")
    if value is None:
        return False
    return OPS[op](value, literal)
