"""The renewal rates in ``metric_values`` report the number of terms due as their sample size,
equal to the oracle's, in every complete period (null while a period's grace window runs):
small and medium worlds, before and after a mutate and an incremental run."""

from __future__ import annotations

import pytest

from bizops_sandbox.oracle import history
from tests.transform.conftest import FY_START_MONTH
from tests.transform.oracle_values_renewal import RENEWAL_METRICS, renewal_rows


@pytest.mark.parametrize("size", ["small", "medium"])
@pytest.mark.parametrize("stage", ["initial", "mutated"])
def test_renewal_rates_report_the_terms_due_as_sample_size(world_stage, size, stage) -> None:
    loaded = world_stage(size, stage)
    first, last = history(loaded.sources, loaded.now)
    oracle = {}
    for grain in ("month", "quarter", "fiscal-year"):
        for metric, label, _, n in renewal_rows(loaded.sources, first, last, grain, FY_START_MONTH):
            if n is not None:
                oracle[(metric, grain, label, "total", "all")] = n
    warehouse = {k: n for k, n in loaded.sample_sizes.items() if k[0] in RENEWAL_METRICS}
    assert any(oracle.values()) and warehouse == oracle
