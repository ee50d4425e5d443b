"""The support medians in ``metric_values`` report the n behind them (``sample_size``), equal
to the oracle's count in every period and churn member: small and medium worlds, before and
after a mutate and an incremental run."""

from __future__ import annotations

import pytest

from bizops_sandbox.oracle import history
from bizops_sandbox.oracle_periods import GRAINS
from tests.transform.conftest import FY_START_MONTH
from tests.transform.oracle_values_support import support_rows

MEDIANS = ("ticket_first_reply_time", "ticket_resolution_time")


@pytest.mark.parametrize("size", ["small", "medium"])
@pytest.mark.parametrize("stage", ["initial", "mutated"])
def test_support_medians_report_their_sample_size(world_stage, size: str, stage: str) -> None:
    loaded = world_stage(size, stage)
    first, last = history(loaded.sources, loaded.now)
    oracle = {
        (metric, grain, label, *dim): n
        for grain in GRAINS
        for metric, label, dim, _, n in support_rows(
            loaded.sources, first, last, grain, FY_START_MONTH
        )
        if metric in MEDIANS
    }
    warehouse = {key: n for key, n in loaded.sample_sizes.items() if key[0] in MEDIANS}
    assert any(oracle.values())
    assert warehouse == {key: n for key, n in oracle.items()}
