"""Per-stream state (guarantee 3): refresh, clear and backfill of one stream keep the others."""

from __future__ import annotations

import json

import psycopg2

from tests.orchestrator.conftest import STREAMS, SlowProject, expected_rows


def bookmarks(project: SlowProject) -> dict:
    return project.state()["bookmarks"]


def test_run_loads_every_stream_and_stores_per_stream_bookmarks(slow_project: SlowProject) -> None:
    result = slow_project.bizops("run", slow_project.name)
    assert result.returncode == 0, result.stderr
    data = slow_project.data()
    for stream in STREAMS:
        assert slow_project.rows(stream) == expected_rows(data, stream)
    assert bookmarks(slow_project) == {s: {"replication_key_value": 59} for s in STREAMS}


def test_full_refresh_of_one_stream_keeps_the_other_bookmarks(slow_project: SlowProject) -> None:
    assert slow_project.bizops("run", slow_project.name).returncode == 0
    data = slow_project.data()
    data["beta"][0]["value"] = "changed-without-bumping-updated"
    slow_project.write_data(data)
    result = slow_project.bizops("run", slow_project.name, "--full-refresh", "--stream", "beta")
    assert result.returncode == 0, result.stderr
    assert slow_project.rows("beta") == expected_rows(data, "beta")
    assert slow_project.rows("alpha")[0] == (0, expected_rows(slow_project.data(), "alpha")[0][1])
    assert slow_project.runs()[0].rows_read == {"beta": 60}
    assert bookmarks(slow_project) == {s: {"replication_key_value": 59} for s in STREAMS}


def test_clear_one_stream_resyncs_only_that_stream(slow_project: SlowProject) -> None:
    assert slow_project.bizops("run", slow_project.name).returncode == 0
    cleared = slow_project.bizops("state", "clear", slow_project.name, "--stream", "gamma")
    assert cleared.returncode == 0, cleared.stderr
    assert set(bookmarks(slow_project)) == {"alpha", "beta"}
    assert slow_project.bizops("run", slow_project.name).returncode == 0
    assert slow_project.runs()[0].rows_read == {"gamma": 60}
    assert bookmarks(slow_project)["gamma"] == {"replication_key_value": 59}


def test_set_one_stream_backfills_it_and_leaves_the_others(slow_project: SlowProject) -> None:
    assert slow_project.bizops("run", slow_project.name).returncode == 0
    value = json.dumps({"replication_key_value": 49})
    done = slow_project.bizops(
        "state", "set", slow_project.name, "--stream", "alpha", "--value", value
    )
    assert done.returncode == 0, done.stderr
    shown = slow_project.bizops("state", "show", slow_project.name, "--stream", "alpha")
    assert json.loads(shown.stdout) == {"replication_key_value": 49}
    assert slow_project.bizops("run", slow_project.name).returncode == 0
    assert slow_project.runs()[0].rows_read == {"alpha": 10}


def test_newly_selected_stream_starts_from_the_beginning(slow_project: SlowProject) -> None:
    slow_project.configure(extra="    select: [alpha, beta]\n")
    assert slow_project.bizops("run", slow_project.name).returncode == 0
    assert set(bookmarks(slow_project)) == {"alpha", "beta"}
    assert slow_project.rows("gamma") == []
    before = bookmarks(slow_project)
    added = slow_project.bizops("select", slow_project.name, "gamma")
    assert added.returncode == 0, added.stderr
    assert slow_project.bizops("run", slow_project.name).returncode == 0
    assert slow_project.runs()[0].rows_read == {"gamma": 60}
    assert slow_project.rows("gamma") == expected_rows(slow_project.data(), "gamma")
    assert {s: bookmarks(slow_project)[s] for s in before} == before


def test_field_selection_leaves_out_excluded_fields(slow_project: SlowProject) -> None:
    slow_project.configure(extra="    select: [alpha, '!alpha.value']\n")
    assert slow_project.bizops("run", slow_project.name).returncode == 0
    assert slow_project.rows("alpha")[:2] == [(0, None), (1, None)]
    assert slow_project.rows("beta") == []


def test_state_list_names_pipelines_and_their_streams(slow_project: SlowProject) -> None:
    assert slow_project.bizops("run", slow_project.name).returncode == 0
    listed = slow_project.bizops("state", "list").stdout.splitlines()
    line = next(row for row in listed if row.startswith(slow_project.name + "\t"))
    assert line.endswith("\talpha, beta, gamma")


def test_target_committed_states_are_mirrored_at_most_once_a_second(
    slow_project: SlowProject,
) -> None:
    # target-postgres commits each state it confirms with its rows (state_table); bizops stores
    # its copy of the first at once, then at most once a second, and the last at the end.
    result = slow_project.bizops("run", slow_project.name, "--log-format", "json")
    assert result.returncode == 0, result.stderr
    assert bookmarks(slow_project) == {s: {"replication_key_value": 59} for s in STREAMS}
    with psycopg2.connect(slow_project.warehouse_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM bizops.state_history WHERE pipeline = %s", (slow_project.name,)
        )
        versions = cur.fetchone()[0]
    conn.close()
    events = [json.loads(line) for line in result.stderr.splitlines()]
    stored = [e["states"] for e in events if e["event"] == "state_stored"]
    run = slow_project.runs()[0]
    seconds = (run.ended_at - run.started_at).total_seconds()
    assert stored[0] == 1
    assert len(stored) == versions <= 2 + seconds
    assert stored[-1] > versions  # several confirmed states went into one stored version
