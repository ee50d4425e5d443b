"""A second target declared by ``command: target-postgres`` is our target: it gets the warehouse
and commits state with its data, exactly like the one declared by name; ``target_config``
overrides the declared config per pipeline."""

from __future__ import annotations

import json

from tests.orchestrator.conftest import STREAMS, SlowProject, expected_rows, make_data

TARGETS = """\
  warehouse-copy:
    command: target-postgres
    config:
      default_target_schema: not-used-overridden-below
"""


def _add_second_target(project: SlowProject) -> str:
    """Declare ``warehouse-copy`` and a pipeline into it; returns the pipeline's name."""
    path = project.root / "bizops.yml"
    text = path.read_text().replace("pipelines:\n", f"{TARGETS}pipelines:\n", 1)
    name = f"{project.name}-copy"
    text += (
        f"  - name: {name}\n"
        "    tap: slow-tap\n"
        "    target: warehouse-copy\n"
        f"    target_config: {{default_target_schema: {project.name}}}\n"
    )
    path.write_text(text)
    return name


def test_a_target_declared_by_command_gets_the_warehouse_and_the_state_table(
    slow_project: SlowProject,
) -> None:
    pipeline = _add_second_target(slow_project)
    shown = slow_project.bizops("config", pipeline)
    assert shown.returncode == 0, shown.stderr
    config = json.loads(shown.stdout)["target_config"]
    assert config["database_url"] == "***"
    assert config["default_target_schema"] == slow_project.name
    assert config["state_table"] == "bizops.target_state"
    done = slow_project.bizops("run", pipeline)
    assert done.returncode == 0, done.stderr
    data = make_data(seed=1)
    for stream in STREAMS:
        assert slow_project.rows(stream) == expected_rows(data, stream)
