"""Every CRM median in ``metric_values`` reports the n behind it (``sample_size``), equal to the
oracle's count, in every period and breakdown: small and medium worlds, before and after a
mutate and an incremental run."""

from __future__ import annotations

import pytest

from tests.transform.conftest import FY_START_MONTH
from tests.transform.oracle_values_crm import MEDIANS, oracle_sample_sizes


@pytest.mark.parametrize("size", ["small", "medium"])
@pytest.mark.parametrize("stage", ["initial", "mutated"])
def test_crm_medians_report_their_sample_size(world_stage, size: str, stage: str) -> None:
    loaded = world_stage(size, stage)
    warehouse = {key: n for key, n in loaded.sample_sizes.items() if key[0] in MEDIANS}
    oracle = oracle_sample_sizes(loaded.sources, loaded.now, FY_START_MONTH)
    assert {k for k in oracle if oracle[k]} and warehouse == oracle
