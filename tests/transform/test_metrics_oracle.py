"""Every built metric of the catalog equals the sandbox oracle, exactly (to the cent, to the
day), in every period of the world's history at every grain and breakdown: on the small and
medium worlds, as first loaded and again after a mutate and an incremental run."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bizops.metric_catalog import load
from tests.transform.oracle_values import METRICS, Values, only

BUILT = tuple(m.name for m in load() if m.built)


def _differences(warehouse: Values, oracle: Values) -> list[str]:
    out = []
    for key in sorted(warehouse.keys() | oracle.keys()):
        if key not in warehouse:
            out.append(f"{key}: missing in the warehouse (oracle {oracle[key]})")
        elif key not in oracle:
            out.append(f"{key}: {warehouse[key]} in the warehouse, not in the oracle")
        elif warehouse[key] != oracle[key]:
            out.append(f"{key}: warehouse {warehouse[key]} != oracle {oracle[key]}")
    return out


def test_every_built_metric_has_an_oracle() -> None:
    assert [name for name in BUILT if name not in METRICS] == []


@pytest.mark.parametrize("size", ["small", "medium"])
@pytest.mark.parametrize("stage", ["initial", "mutated"])
@pytest.mark.parametrize("metric", BUILT)
def test_metric_equals_the_oracle(world_stage, size: str, stage: str, metric: str) -> None:
    loaded = world_stage(size, stage)
    oracle = only(loaded.oracle, metric)
    assert oracle, f"the oracle gives no value of {metric}"
    warehouse = only(loaded.warehouse, metric)
    differences = _differences(warehouse, oracle)
    assert differences == [], f"{len(differences)} differences, first: {differences[:5]}"
    assert any(v not in (None, Decimal(0)) for v in warehouse.values()), "all zero"
