"""SIGTERM part-way through rows that share one SystemModstamp loses none of them."""

from __future__ import annotations

import io
import signal
from collections import Counter
from contextlib import redirect_stdout

import pytest

from tap_salesforce.tap import TapSalesforce
from tests.taps.salesforce_support import salesforce_sandbox, sync_in_process, tap_config
from tests.taps.singer_support import parse_messages

__all__ = ["salesforce_sandbox"]


def shared_modstamp(world) -> tuple[str, object]:
    """An object and a SystemModstamp that at least two of its records share."""
    for name in world.objects("salesforce"):
        records = world.records(name, "salesforce")
        counts = Counter(r.get("SystemModstamp") for r in records)
        stamp, count = counts.most_common(1)[0]
        if stamp is not None and count >= 2:
            return name, stamp
    raise AssertionError("the small world has no two records sharing a SystemModstamp")


def test_sigterm_inside_a_group_resumes_before_the_group(salesforce_sandbox) -> None:
    world = salesforce_sandbox.app.world
    name, stamp = shared_modstamp(world)
    config = tap_config(salesforce_sandbox.url, objects=[name])
    tap = TapSalesforce(config=config)
    stream = tap.streams[name]
    increment = stream._increment_stream_state
    group = {r["Id"] for r in world.records(name, "salesforce") if r["SystemModstamp"] == stamp}

    def increment_then_terminate(record, *args, **kwargs):
        increment(record, *args, **kwargs)
        # The signal lands once the group's first row is out and its bookmark counted.
        if record["Id"] in group:
            tap._handle_termination(signal.SIGTERM, None)

    stream._increment_stream_state = increment_then_terminate
    buffer = io.StringIO()
    with redirect_stdout(buffer), pytest.raises(SystemExit):
        tap.sync_all()
    first = parse_messages(buffer.getvalue())
    emitted = {r["Id"] for r in first.records[name]}
    assert len(emitted & group) == 1

    second = sync_in_process(config, state=first.final_state)
    resumed = {r["Id"] for r in second.records[name]}
    assert group <= resumed  # the whole group comes again: nothing skipped
    everything = {r["Id"] for r in world.records(name, "salesforce")}
    assert emitted | resumed == everything
